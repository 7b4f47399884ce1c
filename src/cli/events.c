/* events.c — `hako events`: the engine's events log (engine/events.h) as docker prints it,
 * with --since/--until (a past window, or following the log until --until or forever), docker's
 * --filter keys and --format (json or a Go template). */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/container-table.h"
#include "cli/container.h"
#include "engine/events.h"
#include "engine/options.h"
#include "util/fs.h"
#include "util/json.h"

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* docker's default line: "TIME TYPE ACTION ID (k=v, ...)", the time as RFC 3339 with
 * nanoseconds in the local zone, the attributes sorted by key. */
static void print_pretty(const json_t *ev)
{
    int64_t ns = json_integer_value(json_object_get(ev, "timeNano"));
    time_t sec = (time_t)(ns / 1000000000);
    struct tm tm;
    localtime_r(&sec, &tm);
    char when[64], zone[48] = "Z";
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    if (tm.tm_gmtoff != 0)
        snprintf(zone, sizeof(zone), "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
                 labs(tm.tm_gmtoff) / 3600, labs(tm.tm_gmtoff) % 3600 / 60);
    const json_t *actor = json_object_get(ev, "Actor");
    printf("%s.%09lld%s %s %s %s", when, (long long)(ns % 1000000000), zone,
           json_string_value(json_object_get(ev, "Type")) ?: "",
           json_string_value(json_object_get(ev, "Action")) ?: "",
           json_string_value(json_object_get(actor, "ID")) ?: "");
    const json_t *attrs = json_object_get(actor, "Attributes");
    size_t n = json_object_size(attrs), i = 0;
    if (n) {
        const char **keys = xcalloc(n, sizeof(*keys));
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)attrs, k, v) keys[i++] = k;
        qsort(keys, n, sizeof(*keys), cmp_keys);
        printf(" (");
        for (i = 0; i < n; i++)
            printf("%s%s=%s", i ? ", " : "", keys[i],
                   json_string_value(json_object_get(attrs, keys[i])) ?: "");
        printf(")");
        free(keys);
    }
    printf("\n");
}

struct events_opts {
    char *filters[33]; /* NULL-terminated */
    size_t n_filters;
    const char *format;
    int64_t since, until; /* ns; 0: none */
};

static int print_event(const struct events_opts *o, const json_t *ev)
{
    if (!o->format) {
        print_pretty(ev);
    } else if (strcmp(o->format, "json") == 0) {
        _cleanup_free_ char *s = json_dumps(ev, JSON_COMPACT);
        printf("%s\n", s);
    } else {
        _cleanup_free_ char *tmpl = format_unescape(o->format);
        struct hk_error err = {0};
        if (format_row(tmpl, ev, &err) < 0)
            return cli_fail(&err, 1);
    }
    fflush(stdout);
    return 0;
}

static int print_line(const json_t *ev, const char *line, size_t n, void *ud)
{
    (void)line;
    (void)n;
    return print_event(ud, ev);
}

static void usage(void)
{
    printf("Usage: hako events [OPTIONS]\n\n"
           "Get real time events from the engine (containers' create, start, die, kill, stop,\n"
           "pause, unpause, rename, update, destroy, ...)\n\n"
           "Options:\n"
           "  -f, --filter KEY=VALUE  Filter output: container, event, image, label, type,\n"
           "                        scope, network, volume, daemon, ...\n"
           "      --format FMT      json or a Go template\n"
           "      --since TIME      Show events since TIME (RFC 3339, unix time, or 10m)\n"
           "      --until TIME      Stream events until TIME\n");
}

int cmd_events(int argc, char **argv)
{
    static const struct option opts[] = {
        {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
        {"since", required_argument, NULL, 'S'},  {"until", required_argument, NULL, 'U'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct events_opts o = {0};
    const char *since = NULL, *until = NULL;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+f:", opts)) != -1) {
        if (c == 'f' && o.n_filters + 1 < ELEMENTSOF(o.filters))
            o.filters[o.n_filters++] = optarg;
        else if (c == 'f')
            return cli_usage_error("events", "too many --filter flags (%zu at most)",
                                   ELEMENTSOF(o.filters) - 1);
        else if (c == 'F')
            o.format = optarg;
        else if (c == 'S')
            since = optarg;
        else if (c == 'U')
            until = optarg;
        else if (c == 'h')
            return usage(), 0;
        else
            return cli_unknown_flag("events", argc, argv);
    }
    if (optind < argc)
        return cli_usage_error("events", "\"hako events\" accepts no arguments.");
    struct hk_error err = {0};
    int64_t now = now_ns();
    if ((since && opt_parse_time(since, now, &o.since, &err) < 0) ||
        (until && opt_parse_time(until, now, &o.until, &err) < 0) ||
        engine_events_check_filters(o.filters, &err) < 0)
        return cli_fail(&err, 1);
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    if (rc)
        return rc;
    _cleanup_free_ char *path = engine_events_path(e);
    engine_free(e);
    /* without --since only what happens from now on, as docker's */
    off_t off = 0;
    struct stat st;
    if (!since && stat(path, &st) == 0)
        off = st.st_size;
    struct events_window w = {o.since, o.until, o.filters};
    for (;;) {
        if ((rc = engine_events_read(path, &w, &off, print_line, &o)))
            return rc;
        if (o.until && now_ns() > o.until)
            return 0;
        poll(NULL, 0, 100); /* the log is appended by other processes: look again */
    }
}
