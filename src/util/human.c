#include "util/human.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

int64_t human_parse_time(const char *s)
{
    if (!s)
        return -1;
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    int64_t t = (int64_t)timegm(&tm);
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        int64_t off = hh * 3600 + mm * 60;
        t += *p == '+' ? -off : off;
    } else if (*p != 'Z' && *p != 'z') {
        return -1;
    }
    return t;
}
