#include "runtime/state.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "oci/spec.h"
#include "runtime/cgroup.h"
#include "util/fs.h"
#include "util/json.h"

static const char *const status_names[] = {
    [STATUS_CREATING] = "creating", [STATUS_CREATED] = "created", [STATUS_RUNNING] = "running",
    [STATUS_PAUSED] = "paused",     [STATUS_STOPPED] = "stopped",
};

const char *status_name(enum container_status s)
{
    return status_names[s];
}

int state_check_id(const char *id, struct hk_error *err)
{
    size_t n = strlen(id);
    if (n == 0 || n > 1024)
        return hk_error_set(err, -EINVAL, "invalid container id '%s': must be 1 to 1024 characters",
                            id);
    if (id[0] == '.')
        return hk_error_set(err, -EINVAL, "invalid container id '%s': must not start with '.'",
                            id);
    for (const char *p = id; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              strchr("_.+-", *p)))
            return hk_error_set(err, -EINVAL,
                                "invalid container id '%s': only letters, digits and _ . + - "
                                "are allowed",
                                id);
    return 0;
}

int state_root_open(const char *root, int *ret_fd, struct hk_error *err)
{
    int r = mkdir_p(root, 0700);
    if (r < 0)
        return hk_error_errno(err, r, "create state directory '%s'", root);
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(err, -errno, "open state directory '%s'", root);
    *ret_fd = fd;
    return 0;
}

int state_dir_open(int rootfd, const char *id, int *ret_fd, struct hk_error *err)
{
    int r = state_check_id(id, err);
    if (r < 0)
        return r;
    _cleanup_close_ int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return hk_error_set(err, -ENOENT, "container '%s' does not exist", id);
        return hk_error_errno(err, -errno, "open state of container '%s'", id);
    }
    if (flock(fd, LOCK_EX) < 0)
        return hk_error_errno(err, -errno, "lock container '%s'", id);
    /* The directory may have been removed while we waited for the lock. */
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_nlink == 0)
        return hk_error_set(err, -ENOENT, "container '%s' does not exist", id);
    *ret_fd = TAKE_FD(fd);
    return 0;
}

static char *str_field(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? xstrdup(s) : NULL;
}

/* An integer field of state.json in [0, max]; absent reads as 0. */
static int int_field(const json_t *j, const char *key, json_int_t max, json_int_t *ret,
                     struct hk_error *err)
{
    json_t *v = json_object_get(j, key);
    *ret = 0;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return hk_error_set(err, -EINVAL, "state.json: %s: expected an integer in [0, %lld]", key,
                            (long long)max);
    *ret = json_integer_value(v);
    return 0;
}

int state_parse(const char *text, size_t len, struct container_state **ret, struct hk_error *err)
{
    json_error_t jerr;
    _cleanup_json_ json_t *j = json_loadb(text, len, 0, &jerr);
    if (!j)
        return hk_error_set(err, -EINVAL, "state.json:%d: %s", jerr.line, jerr.text);
    if (!json_is_object(j))
        return hk_error_set(err, -EINVAL, "state.json: expected a JSON object");
    json_t *h = json_object_get(j, "hako");
    json_int_t pid, start;
    int r = int_field(j, "pid", INT32_MAX, &pid, err);
    if (r == 0)
        r = int_field(h, "pid_start", INT64_MAX, &start, err);
    if (r < 0)
        return r;
    struct container_state *st = xcalloc(1, sizeof(*st));
    st->id = str_field(j, "id");
    st->pid = (pid_t)pid;
    st->bundle = str_field(j, "bundle");
    st->rootfs = str_field(j, "rootfs");
    st->created = str_field(j, "created");
    st->owner = str_field(j, "owner");
    st->pid_start = (unsigned long long)start;
    st->systemd_cgroup = json_is_true(json_object_get(h, "systemd_cgroup"));
    st->annotations = json_incref(json_object_get(j, "annotations"));
    st->cgroup = json_incref(json_object_get(h, "cgroup"));
    if (!st->id || !st->bundle) {
        state_free(st);
        return hk_error_set(err, -EINVAL, "state.json: missing id or bundle");
    }
    r = state_check_id(st->id, err);
    if (r < 0) {
        state_free(st);
        return hk_error_prefix(err, r, "state.json");
    }
    *ret = st;
    return 0;
}

