/* record.c — container directories and records: open, lock, save, list, resolve names. */
#include "engine/record.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/lifecycle.h"
#include "engine/net/attach.h"
#include "runtime/state.h"
#include "util/failpoint.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

#define RECORD_FILE "container.json"
#define RECORD_MAX (4u << 20)

int engine_open(const char *root, const char *runroot, struct engine **ret, struct hk_error *err)
{
    struct engine *e = xcalloc(1, sizeof(*e));
    e->root = xstrdup(root);
    e->runroot = xstrdup(runroot);
    e->containers = xasprintf("%s/containers", root);
    e->rt_root = xasprintf("%s/runtime", runroot);
    e->rt.state_root = e->rt_root;
    e->cgroup_parent = xstrdup("/hako");
    int r = mkdir_p(e->containers, 0700);
    if (r == 0)
        r = mkdir_p(e->rt_root, 0700);
    if (r < 0) {
        hk_error_errno(err, r, "create '%s' and '%s'", e->containers, e->rt_root);
        engine_free(e);
        return r;
    }
    *ret = e;
    return 0;
}

int engine_set_cgroup_parent(struct engine *e, const char *path, struct hk_error *err)
{
    size_t n = strlen(path);
    bool under = strcmp(path, "/hako") == 0 || (strncmp(path, "/hako/", 6) == 0 && n > 6);
    if (!under || path[n - 1] == '/' || strstr(path, "//") || strstr(path, "/./") ||
        strstr(path, "/../") || (n >= 3 && strcmp(path + n - 3, "/..") == 0) ||
        (n >= 2 && strcmp(path + n - 2, "/.") == 0))
        return hk_error_set(err, -EINVAL,
                            "--cgroup-parent: '%s' is not /hako or a clean path below it "
                            "(hako's cgroups live under /hako in every hierarchy)",
                            path);
    free(e->cgroup_parent);
    e->cgroup_parent = xstrdup(path);
    return 0;
}

struct engine *engine_free(struct engine *e)
{
    if (!e)
        return NULL;
    free(e->root);
    free(e->runroot);
    free(e->cgroup_parent);
    free(e->containers);
    free(e->rt_root);
    free(e);
    return NULL;
}

char *engine_dir(const struct engine *e, const char *id)
{
    return xasprintf("%s/%s", e->containers, id);
}

