/* lifecycle.c — start, state, kill, delete and list of created containers. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "oci/spec.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/handle.h"
#include "runtime/hooks.h"
#include "runtime/seccomp.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

void handle_close(struct handle *h)
{
    state_free(h->st);
    if (h->dirfd >= 0)
        close(h->dirfd);
    if (h->rootfd >= 0)
        close(h->rootfd);
}

int handle_open(const struct runtime *rt, const char *id, struct handle *h,
                struct hk_error *err)
{
    *h = (struct handle){.rootfd = -1, .dirfd = -1};
    int r = state_check_id(id, err);
    if (r < 0)
        return r;
    h->rootfd = open(rt->state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h->rootfd < 0) {
        if (errno == ENOENT)
            return hk_error_set(err, -ENOENT, "container '%s' does not exist", id);
        return hk_error_errno(err, -errno, "open state directory '%s'", rt->state_root);
    }
    r = state_dir_open(h->rootfd, id, &h->dirfd, err);
    if (r == 0)
        r = state_load(h->dirfd, &h->st, err);
    if (r < 0) {
        handle_close(h);
        h->st = NULL;
        h->dirfd = h->rootfd = -1;
        return r == -ENODATA ? hk_error_prefix(err, r, "container '%s'", id) : r;
    }
    h->status = state_status(h->dirfd, h->st);
    return 0;
}

struct oci_spec *handle_saved_spec(const struct handle *h, struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    struct oci_spec *s = NULL;
    if (read_file_at(h->dirfd, "config.json", SPEC_MAX_BYTES, &text, &len, err) < 0)
        return NULL;
    if (spec_parse(text, len, "config.json", &s, err) < 0)
        return NULL;
    return s;
}

static void warn_hook_failed(const struct hk_error *err, void *id)
{
    log_warn("container '%s': %s", (const char *)id, hk_error_msg(err));
}

static void run_hooks_warn(const struct handle *h, enum oci_hook_kind kind,
                           enum container_status status)
{
    struct oci_spec *s = handle_saved_spec(h, NULL);
    if (!s)
        return;
    if (s->hooks.n[kind]) {
        _cleanup_json_ json_t *j = state_to_oci_json(h->st, status);
        _cleanup_free_ char *state = json_dump_compact(j);
        hooks_run_each(s->hooks.list[kind], s->hooks.n[kind], kind, state, warn_hook_failed,
                       h->st->id);
    }
    spec_free(s);
}

/* The init loaded a filter with SCMP_ACT_NOTIFY right before execve (no_new_privs case) and
 * sent its listener: hand it to linux.seccomp.listenerPath. The spec asks for an error when
 * that fails. */
static int forward_listener(const struct handle *h, int fd, struct hk_error *err)
{
    struct oci_spec *sp = handle_saved_spec(h, NULL);
    struct seccomp_program *prog = NULL;
    int r = sp ? seccomp_prepare(sp->linux_.seccomp, &sp->ctx, &prog, err)
               : hk_error_set(err, -EIO, "read the container's config.json");
    if (r == 0) {
        _cleanup_json_ json_t *j = state_to_oci_json(h->st, STATUS_RUNNING);
        _cleanup_free_ char *state = json_dump_compact(j);
        r = seccomp_send_listener(prog, fd, state, err);
    }
    seccomp_program_free(prog);
    spec_free(sp);
    return r;
}

/* Connect to the init's exec socket and wait for the outcome of its execve. */
static int release_init(const struct handle *h, struct hk_error *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/exec.sock", h->dirfd);
    _cleanup_close_ int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0)
        return hk_error_errno(err, -errno, "socket");
    if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return hk_error_errno(err, -errno, "reach the container's init");
    unlinkat(h->dirfd, "exec.sock", 0);
    for (;;) {
        struct sync_msg m;
        int fd = -1;
        int r = sync_recv(s, &m, &fd);
        if (r == -EPIPE)
            return 0; /* close-on-exec closed the init's end: the program runs */
        if (r < 0)
            return hk_error_errno(err, r, "wait for the container's init");
        if (m.type == SYNC_ERROR)
            return hk_error_set(err, m.code ? m.code : -EIO, "%s", m.text);
        if (m.type == SYNC_SECCOMP_FD && fd >= 0) {
            r = forward_listener(h, fd, err);
            close(fd);
            if (r < 0)
                return r;
        } else if (fd >= 0) {
            close(fd);
        }
    }
}

