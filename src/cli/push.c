/* push.c — `hako push [-q] [--tls-verify=false] [--authfile F] NAME[:TAG]`, with docker's
 * output: "The push refers to repository [...]", a line per layer ("Pushed", "Layer already
 * exists", "Mounted from ..."), then "TAG: digest: sha256:... size: N". */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/image-common.h"
#include "cli/progress.h"
#include "image/push.h"
#include "util/fs.h"

static void on_start(void *ud, const char *repo, size_t n)
{
    struct progress_view *v = ud;
    progress_view_start(v, n);
    if (!v->quiet) {
        printf("The push refers to repository [%s]\n", repo);
        fflush(stdout);
    }
}

static void on_mount(void *ud, size_t index, const char *from)
{
    struct progress_view *v = ud;
    if (index < v->n) {
        free(v->lines[index].from);
        v->lines[index].from = xstrdup(from);
    }
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: hako push [OPTIONS] NAME[:TAG]\n\n"
               "Push an image to a registry\n\n"
               "Options:\n"
               "  -q, --quiet             print only the digest\n"
               "      --tls-verify=false  allow plain HTTP and skip certificate checks\n"
               "      --authfile FILE     credentials file (default ~/.config/hako/auth.json)\n");
}

static int parse_args(int argc, char **argv, struct push_opts *o, bool *quiet)
{
    static const struct option opts[] = {
        {"quiet", no_argument, NULL, 'q'},
        {"tls-verify", optional_argument, NULL, 't'},
        {"authfile", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    o->tls_verify = true;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        if (c == 'q') {
            *quiet = true;
        } else if (cli_registry_opt(c, &o->tls_verify, &o->authfile)) {
            continue;
        } else if (c == 'h') {
            usage(stdout);
            return -1;
        } else {
            usage(stderr);
            return 125;
        }
    }
    if (argc - optind != 1) {
        cli_error("push: requires exactly 1 argument: NAME[:TAG]");
        return 125;
    }
    o->name = argv[optind];
    return 0;
}

int cmd_push(int argc, char **argv)
{
    struct push_opts o = {0};
    bool quiet = false;
    int rc = parse_args(argc, argv, &o, &quiet);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct progress_view v;
    progress_view_init(&v, quiet, true);
    struct progress pr = {progress_view_layer, &v};
    o.progress = &pr;
    o.on_start = on_start;
    o.on_mount = on_mount;
    struct store *s = NULL;
    if ((rc = cli_store_open(&s)))
        return rc;
    struct hk_error err = {0};
    struct push_result res = {0};
    if (image_push(s, &o, &res, &err) < 0) {
        fflush(stdout);
        rc = cli_fail(&err, 125);
    } else {
        progress_view_flush(&v);
        if (quiet)
            printf("%s\n", res.digest);
        else
            printf("%s: digest: %s size: %llu\n", res.tag, res.digest,
                   (unsigned long long)res.size);
    }
    push_result_clear(&res);
    progress_view_clear(&v);
    store_free(s);
    return rc;
}
