/* image-common.c — helpers the image command files share. */
#include "cli/image-common.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "engine/record.h"
#include "image/reference.h"
#include "util/human.h"
#include "util/fs.h"

int cli_store_open(struct store **ret)
{
    struct hk_error err = {0};
    if (store_open(engine_opts.root, ret, &err) < 0)
        return cli_fail(&err, 125);
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

