/* monitor-exit.c — the monitor after its container's init exited: record, clean the runtime
 * up, restart or remove, and tell the attached clients. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/attach-proto.h"
#include "engine/events.h"
#include "engine/lifecycle.h"
#include "engine/monitor-internal.h"
#include "engine/monitor.h"
#include "engine/net/attach.h"
#include "engine/restart.h"
#include "runtime/cgroup.h"
#include "runtime/control.h"
#include "util/fs.h"
#include "util/log.h"

void monitor_record_failure(const struct engine *e, const char *id, const struct hk_error *err)
{
    struct record *r = NULL;
    if (record_open(e, id, true, &r, NULL) < 0)
        return;
    int code = err->code == -ENOENT ? 127 : err->code == -EACCES ? 126 : 128;
    record_set_exited(r->j, code, false, hk_error_msg(err));
    json_object_set_new(json_object_get(r->j, "Hako"), "MonitorPid", json_integer(0));
    record_save(r, NULL);
    record_free(r);
}

/* Whether the container's cgroup saw an OOM kill (read before the runtime removes it). */
static bool oom_killed(const struct engine *e, const char *id)
{
    struct cgroup_manager *cg = NULL;
    unsigned long n = 0;
    if (container_cgroup(&e->rt, id, &cg, NULL) < 0)
        return false;
    if (cgroup_oom_count(cg, &n, NULL) < 0)
        n = 0;
    cgroup_manager_free(cg);
    return n > 0;
}

/* Send each client the exit status, then wait (a little) for it to hang up, reading what it
 * still sends: closing a unix socket with unread data in its queue resets the peer's end
 * (ECONNRESET), which would lose the status before the client reads it. */
static void notify(const int *clients, size_t n, int code)
{
    char buf[ATTACH_MSG_MAX + 1];
    int len = snprintf(buf, sizeof(buf), "%c%d", ATTACH_EXIT, code);
    struct pollfd p[64];
    size_t np = 0;
    for (size_t i = 0; i < n && np < ELEMENTSOF(p); i++)
        if (send(clients[i], buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) == len)
            p[np++] = (struct pollfd){.fd = clients[i], .events = POLLIN};
    for (int rounds = 0; rounds < 40; rounds++) {
        size_t open = 0;
        for (size_t i = 0; i < np; i++)
            open += p[i].fd >= 0;
        if (!open || poll(p, np, 50) < 0)
            break;
        for (size_t i = 0; i < np; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            if (recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
                p[i].fd = -1; /* hung up: no data left behind */
        }
    }
    for (size_t i = 0; i < n; i++)
        close(clients[i]);
}

enum next { NEXT_DONE, NEXT_RESTART, NEXT_REMOVE };

/* Record the exit and decide what comes next, under the record's lock. */
static enum next record_exit(const struct engine *e, const char *id, int code, bool oom)
{
    struct record *r = NULL;
    if (record_open(e, id, true, &r, NULL) < 0)
        return NEXT_DONE;
    const json_t *hc = json_object_get(r->j, "HostConfig");
    json_t *hk = json_object_get(r->j, "Hako");
    int count = (int)json_integer_value(json_object_get(r->j, "RestartCount"));
    bool manual = json_is_true(json_object_get(hk, "ManualStop"));
    record_set_exited(r->j, code, oom, NULL);
    net_release(e, id, r->j);
    enum next next = NEXT_DONE;
    if (restart_should(json_object_get(hc, "RestartPolicy"), code, count, manual)) {
        record_set_status(r->j, "restarting");
        json_object_set_new(r->j, "RestartCount", json_integer(count + 1));
        next = NEXT_RESTART;
    } else {
        json_object_set_new(hk, "MonitorPid", json_integer(0));
        if (json_is_true(json_object_get(hc, "AutoRemove")))
            next = NEXT_REMOVE;
    }
    record_save(r, NULL);
    engine_event(e, r->j, "die", engine_event_int("exitCode", code));
    record_free(r);
    return next;
}

/* Wait out the restart delay; false when the user stopped the container meanwhile (the record
 * then says exited). */
static bool restart_wait(const struct engine *e, const char *id, long delay_ms)
{
    for (long waited = 0;; waited += 50) {
        struct record *r = NULL;
        if (record_open(e, id, true, &r, NULL) < 0)
            return false;
        json_t *hk = json_object_get(r->j, "Hako");
        bool stop = json_is_true(json_object_get(hk, "ManualStop"));
        if (stop) {
            record_set_status(r->j, "exited");
            json_object_set_new(hk, "MonitorPid", json_integer(0));
            record_save(r, NULL);
        }
        record_free(r);
        if (stop)
            return false;
        if (waited >= delay_ms)
            return true;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
}

int monitor_exit(const struct engine *e, const char *id, int status, const int *clients,
                 size_t n_clients)
{
    int code = monitor_exit_code(status);
    bool oom = oom_killed(e, id);
    struct hk_error err = {0};
    if (container_delete(&e->rt, id, true, &err) < 0)
        log_debug("monitor %.12s: delete: %s", id, hk_error_msg(&err));
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_free_ char *sock = xasprintf("%s/attach.sock", dir);
    unlink(sock);
    enum next next = record_exit(e, id, code, oom);
    if (next == NEXT_REMOVE) {
        if (engine_remove_dir(e, id, &err) < 0)
            log_debug("monitor %.12s: --rm: %s", id, hk_error_msg(&err));
        notify(clients, n_clients, code);
        return 0;
    }
    notify(clients, n_clients, code);
    if (next != NEXT_RESTART) {
        engine_rootfs_release(e, id);
        return 0;
    }
    struct record *r = NULL;
    if (record_open(e, id, false, &r, NULL) < 0)
        return 0;
    int count = (int)json_integer_value(json_object_get(r->j, "RestartCount"));
    record_free(r);
    if (!restart_wait(e, id, restart_delay_ms(count - 1))) {
        engine_rootfs_release(e, id); /* stopped while it waited to restart */
        return 0;
    }
    struct launched l = {0};
    hk_error_clear(&err);
    if (monitor_launch(e, id, &l, &err) < 0) {
        monitor_record_failure(e, id, &err);
        return 0;
    }
    monitor_relay(e, id, &l, -1);
}
