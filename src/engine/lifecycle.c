/* lifecycle.c — start, stop, kill, rm, wait, pause, rename. */
#include "engine/lifecycle.h"
#include "engine/events.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine/attach-proto.h"
#include "engine/attach.h"
#include "engine/create.h"
#include "engine/monitor.h"
#include "engine/mounts.h"
#include "engine/names.h"
#include "engine/net/attach.h"
#include "engine/options.h"
#include "image/image.h"
#include "runtime/control.h"
#include "util/failpoint.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

bool engine_status_live(const char *status)
{
    return strcmp(status, "running") == 0 || strcmp(status, "paused") == 0 ||
           strcmp(status, "restarting") == 0;
}

static int remove_orphan(const struct engine *e, const char *id);

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000}, NULL);
}

bool engine_auto_remove_due(const json_t *j)
{
    return json_is_true(json_object_get(json_object_get(j, "HostConfig"), "AutoRemove")) &&
           strcmp(record_status(j), "exited") == 0 && !record_monitor_alive(j);
}

/* Open and lock the record, repairing it when its monitor died. A --rm container found dead
 * is removed as its monitor would have done: -ENOENT ("No such container"), *ret_gone set. */
static int open_fresh(const struct engine *e, const char *id, struct record **ret, bool *ret_gone,
                      struct hk_error *err)
{
    if (ret_gone)
        *ret_gone = false;
    int r = record_open(e, id, true, ret, err);
    if (r < 0)
        return r;
    record_refresh(e, *ret);
    if (!engine_auto_remove_due((*ret)->j))
        return 0;
    *ret = record_free(*ret);
    struct hk_error rerr = {0};
    if (engine_remove_dir(e, id, &rerr) < 0)
        log_debug("--rm %.12s: %s", id, hk_error_msg(&rerr));
    if (ret_gone)
        *ret_gone = true;
    return hk_error_set(err, -ENOENT, "No such container: %s", id);
}