bool record_is_full_id(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

struct record *record_free(struct record *r)
{
    if (!r)
        return NULL;
    if (r->dirfd >= 0)
        close(r->dirfd); /* releases the flock */
    json_decref(r->j);
    free(r->id);
    free(r->dir);
    free(r);
    return NULL;
}

static int record_load(struct record *r, struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r2 = read_file_at(r->dirfd, RECORD_FILE, RECORD_MAX, &text, &len, err);
    if (r2 < 0)
        return r2;
    json_error_t jerr;
    r->j = json_loadb(text, len, 0, &jerr);
    if (!r->j || !json_is_object(r->j))
        return hk_error_set(err, -EINVAL, "%s/%s:%d: %s", r->dir, RECORD_FILE, jerr.line,
                            r->j ? "not an object" : jerr.text);
    return 0;
}

int record_open(const struct engine *e, const char *id, bool lock, struct record **ret,
                struct hk_error *err)
{
    if (!record_is_full_id(id))
        return hk_error_set(err, -ENOENT, "No such container: %s", id);
    struct record *r = xcalloc(1, sizeof(*r));
    r->id = xstrdup(id);
    r->dir = engine_dir(e, id);
    r->dirfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (r->dirfd < 0)
        rc = errno == ENOENT ? hk_error_set(err, -ENOENT, "No such container: %s", id)
                             : hk_error_errno(err, -errno, "open '%s'", r->dir);
    if (rc == 0 && lock && flock(r->dirfd, LOCK_EX) < 0)
        rc = hk_error_errno(err, -errno, "lock '%s'", r->dir);
    if (rc == 0) {
        rc = record_load(r, err);
        /* a directory without a record: removed under us, or a create that died */
        if (rc == -ENOENT)
            rc = hk_error_set(err, -ENOENT, "No such container: %s", id);
    }
    if (rc < 0) {
        record_free(r);
        return rc;
    }
    *ret = r;
    return 0;
}

/* Status changes are written without fsync (readers see the old record or the new one): one
 * lost to a power cut is re-derived, as a record whose monitor is gone says exited. The record
 * a create makes is synced (record_create), so the container itself survives the crash (a
 * --rm one excepted: it is removed at its exit anyway). */
static int save(const struct record *r, bool sync, struct hk_error *err)
{
    _cleanup_free_ char *text = json_dumps(r->j, JSON_INDENT(2));
    _cleanup_free_ char *path = xasprintf("%s/" RECORD_FILE, r->dir);
    return sync ? write_file_atomic(path, text, strlen(text), 0600, err)
                : write_file_replace(path, text, strlen(text), 0600, err);
}

int record_save(const struct record *r, struct hk_error *err)
{
    return save(r, false, err);
}

int record_names_lock(const struct engine *e, int *ret_fd, struct hk_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/.names.lock", e->containers);
    return lock_path(path, ret_fd, err);
}

/* Call fn for each container directory that holds a record (unlocked read). */
static int each_record(const struct engine *e, int (*fn)(json_t *j, void *ud), void *ud,
                       struct hk_error *err)
{
    DIR *d = opendir(e->containers);
    if (!d)
        return errno == ENOENT ? 0 : hk_error_errno(err, -errno, "read '%s'", e->containers);
    struct dirent *de;
    int r = 0;
    while (r == 0 && (de = readdir(d))) {
        if (!record_is_full_id(de->d_name))
            continue;
        struct record *rec = NULL;
        if (record_open(e, de->d_name, false, &rec, NULL) < 0)
            continue;
        r = fn(rec->j, ud);
        record_free(rec);
    }
    closedir(d);
    return r;
}

struct find {
    const char *name;
    char *id;
};

static int match_name(json_t *j, void *ud)
{
    struct find *f = ud;
    const char *n = json_string_value(json_object_get(j, "Name"));
    if (n && n[0] == '/' && strcmp(n + 1, f->name) == 0) {
        f->id = xstrdup(json_string_value(json_object_get(j, "Id")));
        return 1;
    }
    return 0;
}

char *record_find_name(const struct engine *e, const char *name)
{
    struct find f = {.name = name[0] == '/' ? name + 1 : name};
    each_record(e, match_name, &f, NULL);
    return f.id;
}

int record_resolve(const struct engine *e, const char *ref, char **ret_id, struct hk_error *err)
{
    if (!ref[0])
        return hk_error_set(err, -ENOENT, "No such container: %s", ref);
    _cleanup_free_ char *dir = engine_dir(e, ref);
    if (record_is_full_id(ref) && path_exists(dir)) {
        *ret_id = xstrdup(ref);
        return 0;
    }
    char *byname = record_find_name(e, ref);
    if (byname) {
        *ret_id = byname;
        return 0;
    }
    size_t n = strlen(ref);
    _cleanup_free_ char *found = NULL;
    DIR *d = opendir(e->containers);
    if (!d)
        return hk_error_set(err, -ENOENT, "No such container: %s", ref);
    struct dirent *de;
    int r = 0;
    while ((de = readdir(d))) {
        if (!record_is_full_id(de->d_name) || strncmp(de->d_name, ref, n) != 0)
            continue;
        if (found) {
            r = hk_error_set(err, -EINVAL, "multiple containers found with provided prefix: %s",
                             ref);
            break;
        }
        found = xstrdup(de->d_name);
    }
    closedir(d);
    if (r < 0)
        return r;
    if (!found)
        return hk_error_set(err, -ENOENT, "No such container: %s", ref);
    *ret_id = TAKE_PTR(found);
    return 0;
}

int record_create(const struct engine *e, json_t *j, struct record **ret, struct hk_error *err)
{
    const char *id = json_string_value(json_object_get(j, "Id"));
    const char *name = json_string_value(json_object_get(j, "Name"));
    _cleanup_close_ int lock = -1;
    int r = record_names_lock(e, &lock, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *other = record_find_name(e, name);
    if (other)
        return hk_error_set(err, -EEXIST,
                            "Conflict. The container name \"%s\" is already in use by container "
                            "\"%s\". You have to remove (or rename) that container to be able to "
                            "reuse that name.",
                            name, other);
    struct record *rec = xcalloc(1, sizeof(*rec));
    rec->id = xstrdup(id);
    rec->dir = engine_dir(e, id);
    rec->dirfd = -1;
    rec->j = json_incref(j);
    if (mkdir(rec->dir, 0700) < 0) {
        r = hk_error_errno(err, -errno, "create '%s'", rec->dir);
    } else {
        rec->dirfd = open(rec->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rec->dirfd < 0 || flock(rec->dirfd, LOCK_EX) < 0)
            r = hk_error_errno(err, -errno, "open '%s'", rec->dir);
    }
    failpoint("record-dir");
    /* a --rm container is gone after its exit anyway: no need to wait for the disk */
    if (r == 0)
        r = save(rec, !json_is_true(json_object_get(json_object_get(j, "HostConfig"),
                                                    "AutoRemove")),
                 err);
    if (r < 0) {
        rm_rf(rec->dir);
        record_free(rec);
        return r;
    }
    *ret = rec;
    return 0;
}

struct holder {
    const char *image;
    char *who;
};

static int match_image(json_t *j, void *ud)
{
    struct holder *h = ud;
    const char *img = json_string_value(json_object_get(j, "Image"));
    if (!img || strcmp(img, h->image) != 0)
        return 0;
    h->who = xasprintf("container %.12s", json_string_value(json_object_get(j, "Id")) ?: "?");
    return 1;
}

int record_image_holders(const char *image_id, void *ud, char **ret_holder)
{
    _cleanup_free_ char *dir = xasprintf("%s/containers", (const char *)ud);
    struct engine e = {.containers = dir};
    struct holder h = {.image = image_id};
    each_record(&e, match_image, &h, NULL);
    if (!h.who)
        return 0;
    if (ret_holder)
        *ret_holder = h.who;
    else
        free(h.who);
    return 1;
}

static int collect(json_t *j, void *ud)
{
    json_array_append(ud, j);
    return 0;
}

static int by_created_desc(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "Created"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "Created"));
    return strcmp(y ? y : "", x ? x : "");
}

