/* runtime-events.c — `hako-runtime events`: the container's stats every interval and its OOM
 * kills as they happen, as runc's JSON lines ({"type":"stats","id":...,"data":{...}} and
 * {"type":"oom","id":...}), until the container exits; or one stats line with --stats. */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/runtime-cmds.h"
#include "runtime/cgroup.h"
#include "runtime/control.h"
#include "util/fs.h"
#include "util/json.h"

static void emit(const char *type, const char *id, json_t *data)
{
    json_t *e = json_pack("{s:s, s:s}", "type", type, "id", id);
    if (data)
        json_object_set_new(e, "data", data);
    _cleanup_free_ char *text = json_dump_compact(e);
    json_decref(e);
    puts(text);
    fflush(stdout);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int emit_stats(struct cgroup_manager *cg, const char *id, struct hk_error *err)
{
    json_t *stats = NULL;
    int r = cgroup_stats(cg, &stats, err);
    if (r == 0)
        emit("stats", id, stats);
    return r;
}

/* One line per new OOM kill since *last; false when the counter has not moved yet. */
static bool emit_ooms(struct cgroup_manager *cg, const char *id, unsigned long *last)
{
    unsigned long now = 0;
    if (cgroup_oom_count(cg, &now, NULL) < 0 || now <= *last)
        return false;
    for (; *last < now; (*last)++)
        emit("oom", id, NULL);
    return true;
}

/* Stream until the init exits: stats every interval_ms, OOM lines as the kernel reports. */
static int stream(struct container_watch *w, const char *id, long interval_ms,
                  struct hk_error *err)
{
    int oomfd = -1;
    unsigned long last = 0;
    if (cgroup_oom_event_fd(w->cg, &oomfd, NULL) == 0)
        (void)cgroup_oom_count(w->cg, &last, NULL);
    long next = now_ms() + interval_ms;
    /* v1's eventfd fires when the cgroup goes under OOM, which can be before the kernel has
     * counted the kill: look at the counter again for a while after each notification. */
    long recheck_until = 0;
    int r = 0;
    for (;;) {
        struct pollfd p[2] = {{.fd = w->pidfd, .events = POLLIN}, {.fd = oomfd, .events = POLLIN}};
        long wait = next - now_ms();
        if (recheck_until && wait > 20)
            wait = 20;
        int n = poll(p, oomfd >= 0 ? 2 : 1, wait < 0 ? 0 : (int)wait);
        if (n < 0 && errno != EINTR) {
            r = hk_error_errno(err, -errno, "poll");
            break;
        }
        if (n > 0 && (p[1].revents & POLLIN)) {
            char buf[4096];
            while (read(oomfd, buf, sizeof(buf)) > 0)
                ;
            recheck_until = now_ms() + 1000;
        }
        if (recheck_until && (emit_ooms(w->cg, id, &last) || now_ms() >= recheck_until))
            recheck_until = 0;
        if (n > 0 && (p[0].revents & (POLLIN | POLLHUP)))
            break; /* the container's init exited */
        if (now_ms() >= next) {
            if (emit_stats(w->cg, id, NULL) < 0)
                break; /* the cgroup went away with the container */
            next += interval_ms;
        }
    }
    if (oomfd >= 0) {
        (void)emit_ooms(w->cg, id, &last); /* a kill that took the init with it */
        close(oomfd);
    }
    return r;
}

int rt_cmd_events(int argc, char **argv)
{
    static const struct option opts[] = {{"stats", no_argument, NULL, 's'},
                                         {"interval", required_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool once = false;
    long interval = 5000;
    int c;
    while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's') {
            once = true;
        } else if (c == 'i') {
            if (rt_parse_duration_ms(optarg, &interval) < 0)
                return rt_usage_error("events", "--interval: '%s' is not a duration like 5s",
                                      optarg);
        } else if (c == 'h') {
            puts("Usage: hako-runtime events [--stats] [--interval 5s] ID");
            return 0;
        } else {
            return rt_usage_error("events", "unknown option (see --help)");
        }
    }
    int r = rt_need_id(argc, argv, 0, "events");
    if (r)
        return r;
    const char *id = argv[optind];
    struct hk_error err = {0};
    struct container_watch w;
    if (container_watch_open(&rt_opts, id, &w, &err) < 0)
        return rt_fail(&err);
    r = once ? emit_stats(w.cg, id, &err) : stream(&w, id, interval, &err);
    container_watch_close(&w);
    return r < 0 ? rt_fail(&err) : 0;
}
