/* image-common.c — helpers the image command files share. */
#include "cli/image-common.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/record.h"
#include "build/config.h"
#include "image/reference.h"
#include "util/human.h"
#include "util/fs.h"

int cli_store_open(struct store **ret)
{
    struct hk_error err = {0};
    if (store_open(engine_opts.root, ret, &err) < 0) {
        if ((err.code == -EACCES || err.code == -EPERM) && geteuid() != 0) {
            cli_error("hako needs root (or rootless mode, not yet available): %s",
                      hk_error_msg(&err));
            cli_op_error();
            return 1;
        }
        return cli_fail(&err, 125);
    }
    /* rmi refuses an image that a container uses (engine/record.h) */
    store_set_holders(*ret, record_image_holders, (void *)engine_opts.root);
    (*ret)->expand_max = engine_opts.max_archive_size;
    return 0;
}

bool cli_registry_opt(int c, bool *tls_verify, const char **authfile)
{
    if (c == 't' && (!optarg || !strcmp(optarg, "true") || !strcmp(optarg, "false"))) {
        *tls_verify = !optarg || strcmp(optarg, "true") == 0;
        return true;
    }
    if (c == 'a') {
        *authfile = optarg;
        return true;
    }
    return false;
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
