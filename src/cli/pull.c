/* pull.c — `hako pull [-q] [--platform P] [--tls-verify=false] [--authfile F] NAME`, with
 * docker's output: a live line per layer on a terminal, plain lines otherwise. */
#include <getopt.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/image-common.h"
#include "image/pull.h"
#include "image/reference.h"
#include "util/fs.h"
#include "util/human.h"

struct line {
    char id[13];
    enum progress_state state;
    uint64_t done, total;
};

struct view {
    bool quiet, tty;
    struct line *lines;
    size_t n;
    size_t drawn; /* lines on screen (tty) */
    int width;    /* terminal columns: longer lines would wrap and break the redraw */
    struct timespec last;
};

static const char *state_text(enum progress_state s)
{
    static const char *const t[] = {
        [PROGRESS_WAITING] = "Pulling fs layer",     [PROGRESS_EXISTS] = "Already exists",
        [PROGRESS_DOWNLOADING] = "Downloading",      [PROGRESS_VERIFYING] = "Verifying Checksum",
        [PROGRESS_DOWNLOADED] = "Download complete", [PROGRESS_EXTRACTING] = "Extracting",
        [PROGRESS_COMPLETE] = "Pull complete",
    };
    return (unsigned)s < ELEMENTSOF(t) ? t[s] : "Waiting";
}

/* "id: state", or for a download "id: Downloading [====>   ]  1.2MB/3.4MB" with a bar that
 * leaves room for the rest in width columns. */
static void format_line(const struct line *l, int width, char *buf, size_t size)
{
    if (l->state != PROGRESS_DOWNLOADING || l->total == 0) {
        snprintf(buf, size, "%s: %s", l->id, state_text(l->state));
        return;
    }
    char bar[51], a[16], b[16];
    size_t w = width - 52 > 50 ? 50 : width - 52 < 10 ? 10 : (size_t)(width - 52);
    size_t fill = (size_t)(l->done * w / l->total);
    for (size_t i = 0; i < w; i++)
        bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    bar[w] = '\0';
    snprintf(buf, size, "%s: Downloading [%s]  %s/%s", l->id, bar, human_size(l->done, a, 16),
             human_size(l->total, b, 16));
}

/* Redraw every layer line in place (at most every 100 ms unless forced). */
static void redraw(struct view *v, bool force)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - v->last.tv_sec) * 1000 + (now.tv_nsec - v->last.tv_nsec) / 1000000;
    if (!force && ms < 100)
        return;
    v->last = now;
    if (v->drawn)
        printf("\033[%zuA", v->drawn);
    v->drawn = 0;
    for (size_t i = 0; i < v->n; i++) {
        char buf[160];
        if (!v->lines[i].id[0])
            continue; /* not reported yet */
        format_line(&v->lines[i], v->width, buf, sizeof(buf));
        printf("\033[2K%.*s\n", v->width - 1, buf);
        v->drawn++;
    }
    fflush(stdout);
}

static void on_layer(void *ud, size_t index, const char *digest, enum progress_state st,
                     uint64_t done, uint64_t total)
{
    struct view *v = ud;
    if (v->quiet || index >= v->n)
        return;
    struct line *l = &v->lines[index];
    snprintf(l->id, sizeof(l->id), "%.12s", digest_hex(digest));
    bool changed = l->state != st;
    l->state = st;
    l->done = done;
    l->total = total;
    if (v->tty) {
        redraw(v, changed);
    } else if (changed && st != PROGRESS_DOWNLOADING) {
        printf("%s: %s\n", l->id, state_text(st));
        fflush(stdout);
    }
}

static void on_manifest(void *ud, const char *ref, const char *path, size_t n)
{
    struct view *v = ud;
    v->lines = xcalloc(n ? n : 1, sizeof(*v->lines));
    v->n = n;
    for (size_t i = 0; i < n; i++)
        v->lines[i].state = (enum progress_state) - 1; /* nothing shown yet */
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
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        if (c == 'q') {
            a->quiet = true;
        } else if (c == 'p') {
            if (platform_parse(optarg, &a->platform, &err) < 0)
                return cli_fail(&err, 125);
            a->o.platform = &a->platform;
        } else if (c == 't' && (!optarg || !strcmp(optarg, "true") || !strcmp(optarg, "false"))) {
            a->o.tls_verify = !optarg || strcmp(optarg, "true") == 0;
        } else if (c == 'a') {
            a->o.authfile = optarg;
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
    struct view v = {.quiet = a.quiet, .tty = isatty(STDOUT_FILENO)};
    struct winsize ws;
    v.width =
        v.tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
    struct progress pr = {on_layer, &v};
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
        if (v.tty && !a.quiet)
            redraw(&v, true);
        _cleanup_free_ char *fam = ref_familiar(res.name);
        if (!a.quiet)
            printf("Digest: %s\nStatus: %s for %s\n", res.digest,
                   res.newer ? "Downloaded newer image" : "Image is up to date", fam);
        printf("%s\n", res.name);
    }
    pull_result_clear(&res);
    free(v.lines);
    store_free(s);
    return rc;
}
