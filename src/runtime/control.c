/* control.c — pause, resume, update, ps and the events watch: the runtime operations that act
 * on a live container through its cgroup manager, rebuilt from state.json. */
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/control.h"
#include "runtime/handle.h"
#include "util/fs.h"

/* Open the container, check its status is one of `allowed` (a bit per status), and rebuild
 * its cgroup manager. On success the caller owns *h (locked) and *ret_m. */
static int open_with_cgroup(const struct runtime *rt, const char *id, unsigned allowed,
                            const char *what, struct handle *h, struct cgroup_manager **ret_m,
                            struct hk_error *err)
{
    int r = handle_open(rt, id, h, err);
    if (r < 0)
        return r;
    if (!(allowed & (1u << h->status)))
        r = hk_error_set(err, h->status == STATUS_STOPPED ? -ESRCH : -EBUSY,
                         "cannot %s container '%s': it is %s", what, id, status_name(h->status));
    else if (!h->st->cgroup)
        r = hk_error_set(err, -ENOENT, "container '%s' has no cgroup", id);
    else
        r = cgroup_from_json(h->st->cgroup, ret_m, err);
    if (r < 0)
        handle_close(h);
    return r;
}

#define ST(s) (1u << (s))

static int freeze(const struct runtime *rt, const char *id, bool on, struct hk_error *err)
{
    struct handle h;
    struct cgroup_manager *m = NULL;
    unsigned allowed = on ? ST(STATUS_RUNNING) | ST(STATUS_CREATED) : ST(STATUS_PAUSED);
    int r = open_with_cgroup(rt, id, allowed, on ? "pause" : "resume", &h, &m, err);
    if (r < 0)
        return r;
    r = cgroup_freeze(m, on, err);
    cgroup_manager_free(m);
    handle_close(&h);
    return r < 0 ? hk_error_prefix(err, r, "%s '%s'", on ? "pause" : "resume", id) : 0;
}

int container_pause(const struct runtime *rt, const char *id, struct hk_error *err)
{
    return freeze(rt, id, true, err);
}

int container_resume(const struct runtime *rt, const char *id, struct hk_error *err)
{
    return freeze(rt, id, false, err);
}

int container_update(const struct runtime *rt, const char *id, const json_t *resources,
                     const struct parse_ctx *ctx, struct hk_error *err)
{
    struct handle h;
    struct cgroup_manager *m = NULL;
    unsigned allowed = ST(STATUS_CREATED) | ST(STATUS_RUNNING) | ST(STATUS_PAUSED);
    int r = open_with_cgroup(rt, id, allowed, "update", &h, &m, err);
    if (r < 0)
        return r;
    r = cgroup_update(m, resources, ctx, err);
    cgroup_manager_free(m);
    handle_close(&h);
    return r;
}

int container_pids(const struct runtime *rt, const char *id, pid_t **ret, size_t *ret_n,
                   struct hk_error *err)
{
    struct handle h;
    struct cgroup_manager *m = NULL;
    unsigned allowed = ST(STATUS_CREATED) | ST(STATUS_RUNNING) | ST(STATUS_PAUSED) |
                       ST(STATUS_STOPPED);
    int r = open_with_cgroup(rt, id, allowed, "list the processes of", &h, &m, err);
    if (r < 0)
        return r;
    if (h.status == STATUS_STOPPED) {
        *ret = xcalloc(1, sizeof(pid_t));
        *ret_n = 0;
    } else {
        r = cgroup_pids(m, ret, ret_n, err);
    }
    cgroup_manager_free(m);
    handle_close(&h);
    return r;
}

int container_watch_open(const struct runtime *rt, const char *id, struct container_watch *ret,
                         struct hk_error *err)
{
    struct handle h;
    struct cgroup_manager *m = NULL;
    unsigned allowed = ST(STATUS_CREATED) | ST(STATUS_RUNNING) | ST(STATUS_PAUSED);
    int r = open_with_cgroup(rt, id, allowed, "watch", &h, &m, err);
    if (r < 0)
        return r;
    int pidfd = -1;
    r = state_pidfd(h.st, &pidfd);
    handle_close(&h);
    if (r < 0) {
        cgroup_manager_free(m);
        return hk_error_set(err, -ESRCH, "container '%s' is not running", id);
    }
    *ret = (struct container_watch){.cg = m, .pidfd = pidfd};
    return 0;
}

int container_cgroup(const struct runtime *rt, const char *id, struct cgroup_manager **ret,
                     struct hk_error *err)
{
    struct handle h;
    unsigned all = ST(STATUS_CREATING) | ST(STATUS_CREATED) | ST(STATUS_RUNNING) |
                   ST(STATUS_PAUSED) | ST(STATUS_STOPPED);
    int r = open_with_cgroup(rt, id, all, "read the cgroup of", &h, ret, err);
    if (r == 0)
        handle_close(&h);
    return r;
}

void container_watch_close(struct container_watch *w)
{
    w->cg = cgroup_manager_free(w->cg);
    if (w->pidfd >= 0)
        close(w->pidfd);
    w->pidfd = -1;
}