int engine_rootfs_ensure(const struct engine *e, struct store *s, const struct record *rec,
                         struct hk_error *err)
{
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", rec->dir);
    _cleanup_free_ char *copy = xasprintf("%s/rootfs.copy", rec->dir);
    struct statx stx;
    bool mounted = statx(AT_FDCWD, rootfs, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0 &&
                   (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
                   (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
    if (mounted || path_exists(copy))
        return 0;
    /* a stopped container's overlay was unmounted (engine_rootfs_release): the caller may not
     * have the store open */
    struct store *own = NULL;
    int r = s ? 0 : store_open(e->root, &own, err);
    struct image *img = NULL;
    if (r == 0)
        r = image_lookup(s ? s : own, json_string_value(json_object_get(rec->j, "Image")), &img,
                         err);
    _cleanup_free_ char *mounted_at = NULL;
    if (r == 0)
        r = image_rootfs_mount(s ? s : own, img, rec->dir, ROOTFS_AUTO, false, &mounted_at, err);
    image_free(img);
    store_free(own);
    return r == -EBUSY ? 0 : r;
}

void engine_rootfs_release(const struct engine *e, const char *id)
{
    /* Only when no start, stop, rm or checkpoint holds the start lock (never waited for: the
     * holder may be waiting for this very exit; rm then removes everything anyway). */
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_free_ char *path = xasprintf("%s/start.lock", dir);
    _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
        return;
    struct record *rec = NULL;
    if (record_open(e, id, false, &rec, NULL) < 0)
        return;
    const char *st = record_status(rec->j);
    bool stopped = strcmp(st, "exited") == 0 || strcmp(st, "dead") == 0;
    record_free(rec);
    struct hk_error err = {0};
    if (stopped && image_rootfs_release(dir, &err) < 0)
        log_debug("%.12s: %s", id, hk_error_msg(&err));
}

/* The start lock, <dir>/start.lock: held from the status check until the monitor recorded
 * its launch (the monitor holds it too, so a killed starter does not release it early): of
 * two starts at once one launches and the other then finds the container running, and an rm
 * or stop waits for a start in progress instead of removing a container being set up. */
int engine_start_lock(const struct engine *e, const char *id, int *ret_fd, struct hk_error *err)
{
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_free_ char *path = xasprintf("%s/start.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno == ENOENT ? hk_error_set(err, -ENOENT, "No such container: %s", id)
                               : hk_error_errno(err, -errno, "open '%s'", path);
    if (flock(fd, LOCK_EX) < 0) {
        close(fd);
        return hk_error_errno(err, -errno, "lock '%s'", path);
    }
    *ret_fd = fd;
    return 0;
}

int engine_start(const struct engine *e, struct store *s, const char *id, int *ret_conn,
                 struct hk_error *err)
{
    if (ret_conn)
        *ret_conn = -1;
    _cleanup_close_ int lock = -1;
    int r = engine_start_lock(e, id, &lock, err);
    if (r < 0)
        return r;
    failpoint("start-locked");
    struct record *rec = NULL;
    r = open_fresh(e, id, &rec, NULL, err);
    if (r < 0)
        return r;
    const char *st = record_status(rec->j);
    bool live = engine_status_live(st);
    if (!live)
        r = engine_rootfs_ensure(e, s, rec, err);
    record_free(rec);
    if (live || r < 0)
        return r; /* running already: nothing to do, as docker */
    return monitor_start(e, id, lock, ret_conn, NULL, err);
}

int engine_wait_stopped(const struct engine *e, const char *id, long timeout_ms)
{
    for (long waited = 0;; waited += 10) {
        struct record *rec = NULL;
        if (record_open(e, id, false, &rec, NULL) < 0)
            return 0; /* removed (--rm) */
        bool live = engine_status_live(record_status(rec->j)) && record_monitor_alive(rec->j);
        record_free(rec);
        if (!live)
            return 0;
        if (timeout_ms >= 0 && waited >= timeout_ms)
            return -ETIMEDOUT;
        sleep_ms(10);
    }
}

/* Mark a stop by the user (no restart), under the lock; returns whether it was live. */
static int mark_stopping(const struct engine *e, const char *id, bool *ret_live, bool *ret_paused,
                         json_t **ret_config, struct hk_error *err)
{
    struct record *rec = NULL;
    int r = open_fresh(e, id, &rec, NULL, err);
    if (r < 0)
        return r;
    const char *st = record_status(rec->j);
    *ret_live = engine_status_live(st);
    *ret_paused = strcmp(st, "paused") == 0;
    if (*ret_live) {
        json_object_set_new(json_object_get(rec->j, "Hako"), "ManualStop", json_true());
        r = record_save(rec, err);
    }
    if (ret_config)
        *ret_config = json_incref(json_object_get(rec->j, "Config"));
    record_free(rec);
    return r;
}

int engine_stop(const struct engine *e, const char *id, int timeout, struct hk_error *err)
{
    bool live, paused;
    _cleanup_json_ json_t *cfg = NULL;
    int lock = -1;
    int r = engine_start_lock(e, id, &lock, err); /* a start in progress finishes first */
    if (r < 0)
        return r;
    r = mark_stopping(e, id, &live, &paused, &cfg, err);
    close(lock);
    if (r < 0 || !live)
        return r;
    int sig = SIGTERM;
    const char *ss = json_string_value(json_object_get(cfg, "StopSignal"));
    if (ss && opt_parse_signal(ss, &sig, NULL) < 0)
        sig = SIGTERM;
    if (timeout < 0) {
        json_t *t = json_object_get(cfg, "StopTimeout");
        timeout = json_is_integer(t) ? (int)json_integer_value(t) : 10;
    }
    if (paused)
        container_resume(&e->rt, id, NULL);
    container_kill(&e->rt, id, sig, false, NULL);
    engine_event_id(e, id, "kill", engine_event_int("signal", sig));
    if (engine_wait_stopped(e, id, timeout * 1000L) != 0) {
        container_kill(&e->rt, id, SIGKILL, true, NULL);
        engine_event_id(e, id, "kill", engine_event_int("signal", SIGKILL));
        if (engine_wait_stopped(e, id, 30000) < 0)
            return hk_error_set(err, -ETIMEDOUT, "container %.12s did not stop after SIGKILL",
                                id);
    }
    engine_event_id(e, id, "stop", NULL);
    return 0;
}

int engine_kill(const struct engine *e, const char *id, int sig, struct hk_error *err)
{
    struct record *rec = NULL;
    int r = open_fresh(e, id, &rec, NULL, err);
    if (r < 0)
        return r;
    const char *st = record_status(rec->j);
    if (strcmp(st, "running") != 0 && strcmp(st, "paused") != 0) {
        r = hk_error_set(err, -EINVAL, "Cannot kill container: %.12s: container %s is not "
                                       "running", id, id);
    } else {
        if (sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGQUIT) {
            json_object_set_new(json_object_get(rec->j, "Hako"), "ManualStop", json_true());
            record_save(rec, NULL);
        }
        r = container_kill(&e->rt, id, sig, false, err);
        if (r < 0)
            hk_error_prefix(err, r, "Cannot kill container: %.12s", id);
        else
            engine_event(e, rec->j, "kill", engine_event_int("signal", sig));
    }
    record_free(rec);
    return r;
}

/* Wait for the monitor (pid, start-time checked) to end; SIGKILL it after timeout_ms. */
static void wait_monitor_gone(const struct engine *e, const char *id, long timeout_ms)
{
    struct record *rec = NULL;
    if (record_open(e, id, false, &rec, NULL) < 0)
        return;
    json_int_t pid = json_integer_value(json_object_get(json_object_get(rec->j, "Hako"),
                                                        "MonitorPid"));
    bool alive = record_monitor_alive(rec->j);
    record_free(rec);
    if (!alive || pid <= 0)
        return;
    int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    if (fd < 0)
        return;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, (int)timeout_ms) == 0) {
        syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
        poll(&p, 1, 5000);
    }
    close(fd);
}

static int remove_dir(const struct engine *e, const char *id, bool volumes, struct hk_error *err);
static int delete_dir(const struct engine *e, const char *id, struct hk_error *err);

int engine_remove(const struct engine *e, const char *id, bool force, struct hk_error *err)
{
    return engine_remove_volumes(e, id, force, false, err);
}

int engine_remove_volumes(const struct engine *e, const char *id, bool force, bool volumes,
                          struct hk_error *err)
{
    bool live, paused, gone;
    struct record *rec = NULL;
    _cleanup_close_ int lock = -1;
    int r = engine_start_lock(e, id, &lock, err);
    if (r < 0)
        return r;
    r = open_fresh(e, id, &rec, &gone, err);
    if (gone) {
        hk_error_clear(err);
        return 0;
    }
    if (r == -ENOENT && remove_orphan(e, id) == 0) {
        hk_error_clear(err);
        return 0;
    }
    if (r < 0)
        return r;
    live = engine_status_live(record_status(rec->j));
    record_free(rec);
    if (live && !force)
        return hk_error_set(err, -EBUSY, "You cannot remove a running container %s. Stop the "
                                         "container before attempting removal or force remove",
                            id);
    if (live) {
        r = mark_stopping(e, id, &live, &paused, NULL, err);
        if (r < 0)
            return r;
        if (paused)
            container_resume(&e->rt, id, NULL);
        container_kill(&e->rt, id, SIGKILL, true, NULL);
        engine_event_id(e, id, "kill", engine_event_int("signal", SIGKILL));
    }
    wait_monitor_gone(e, id, 10000);
    return remove_dir(e, id, volumes, err);
}

/* What engine_remove_dir does, with the names lock already held. */
static int remove_dir_locked(const struct engine *e, const char *id, struct hk_error *err)
{
    struct record *rec = NULL;
    _cleanup_json_ json_t *last = NULL; /* for the destroy event */
    if (record_open(e, id, false, &rec, NULL) == 0)
        last = json_incref(rec->j);
    record_free(rec);
    struct hk_error derr = {0};
    if (container_delete(&e->rt, id, true, &derr) < 0 && derr.code != -ENOENT)
        return hk_error_prefix(err, derr.code, "remove container %.12s: %s", id,
                               hk_error_msg(&derr));
    _cleanup_free_ char *dir = engine_dir(e, id);
    int r = image_rootfs_unmount(dir, err);
    if (r < 0)
        return hk_error_prefix(err, r, "remove container %.12s", id);
    create_shm_unmount(dir);
    _cleanup_free_ char *userns = xasprintf("%s/userns/%s", e->runroot, id);
    rm_rf(userns);
    r = rm_rf(dir);
    if (r < 0)
        return hk_error_errno(err, r, "remove '%s'", dir);
    if (last)
        engine_event(e, last, "destroy", NULL);
    return 0;
}

int engine_prune(const struct engine *e, json_t **ret_removed, struct hk_error *err)
{
    _cleanup_json_ json_t *recs = NULL;
    int r = record_list(e, &recs, err);
    if (r < 0)
        return r;
    json_t *removed = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "Id"));
        if (!id || engine_status_live(record_status(rec)))
            continue;
        if (engine_remove_volumes(e, id, false, false, NULL) == 0)
            json_array_append_new(removed, json_string(id));
    }
    *ret_removed = removed;
    return 0;
}