int state_load(int dirfd, struct container_state **ret, struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_file_at(dirfd, "state.json", STATE_MAX_BYTES, &text, &len, err);
    if (r == -ENOENT)
        return hk_error_set(err, -ENODATA, "its state is incomplete (left by a create that "
                                           "was interrupted)");
    if (r < 0)
        return r;
    return state_parse(text, len, ret, err);
}

int state_save(int dirfd, const struct container_state *st, struct hk_error *err)
{
    _cleanup_json_ json_t *j = json_pack(
        "{s:s,s:s,s:I,s:s,s:s?,s:s,s:s,s:O?,s:{s:I,s:b,s:O?}}", "ociVersion", OCI_VERSION, "id",
        st->id, "pid", (json_int_t)st->pid, "bundle", st->bundle, "rootfs", st->rootfs, "created",
        st->created, "owner", st->owner ? st->owner : "", "annotations", st->annotations, "hako",
        "pid_start", (json_int_t)st->pid_start, "systemd_cgroup", st->systemd_cgroup, "cgroup",
        st->cgroup);
    if (!j)
        return hk_error_set(err, -EINVAL, "cannot encode state.json");
    _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d/state.json", dirfd);
    return write_file_replace(path, text, strlen(text), 0600, err);
}

struct container_state *state_free(struct container_state *st)
{
    if (!st)
        return NULL;
    free(st->id);
    free(st->bundle);
    free(st->rootfs);
    free(st->created);
    free(st->owner);
    json_decref(st->annotations);
    json_decref(st->cgroup);
    free(st);
    return NULL;
}

json_t *state_to_oci_json(const struct container_state *st, enum container_status status)
{
    json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s?,s:s?,s:s}", "ociVersion", OCI_VERSION, "id",
                          st->id, "status", status_name(status), "pid",
                          (json_int_t)(status == STATUS_STOPPED ? 0 : st->pid), "bundle",
                          st->bundle, "rootfs", st->rootfs, "created", st->created, "owner",
                          st->owner ? st->owner : "");
    if (st->annotations && json_object_size(st->annotations))
        json_object_set(j, "annotations", st->annotations);
    return j;
}

int proc_start_time(pid_t pid, unsigned long long *ret, char *ret_state)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int r = read_str_at(AT_FDCWD, path, buf, sizeof(buf));
    if (r < 0)
        return r == -ENOENT ? -ESRCH : r;
    /* comm may hold spaces and parentheses: the fields start after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -EINVAL;
    p += 2;
    if (ret_state)
        *ret_state = *p;
    /* field 3 is the state; starttime is field 22 → 19 more fields after the state */
    for (int i = 0; i < 19; i++) {
        p = strchr(p, ' ');
        if (!p)
            return -EINVAL;
        p++;
    }
    *ret = strtoull(p, NULL, 10);
    return 0;
}

enum container_status state_status(int dirfd, const struct container_state *st)
{
    unsigned long long start;
    char pstate = '?';
    if (st->pid <= 0 || proc_start_time(st->pid, &start, &pstate) < 0 || start != st->pid_start ||
        pstate == 'Z' || pstate == 'X')
        return STATUS_STOPPED;
    if (faccessat(dirfd, "exec.sock", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return STATUS_CREATED;
    if (st->cgroup) {
        struct cgroup_manager *m = NULL;
        if (cgroup_from_json(st->cgroup, &m, NULL) == 0) {
            bool frozen = cgroup_is_frozen(m);
            cgroup_manager_free(m);
            if (frozen)
                return STATUS_PAUSED;
        }
    }
    return STATUS_RUNNING;
}

int state_pidfd(const struct container_state *st, int *ret_fd)
{
    if (st->pid <= 0)
        return -ESRCH;
    int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
    if (fd < 0)
        return -errno;
    /* The pidfd pins the process: if the start time matches now, it is our init. */
    unsigned long long start;
    char pstate;
    if (proc_start_time(st->pid, &start, &pstate) < 0 || start != st->pid_start) {
        close(fd);
        return -ESRCH;
    }
    *ret_fd = fd;
    return 0;
}

char *rfc3339_now(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
    return buf;
}
