/* pull.c — `hako pull [-q] [--platform P] [--tls-verify=false] [--authfile F] NAME`, with
 * docker's output: a live line per layer on a terminal, plain lines otherwise. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/image-common.h"
#include "cli/progress.h"
#include "image/pull.h"
#include "image/reference.h"
#include "util/fs.h"

static void on_manifest(void *ud, const char *ref, const char *path, size_t n)
{
    struct progress_view *v = ud;
    progress_view_start(v, n);
    if (!v->quiet) {
        printf("%s: Pulling from %s\n", ref, path);
        fflush(stdout);
    }
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: hako pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
               "Pull an image from a registry\n\n"
               "Options:\n"
               "  -q, --quiet             only print the image name\n"
               "      --platform P        os/arch[/variant] (default: this machine's)\n"
               "      --tls-verify=false  allow plain HTTP and skip certificate checks\n"
               "      --authfile FILE     credentials file (default ~/.config/hako/auth.json)\n");
}

struct pull_args {
    struct pull_opts o;
    struct platform platform;
    bool quiet;
};

static int parse_args(int argc, char **argv, struct pull_args *a)
{
    static const struct option opts[] = {
        {"quiet", no_argument, NULL, 'q'},
        {"platform", required_argument, NULL, 'p'},
        {"tls-verify", optional_argument, NULL, 't'},
        {"authfile", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct hk_error err = {0};
    int c;
    a->o.tls_verify = true;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        if (c == 'q') {
            a->quiet = true;
        } else if (c == 'p') {
            if (platform_parse(optarg, &a->platform, &err) < 0)
                return cli_fail(&err, 125);
            a->o.platform = &a->platform;
        } else if (cli_registry_opt(c, &a->o.tls_verify, &a->o.authfile)) {
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
        cli_error("pull: requires exactly 1 argument");
        return 125;
    }
    a->o.name = argv[optind];
    return 0;
}

int cmd_pull(int argc, char **argv)
{
    struct pull_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct progress_view v;
    progress_view_init(&v, a.quiet, false);
    struct progress pr = {progress_view_layer, &v};
    a.o.progress = &pr;
    a.o.on_manifest = on_manifest;
    struct image_ref ref = {0};
    struct hk_error err = {0};
    if (ref_parse(a.o.name, &ref, &err) < 0)
        return cli_fail(&err, 125);
    if (ref.tag_default && !a.quiet)
        printf("Using default tag: latest\n");
    ref_clear(&ref);
    struct store *s = NULL;
    if ((rc = cli_store_open(&s)))
        return rc;
    struct pull_result res = {0};
    if (image_pull(s, &a.o, &res, &err) < 0) {
        fflush(stdout);
        rc = cli_fail(&err, 125);
    } else {
        progress_view_flush(&v);
        _cleanup_free_ char *fam = ref_familiar(res.name);
        if (!a.quiet)
            printf("Digest: %s\nStatus: %s for %s\n", res.digest,
                   res.newer ? "Downloaded newer image" : "Image is up to date", fam);
        printf("%s\n", res.name);
    }
    pull_result_clear(&res);
    progress_view_clear(&v);
    store_free(s);
    return rc;
}
