#include "util/human.h"

#include <inttypes.h>
#include <stdio.h>

const char *human_size(uint64_t bytes, char *buf, size_t size)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double v = (double)bytes;
    size_t i = 0;
    while (v >= 1000.0 && i + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1000.0;
        i++;
    }
    snprintf(buf, size, "%.3g%s", v, units[i]);
    return buf;
}

const char *human_duration(int64_t seconds, char *buf, size_t size)
{
    int64_t s = seconds < 0 ? 0 : seconds;
    int64_t minutes = s / 60;
    int64_t hours = (s + 1800) / 3600; /* docker rounds hours: int(d.Hours() + 0.5) */
    if (s < 1)
        snprintf(buf, size, "Less than a second");
    else if (s == 1)
        snprintf(buf, size, "1 second");
    else if (s < 60)
        snprintf(buf, size, "%" PRId64 " seconds", s);
    else if (minutes == 1)
        snprintf(buf, size, "About a minute");
    else if (minutes < 60)
        snprintf(buf, size, "%" PRId64 " minutes", minutes);
    else if (hours == 1)
        snprintf(buf, size, "About an hour");
    else if (hours < 48)
        snprintf(buf, size, "%" PRId64 " hours", hours);
    else if (hours < 24 * 7 * 2)
        snprintf(buf, size, "%" PRId64 " days", hours / 24);
    else if (hours < 24 * 30 * 2)
        snprintf(buf, size, "%" PRId64 " weeks", hours / 24 / 7);
    else if (hours < 24 * 365 * 2)
        snprintf(buf, size, "%" PRId64 " months", hours / 24 / 30);
    else
        snprintf(buf, size, "%" PRId64 " years", s / 3600 / 24 / 365);
    return buf;
}