int record_list(const struct engine *e, json_t **ret, struct hk_error *err)
{
    engine_sweep(e);
    _cleanup_json_ json_t *raw = json_array();
    int r = each_record(e, collect, raw, err);
    if (r < 0)
        return r;
    size_t n = json_array_size(raw);
    json_t **v = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_array_get(raw, i);
        const char *id = json_string_value(json_object_get(j, "Id"));
        struct record *rec = NULL;
        /* A record that says running with its monitor gone is repaired (under its lock). */
        const char *s = record_status(j);
        bool live = strcmp(s, "running") == 0 || strcmp(s, "paused") == 0 ||
                    strcmp(s, "restarting") == 0;
        if (live && !record_monitor_alive(j) && id && record_open(e, id, true, &rec, NULL) == 0) {
            record_refresh(e, rec);
            v[i] = json_incref(rec->j);
            record_free(rec);
        } else {
            v[i] = json_incref(j);
        }
        /* a --rm container whose monitor died: removed as the monitor would have */
        if (id && engine_auto_remove_due(v[i]) && engine_remove_dir(e, id, NULL) == 0)
            v[i] = (json_decref(v[i]), NULL);
    }
    qsort(v, n, sizeof(*v), by_created_desc);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        if (v[i])
            json_array_append_new(out, v[i]);
    free(v);
    *ret = out;
    return 0;
}

