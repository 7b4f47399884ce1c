/* container-logs.c — `hako logs [-f] [--tail N] [-t] [--since T] [--until T] CONTAINER`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "engine/lifecycle.h"
#include "engine/logs.h"
#include "engine/options.h"
#include "util/fs.h"

static int print_entry(const struct log_entry *e, void *ud)
{
    bool timestamps = *(bool *)ud;
    FILE *f = strcmp(e->stream, "stderr") == 0 ? stderr : stdout;
    if (timestamps)
        fprintf(f, "%s ", e->time);
    fwrite(e->log, 1, e->len, f);
    fflush(f);
    return 0;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct logs_flags {
    bool follow, timestamps;
    struct log_filter filter;
};

static int parse_logs_flags(int argc, char **argv, struct logs_flags *f)
{
    static const struct option opts[] = {
        {"follow", no_argument, NULL, 'f'},       {"tail", required_argument, NULL, 'n'},
        {"timestamps", no_argument, NULL, 't'},   {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},  {"details", no_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    f->filter.tail = -1;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+fn:t", opts)) != -1) {
        struct hk_error err = {0};
        switch (c) {
        case 'f': f->follow = true; break;
        case 't': f->timestamps = true; break;
        case 'D': break;
        case 'n': {
            char *end;
            f->filter.tail = strcmp(optarg, "all") == 0 ? -1 : strtol(optarg, &end, 10);
            if (strcmp(optarg, "all") != 0 && (!*optarg || *end))
                return cli_usage_error("logs", "invalid argument \"%s\" for \"-n, --tail\" flag",
                                       optarg);
            break;
        }
        case 'S':
        case 'U':
            if (opt_parse_time(optarg, now_ns(), c == 'S' ? &f->filter.since_ns
                                                          : &f->filter.until_ns, &err) < 0)
                return cli_usage_error("logs", "%s", hk_error_msg(&err));
            break;
        case 'h':
            printf("Usage: hako logs [OPTIONS] CONTAINER\n\n"
                   "Fetch the logs of a container\n\nOptions:\n"
                   "  -f, --follow         Follow log output\n"
                   "      --since TIME     Show logs since a timestamp (2013-01-02T13:23:37Z) "
                   "or\n"
                   "                       relative (42m for 42 minutes)\n"
                   "  -n, --tail N         Number of lines to show from the end of the logs "
                   "(all)\n"
                   "  -t, --timestamps     Show timestamps\n"
                   "      --until TIME     Show logs before a timestamp or relative time\n"
                   "      --details        Show the extra attributes of the log options "
                   "(hako's\n"
                   "                       log options add none: the same lines)\n");
            return -1;
        default:
            return cli_unknown_flag("logs", argc, argv);
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("logs", "\"hako logs\" requires exactly 1 argument.");
    return 0;
}

/* Whether the container still runs (or is about to run again). */
static bool still_running(const struct engine *e, const char *id)
{
    struct record *rec = NULL;
    if (record_open(e, id, false, &rec, NULL) < 0)
        return false;
    bool live = engine_status_live(record_status(rec->j)) && record_monitor_alive(rec->j);
    record_free(rec);
    return live;
}

int cmd_logs(int argc, char **argv)
{
    struct logs_flags f = {0};
    int rc = parse_logs_flags(argc, argv, &f);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct engine *e = NULL;
    _cleanup_free_ char *id = NULL;
    rc = cli_engine_open(&e);
    if (rc == 0)
        rc = cli_resolve(e, argv[optind], &id);
    if (rc) {
        engine_free(e);
        return rc;
    }
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_free_ char *path = xasprintf("%s/%s-json.log", dir, id);
    off_t off = 0;
    struct hk_error err = {0};
    if (logs_read(path, &f.filter, print_entry, &f.timestamps, &off, &err) < 0)
        rc = cli_fail(&err, 125);
    while (rc == 0 && f.follow) {
        bool live = still_running(e, id);
        if (logs_read(path, &f.filter, print_entry, &f.timestamps, &off, &err) < 0)
            rc = cli_fail(&err, 125);
        if (!live)
            break; /* read once more after it stopped: nothing is lost */
        usleep(50 * 1000);
    }
    engine_free(e);
    return rc;
}
