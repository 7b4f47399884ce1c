/* image-common.c — helpers the image command files share. */
#include "cli/image-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "engine/record.h"
#include "build/config.h"
#include "image/reference.h"
#include "util/fs.h"

int cli_store_open(struct store **ret)
{
    struct hk_error err = {0};
    if (store_open(engine_opts.root, ret, &err) < 0)
        return cli_fail(&err, 125);
    /* rmi refuses an image that a container uses (engine/record.h) */
    store_set_holders(*ret, record_image_holders, (void *)engine_opts.root);
    return 0;
}

char *cli_familiar(const char *ref)
{
    /* split off ":tag" / "@digest" from the name part, shorten the name, put them back */
    const char *at = strchr(ref, '@');
    const char *slash = strrchr(ref, '/');
    const char *colon = strchr(slash ? slash : ref, ':');
    const char *cut = colon && (!at || colon < at) ? colon : at;
    size_t n = cut ? (size_t)(cut - ref) : strlen(ref);
    _cleanup_free_ char *name = strndup(ref, n);
    _cleanup_free_ char *fam = ref_familiar_name(name);
    return xasprintf("%s%s", fam, cut ? cut : "");
}

int64_t cli_parse_time(const char *s)
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

int cli_tag_arg(const char *cmd, const char *arg, char **ret)
{
    struct hk_error err = {0};
    struct image_ref ref = {0};
    if (ref_parse(arg, &ref, &err) < 0) {
        cli_error("%s: %s", cmd, err.msg);
        return 125;
    }
    char *tag = ref.digest ? NULL : ref_string(&ref);
    ref_clear(&ref);
    if (!tag) {
        cli_error("%s: '%s' is not a tag", cmd, arg);
        return 125;
    }
    *ret = tag;
    return 0;
}

int cli_apply_changes(json_t *changes, json_t *config, struct hk_error *err)
{
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        int r = df_apply_change(json_string_value(c), config, err);
        if (r < 0)
            return r;
    }
    return 0;
}