int engine_remove_dir(const struct engine *e, const char *id, struct hk_error *err)
{
    return remove_dir(e, id, false, err);
}

static int delete_dir(const struct engine *e, const char *id, struct hk_error *err)
{
    _cleanup_close_ int lock = -1;
    int r = record_names_lock(e, &lock, err);
    if (r < 0)
        return r;
    return remove_dir_locked(e, id, err);
}

/* The container's anonymous volumes go with it for --rm, or when asked (rm -v); the volumes
 * lock is taken after the names lock is released (volume rm takes it first). */
static int remove_dir(const struct engine *e, const char *id, bool volumes, struct hk_error *err)
{
    _cleanup_json_ json_t *mounts = NULL;
    struct record *rec = NULL;
    if (record_open(e, id, false, &rec, NULL) == 0) {
        volumes |= json_is_true(json_object_get(json_object_get(rec->j, "HostConfig"),
                                                "AutoRemove"));
        mounts = json_incref(json_object_get(rec->j, "Mounts"));
        record_free(rec);
    }
    int r = delete_dir(e, id, err);
    if (r == 0 && volumes)
        mounts_remove_anonymous(e, mounts);
    return r;
}

/* Under the names lock: whether <id>'s directory is one without a record that nobody holds
 * (a create killed between its mkdir and its record's write). A create in progress holds the
 * names lock until its record is written, and an rm holds it until the directory is gone. */