int container_start(const struct runtime *rt, const char *id, struct hk_error *err)
{
    struct handle h;
    int r = handle_open(rt, id, &h, err);
    if (r < 0)
        return r;
    if (h.status != STATUS_CREATED) {
        r = hk_error_set(err, -EINVAL, "cannot start container '%s': it is %s, not created", id,
                         status_name(h.status));
    } else {
        log_debug("start '%s': begin", id);
        r = release_init(&h, err);
        log_debug("start: program running");
        if (r < 0)
            hk_error_prefix(err, r, "start container '%s'", id);
        else
            run_hooks_warn(&h, OCI_HOOK_POSTSTART, STATUS_RUNNING);
    }
    handle_close(&h);
    return r;
}

int container_state(const struct runtime *rt, const char *id, json_t **ret, struct hk_error *err)
{
    struct handle h;
    int r = handle_open(rt, id, &h, err);
    if (r < 0)
        return r;
    *ret = state_to_oci_json(h.st, h.status);
    handle_close(&h);
    return 0;
}

static int signal_init(const struct container_state *st, int sig, struct hk_error *err)
{
    int pidfd;
    int r = state_pidfd(st, &pidfd);
    if (r < 0)
        return hk_error_set(err, -ESRCH, "container '%s' is not running", st->id);
    r = (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
    int e = errno;
    if (r < 0) {
        close(pidfd);
        return hk_error_errno(err, -e, "signal %d to container '%s'", sig, st->id);
    }
    close(pidfd);
    return 0;
}

int container_kill(const struct runtime *rt, const char *id, int sig, bool all,
                   struct hk_error *err)
{
    struct handle h;
    int r = handle_open(rt, id, &h, err);
    if (r < 0)
        return r;
    if (h.status == STATUS_STOPPED && !all) {
        r = hk_error_set(err, -ESRCH, "container '%s' is not running", id);
    } else if (all) {
        struct cgroup_manager *m = NULL;
        r = h.st->cgroup ? cgroup_from_json(h.st->cgroup, &m, err)
                         : hk_error_set(err, -ENOENT, "container '%s' has no cgroup", id);
        if (r == 0)
            r = cgroup_kill_all(m, sig, err);
        cgroup_manager_free(m);
    } else {
        r = signal_init(h.st, sig, err);
    }
    handle_close(&h);
    return r;
}

/* SIGKILL the init and wait (bounded) until it is gone. */
static int kill_and_wait(const struct container_state *st, struct hk_error *err)
{
    int pidfd;
    if (state_pidfd(st, &pidfd) < 0)
        return 0;
    syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int n = poll(&p, 1, 10000);
    close(pidfd);
    if (n == 0)
        return hk_error_set(err, -ETIMEDOUT, "container '%s' did not die after SIGKILL", st->id);
    return 0;
}

/* A state directory without state.json: a create that died half way (the live create holds
 * the directory's lock, so once we have it the create is gone). What it may have made is
 * found from the config.json it saved first: the cgroup in every hierarchy, with any init
 * still inside (killed by cgroup_destroy); then the directory goes. */
static int delete_half_made(const struct runtime *rt, const char *id, struct hk_error *err)
{
    _cleanup_close_ int rootfd = open(rt->state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return hk_error_errno(err, -errno, "open state directory '%s'", rt->state_root);
    _cleanup_close_ int dirfd = -1;
    int r = state_dir_open(rootfd, id, &dirfd, err);
    if (r < 0)
        return r;
    struct handle h = {.rootfd = -1, .dirfd = dirfd};
    struct oci_spec *spec = handle_saved_spec(&h, NULL);
    struct cgroup_manager *m = NULL;
    if (spec && cgroup_adopt_for_spec(id, spec, &m, NULL) == 0)
        r = cgroup_destroy(m, err);
    cgroup_manager_free(m);
    spec_free(spec);
    if (r < 0)
        return hk_error_prefix(err, r, "delete container '%s'", id);
    r = rm_rf_at(rootfd, id);
    return r < 0 ? hk_error_errno(err, r, "remove the state of '%s'", id) : 0;
}

int container_delete(const struct runtime *rt, const char *id, bool force, struct hk_error *err)
{
    struct handle h;
    int r = handle_open(rt, id, &h, err);
    if (r == -ENODATA) {
        hk_error_clear(err);
        return delete_half_made(rt, id, err);
    }
    if (r < 0)
        return r;
    if (h.status != STATUS_STOPPED && h.status != STATUS_CREATED && !force) {
        r = hk_error_set(err, -EBUSY, "cannot delete container '%s' that is not stopped: %s", id,
                         status_name(h.status));
        handle_close(&h);
        return r;
    }
    log_debug("delete '%s': begin", id);
    struct cgroup_manager *m = NULL;
    if (h.st->cgroup && cgroup_from_json(h.st->cgroup, &m, err) < 0)
        m = NULL;
    /* A SIGKILL to a frozen process waits for the thaw: thaw first, as runc does. */
    if (m && h.status == STATUS_PAUSED)
        cgroup_freeze(m, false, NULL);
    r = h.status == STATUS_STOPPED ? 0 : kill_and_wait(h.st, err);
    if (r == 0 && m)
        r = cgroup_destroy(m, err);
    cgroup_manager_free(m);
    log_debug("delete: cgroup removed");
    if (r == 0) {
        run_hooks_warn(&h, OCI_HOOK_POSTSTOP, STATUS_STOPPED);
        r = rm_rf_at(h.rootfd, id);
        if (r < 0)
            hk_error_errno(err, r, "remove the state of '%s'", id);
    }
    handle_close(&h);
    return r;
}

static int visible_entry(const struct dirent *de)
{
    return de->d_name[0] != '.';
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* A half-made container as list shows it (runc's way): "creating" while its create runs (it
 * holds the directory's lock), "stopped" once that create died; delete --force removes it. */
static json_t *half_made_json(int dirfd, const char *id)
{
    bool creating = flock(dirfd, LOCK_EX | LOCK_NB) < 0;
    if (!creating)
        flock(dirfd, LOCK_UN);
    struct container_state st = {.id = (char *)id, .bundle = "", .created = ""};
    return state_to_oci_json(&st, creating ? STATUS_CREATING : STATUS_STOPPED);
}

int container_list(const struct runtime *rt, json_t **ret, struct hk_error *err)
{
    json_t *arr = json_array();
    _cleanup_close_ int rootfd = open(rt->state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        if (errno == ENOENT) {
            *ret = arr;
            return 0;
        }
        json_decref(arr);
        return hk_error_errno(err, -errno, "open state directory '%s'", rt->state_root);
    }
    /* sorted by id, bytewise, as runc lists them */
    struct dirent **names = NULL;
    int n = scandirat(rootfd, ".", &names, visible_entry, by_name);
    if (n < 0) {
        json_decref(arr);
        return hk_error_errno(err, -errno, "read state directory '%s'", rt->state_root);
    }
    for (int i = 0; i < n; i++) {
        _cleanup_free_ struct dirent *de = names[i];
        _cleanup_close_ int dirfd = openat(rootfd, de->d_name,
                                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct container_state *st = NULL;
        if (dirfd < 0)
            continue;
        int r = state_load(dirfd, &st, NULL);
        if (r == -ENODATA && state_check_id(de->d_name, NULL) == 0)
            json_array_append_new(arr, half_made_json(dirfd, de->d_name));
        if (r < 0)
            continue;
        json_array_append_new(arr, state_to_oci_json(st, state_status(dirfd, st)));
        state_free(st);
    }
    free(names);
    *ret = arr;
    return 0;
}
