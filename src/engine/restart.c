/* restart.c — restart policy parsing and decisions. */
#include "engine/restart.h"

#include <stdlib.h>
#include <string.h>

int restart_parse(const char *s, json_t **ret, struct hk_error *err)
{
    const char *colon = strchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    long max = 0;
    if (colon) {
        char *end;
        max = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || max < 0 || max > 1000000)
            return hk_error_set(err, -EINVAL, "invalid restart policy format: maximum retry "
                                              "count must be a non-negative integer");
    }
    static const char *const names[] = {"no", "on-failure", "always", "unless-stopped"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i]) != n || strncmp(s, names[i], n) != 0)
            continue;
        if (colon && i != 1)
            return hk_error_set(err, -EINVAL, "invalid restart policy format: maximum retry "
                                              "count can only be used with 'on-failure'");
        *ret = json_pack("{s:s,s:i}", "Name", names[i], "MaximumRetryCount", (int)max);
        return 0;
    }
    return hk_error_set(err, -EINVAL, "invalid restart policy format: unknown policy '%.*s'",
                        (int)n, s);
}

bool restart_should(const json_t *policy, int exit_code, int restart_count, bool manual_stop)
{
    const char *name = json_string_value(json_object_get(policy, "Name"));
    if (!name || manual_stop)
        return false;
    if (strcmp(name, "always") == 0 || strcmp(name, "unless-stopped") == 0)
        return true;
    if (strcmp(name, "on-failure") == 0) {
        json_int_t max = json_integer_value(json_object_get(policy, "MaximumRetryCount"));
        return exit_code != 0 && (max <= 0 || restart_count < max);
    }
    return false;
}

long restart_delay_ms(int restart_count)
{
    long d = 100;
    for (int i = 0; i < restart_count && d < 60000; i++)
        d *= 2;
    return d > 60000 ? 60000 : d;
}