static bool orphan_locked(const struct engine *e, const char *id)
{
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
        return false;
    return faccessat(fd, "container.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

/* Remove <id>'s directory when it is an orphan: 0, or -ENOENT when it is not one. */
static int remove_orphan(const struct engine *e, const char *id)
{
    if (!record_is_full_id(id))
        return -ENOENT;
    _cleanup_close_ int lock = -1;
    if (record_names_lock(e, &lock, NULL) < 0 || !orphan_locked(e, id))
        return -ENOENT;
    struct hk_error err = {0};
    int r = remove_dir_locked(e, id, &err);
    if (r < 0)
        log_debug("remove orphan %.12s: %s", id, hk_error_msg(&err));
    return r;
}

/* A checkpoint import's staging directory (.import-*) that no import holds (flock): one that
 * was killed. Under the names lock, under which an import makes and locks its own. */
static void sweep_import(const struct engine *e, int dfd, const char *name)
{
    _cleanup_close_ int names = -1;
    if (record_names_lock(e, &names, NULL) < 0)
        return;
    _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        rm_rf_at(dfd, name);
}

void engine_sweep(const struct engine *e)
{
    DIR *d = opendir(e->containers);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, ".import-", 8) == 0)
            sweep_import(e, dirfd(d), de->d_name);
        if (!record_is_full_id(de->d_name) ||
            faccessat(dirfd(d), de->d_name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        _cleanup_free_ char *rec = xasprintf("%s/container.json", de->d_name);
        if (faccessat(dirfd(d), rec, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        remove_orphan(e, de->d_name);
    }
    closedir(d);
}

/* Wait on the monitor's attach socket for its exit message (a client wanting no stream): the
 * only way to learn the status of a --rm container, whose record is gone right after. */
static int wait_attached(const struct engine *e, const char *id, int *ret_code)
{
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_close_ int fd = -1;
    if (attach_connect(dir, &fd, NULL) < 0)
        return -ENOENT;
    unsigned char want = 0;
    if (attach_send(fd, ATTACH_HELLO, &want, 1) < 0)
        return -EIO;
    char buf[ATTACH_MSG_MAX + 2];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -EPIPE;
        buf[n] = '\0';
        if (buf[0] == ATTACH_EXIT) {
            *ret_code = atoi(buf + 1);
            return 0;
        }
        if (buf[0] == ATTACH_FAIL)
            return -EPIPE;
    }
}

int engine_wait(const struct engine *e, const char *id, int *ret_code, struct hk_error *err)
{
    int code = 0;
    struct record *live = NULL;
    if (record_open(e, id, false, &live, NULL) == 0) {
        bool running = engine_status_live(record_status(live->j)) &&
                       record_monitor_alive(live->j) &&
                       json_is_true(json_object_get(json_object_get(live->j, "HostConfig"),
                                                    "AutoRemove"));
        record_free(live);
        if (running && wait_attached(e, id, ret_code) == 0)
            return 0;
    }
    for (;;) {
        struct record *rec = NULL;
        if (record_open(e, id, false, &rec, NULL) < 0)
            break; /* removed after its exit (--rm) */
        if (!engine_status_live(record_status(rec->j)) || !record_monitor_alive(rec->j)) {
            record_free(rec);
            rec = NULL;
            int r = open_fresh(e, id, &rec, NULL, err);
            if (r < 0)
                return r;
            code = (int)json_integer_value(json_object_get(json_object_get(rec->j, "State"),
                                                           "ExitCode"));
            record_free(rec);
            break;
        }
        code = (int)json_integer_value(json_object_get(json_object_get(rec->j, "State"),
                                                       "ExitCode"));
        record_free(rec);
        sleep_ms(20);
    }
    *ret_code = code;
    return 0;
}

int engine_pause(const struct engine *e, const char *id, bool pause, struct hk_error *err)
{
    struct record *rec = NULL;
    int r = open_fresh(e, id, &rec, NULL, err);
    if (r < 0)
        return r;
    const char *st = record_status(rec->j);
    if (pause && strcmp(st, "running") != 0)
        r = hk_error_set(err, -EINVAL, "Container %s is not running", id);
    else if (!pause && strcmp(st, "paused") != 0)
        r = hk_error_set(err, -EINVAL, "Container %s is not paused", id);
    else
        r = pause ? container_pause(&e->rt, id, err) : container_resume(&e->rt, id, err);
    if (r == 0) {
        record_set_status(rec->j, pause ? "paused" : "running");
        r = record_save(rec, err);
        engine_event(e, rec->j, pause ? "pause" : "unpause", NULL);
    }
    record_free(rec);
    return r;
}

int engine_rename(const struct engine *e, const char *id, const char *name,
                  struct hk_error *err)
{
    int r = names_check(name, err);
    if (r < 0)
        return r;
    const char *n = name[0] == '/' ? name + 1 : name;
    _cleanup_close_ int lock = -1;
    r = record_names_lock(e, &lock, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *other = record_find_name(e, n);
    if (other && strcmp(other, id) != 0)
        return hk_error_set(err, -EEXIST,
                            "Error when allocating new name: Conflict. The container name "
                            "\"/%s\" is already in use by container \"%s\". You have to remove "
                            "(or rename) that container to be able to reuse that name.",
                            n, other);
    struct record *rec = NULL;
    r = record_open(e, id, true, &rec, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *full = xasprintf("/%s", n);
    json_t *old = json_pack("{s:O}", "oldName", json_object_get(rec->j, "Name"));
    json_object_set_new(rec->j, "Name", json_string(full));
    net_rename(e, rec->j);
    r = record_save(rec, err);
    if (r == 0)
        engine_event(e, rec->j, "rename", old);
    else
        json_decref(old);
    record_free(rec);
    return r;
}