bool record_monitor_alive(const json_t *j)
{
    json_t *h = json_object_get(j, "Hako");
    json_int_t pid = json_integer_value(json_object_get(h, "MonitorPid"));
    json_int_t start = json_integer_value(json_object_get(h, "MonitorStart"));
    if (pid <= 0)
        return false;
    unsigned long long now;
    char st;
    return proc_start_time((pid_t)pid, &now, &st) == 0 && (json_int_t)now == start &&
           st != 'Z' && st != 'X';
}

bool record_refresh(const struct engine *e, struct record *r)
{
    const char *s = record_status(r->j);
    bool live = strcmp(s, "running") == 0 || strcmp(s, "paused") == 0 ||
                strcmp(s, "restarting") == 0;
    if (!live || record_monitor_alive(r->j))
        return false;
    /* The monitor is gone: it cannot record the exit. What the runtime still has of the
     * container (an init we are not the parent of, its cgroup) goes now. */
    json_t *st = NULL;
    bool was_running = container_state(&e->rt, r->id, &st, NULL) == 0 &&
                       strcmp(json_string_value(json_object_get(st, "status")), "stopped") != 0;
    json_decref(st);
    struct hk_error derr = {0};
    if (container_delete(&e->rt, r->id, true, &derr) < 0 && derr.code != -ENOENT)
        log_debug("refresh %.12s: %s", r->id, hk_error_msg(&derr));
    json_t *hk = json_object_get(r->j, "Hako");
    json_int_t mpid = json_integer_value(json_object_get(hk, "MonitorPid"));
    _cleanup_free_ char *why = xasprintf("the container's monitor (pid %lld) is gone",
                                         (long long)mpid);
    record_set_exited(r->j, was_running ? 137 : 255, false, why);
    net_release(e, r->id, r->j);
    json_object_set_new(hk, "MonitorPid", json_integer(0));
    record_save(r, NULL);
    return true;
}

const char *record_status(const json_t *j)
{
    const char *s = json_string_value(json_object_get(json_object_get(j, "State"), "Status"));
    return s ? s : "created";
}

static json_t *state_of(json_t *j)
{
    json_t *st = json_object_get(j, "State");
    if (!st) {
        st = json_object();
        json_object_set_new(j, "State", st);
    }
    return st;
}

void record_set_status(json_t *j, const char *status)
{
    json_t *st = state_of(j);
    json_object_set_new(st, "Status", json_string(status));
    json_object_set_new(st, "Running", json_boolean(strcmp(status, "running") == 0 ||
                                                    strcmp(status, "paused") == 0));
    json_object_set_new(st, "Paused", json_boolean(strcmp(status, "paused") == 0));
    json_object_set_new(st, "Restarting", json_boolean(strcmp(status, "restarting") == 0));
    json_object_set_new(st, "Dead", json_boolean(strcmp(status, "dead") == 0));
}

void record_set_running(json_t *j, int pid)
{
    char now[64];
    json_t *st = state_of(j);
    record_set_status(j, "running");
    json_object_set_new(st, "Pid", json_integer(pid));
    json_object_set_new(st, "ExitCode", json_integer(0));
    json_object_set_new(st, "OOMKilled", json_false());
    json_object_set_new(st, "Error", json_string(""));
    json_object_set_new(st, "StartedAt", json_string(rfc3339_now(now, sizeof(now))));
    json_object_set_new(st, "FinishedAt", json_string("0001-01-01T00:00:00Z"));
}

void record_set_exited(json_t *j, int exit_code, bool oom, const char *error)
{
    char now[64];
    json_t *st = state_of(j);
    record_set_status(j, "exited");
    json_object_set_new(st, "Pid", json_integer(0));
    json_object_set_new(st, "ExitCode", json_integer(exit_code));
    json_object_set_new(st, "OOMKilled", json_boolean(oom));
    json_object_set_new(st, "Error", json_string(error ? error : ""));
    json_object_set_new(st, "FinishedAt", json_string(rfc3339_now(now, sizeof(now))));
    /* docker: a healthcheck whose monitor stopped says unhealthy */
    json_t *health = json_object_get(st, "Health");
    if (json_is_object(health))
        json_object_set_new(health, "Status", json_string("unhealthy"));
}
