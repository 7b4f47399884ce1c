/* runtime-values.c — the values runc's command line takes: signals, sizes, durations. Pure
 * functions, kept apart from the commands so tests/fuzz/ can link them alone. */
#include "cli/runtime-values.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/options.h"
#include "util/macro.h"

/* docker's RAMInBytes is the engine's opt_parse_bytes; runc also takes "-1" (unlimited). */
int rt_parse_size(const char *s, int64_t *ret)
{
    if (strcmp(s, "-1") == 0) {
        *ret = -1;
        return 0;
    }
    return opt_parse_bytes(s, ret, NULL);
}

int rt_parse_i64(const char *s, int64_t *ret)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -EINVAL;
    *ret = v;
    return 0;
}

/* strtod also reads "nan" and "inf": NaN fails every comparison, so the checks below are
 * written to refuse it, and the total is range-checked before it is converted to long. */
int rt_parse_duration_ms(const char *s, long *ret)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ns", 1e-6}, {"us", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}};
    double total = 0;
    if (!*s)
        return -EINVAL;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !(v >= 0))
            return -EINVAL;
        size_t best = ELEMENTSOF(units), len = 0;
        for (size_t i = 0; i < ELEMENTSOF(units); i++) {
            size_t l = strlen(units[i].unit);
            if (strncmp(end, units[i].unit, l) == 0 && l > len)
                best = i, len = l;
        }
        if (best == ELEMENTSOF(units))
            return -EINVAL;
        total += v * units[best].ms;
        s = end + len;
    }
    if (!(total >= 1 && total <= 86400e3))
        return -ERANGE;
    *ret = (long)total;
    return 0;
}
