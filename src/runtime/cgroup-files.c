/* cgroup-files.c — reading and writing cgroupfs files, stats JSON helpers, and the unit
 * conversions between cgroup v1 and v2 values. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/cgroup-internal.h"
#include "util/fs.h"

int cg_write(const char *dir, const char *file, const char *value, struct hk_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
    int r = write_str(path, value);
    if (r < 0)
        return hk_error_errno(err, r, "write %s", path);
    return 0;
}

int cg_writef(const char *dir, const char *file, struct hk_error *err, const char *fmt, ...)
{
    _cleanup_free_ char *value = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (n < 0)
        return hk_error_errno(err, -ENOMEM, "format %s", file);
    return cg_write(dir, file, value, err);
}

int cg_read(const char *dir, const char *file, char **ret, struct hk_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
    char *buf = NULL;
    size_t len = 0;
    int r = read_file(path, 1 << 20, &buf, &len, NULL);
    if (r < 0)
        return hk_error_errno(err, r, "read %s", path);
    while (len > 0 && buf[len - 1] == '\n')
        buf[--len] = '\0';
    *ret = buf;
    return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *ret)
{
    _cleanup_free_ char *s = NULL;
    int r = cg_read(dir, file, &s, NULL);
    if (r < 0)
        return r;
    if (strcmp(s, "max") == 0) {
        *ret = UINT64_MAX;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || (*end && *end != '\n'))
        return -EINVAL;
    *ret = v;
    return 0;
}

int cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *ret)
{
    _cleanup_free_ char *s = NULL;
    int r = cg_read(dir, file, &s, NULL);
    if (r < 0)
        return r;
    size_t klen = strlen(key);
    for (char *line = s; line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            *ret = strtoull(line + klen + 1, NULL, 10);
            return 0;
        }
        line = nl ? nl + 1 : NULL;
    }
    return -ENOENT;
}

int cg_read_count(const char *dir, const char *file, const char *key, unsigned long *ret,
                  struct hk_error *err)
{
    uint64_t v = 0;
    int r = cg_read_keyed(dir, file, key, &v);
    if (r < 0)
        return hk_error_errno(err, r, "read %s/%s (%s)", dir, file, key);
    *ret = (unsigned long)v;
    return 0;
}

bool cg_has(const char *dir, const char *file)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

static int read_procs_into(const char *dir, bool recursive, pid_t **v, size_t *n,
                           struct hk_error *err)
{
    _cleanup_free_ char *s = NULL;
    int r = cg_read(dir, "cgroup.procs", &s, err);
    if (r < 0)
        return r == -ENOENT && *n > 0 ? 0 : r; /* a sub-cgroup may vanish while we walk */
    for (char *p = s, *end; *p; p = end) {
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 0) {
            *v = xrealloc(*v, (*n + 1) * sizeof(pid_t));
            (*v)[(*n)++] = (pid_t)pid;
        }
    }
    if (!recursive)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : hk_error_errno(err, -errno, "open %s", dir);
    struct dirent *de;
    while ((r = 0, de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
        r = read_procs_into(sub, true, v, n, err);
        if (r < 0)
            break;
    }
    closedir(d);
    return r;
}

int cg_read_pids(const char *dir, bool recursive, pid_t **ret, size_t *ret_n,
                 struct hk_error *err)
{
    pid_t *v = NULL;
    size_t n = 0;
    int r = read_procs_into(dir, recursive, &v, &n, err);
    if (r < 0) {
        free(v);
        return r;
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

json_t *js_obj(json_t *parent, const char *key)
{
    json_t *o = json_object_get(parent, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(parent, key, o);
    }
    return o;
}

void js_u64(json_t *o, const char *key, uint64_t v)
{
    json_object_set_new(o, key, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
}

void js_u64_nz(json_t *o, const char *key, uint64_t v)
{
    if (v)
        js_u64(o, key, v);
}

json_t *js_blkio_entry(uint64_t major, uint64_t minor, const char *op, uint64_t value)
{
    json_t *e = json_object();
    js_u64_nz(e, "major", major);
    js_u64_nz(e, "minor", minor);
    json_object_set_new(e, "op", json_string(op));
    js_u64_nz(e, "value", value);
    return e;
}

void cgroup_pids_stats(const struct cgroup_hier *h, json_t *stats)
{
    json_t *pids = js_obj(stats, "pids");
    uint64_t v = 0;
    if (cg_read_u64(h->dir, "pids.current", &v) == 0)
        js_u64_nz(pids, "current", v);
    if (cg_read_u64(h->dir, "pids.max", &v) == 0 && v != UINT64_MAX)
        js_u64_nz(pids, "limit", v);
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares <= 2)
        return 1;
    if (shares >= 262144)
        return 10000;
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_to_io_weight(uint64_t weight)
{
    if (weight == 0)
        return 0;
    if (weight < 10)
        weight = 10;
    return 1 + (weight - 10) * 9999 / 990;
}

const char *cgroup_io_max_line(char *buf, size_t size, const struct res_throttle_device *t,
                               enum res_throttle_kind kind)
{
    static const char *const keys[RES_THROTTLE_COUNT] = {"rbps", "wbps", "riops", "wiops"};
    if (t->rate == 0)
        snprintf(buf, size, "%" PRId64 ":%" PRId64 " %s=max", t->major, t->minor, keys[kind]);
    else
        snprintf(buf, size, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t->major, t->minor,
                 keys[kind], t->rate);
    return buf;
}

const char *cgroup_cpu_max(char *buf, size_t size, int64_t quota, uint64_t period)
{
    if (quota <= 0)
        snprintf(buf, size, "max %" PRIu64, period);
    else
        snprintf(buf, size, "%" PRId64 " %" PRIu64, quota, period);
    return buf;
}

int cgroup_swap_v2(int64_t limit, int64_t swap, bool limit_set, char *buf, size_t size,
                   bool *ret_set, struct hk_error *err)
{
    *ret_set = false;
    if (!limit_set)
        limit = 0;
    /* Memory unlimited and swap not given: unlimited too, as on v1 (runc does the same). */
    if (limit == -1 && swap == 0) {
        snprintf(buf, size, "max");
        *ret_set = true;
        return 0;
    }
    if (swap == 0)
        return 0;
    if (swap == -1) {
        snprintf(buf, size, "max");
        *ret_set = true;
        return 0;
    }
    if (limit <= 0)
        return hk_error_set(err, -EINVAL, "memory.swap needs memory.limit on cgroup v2");
    if (swap < limit)
        return hk_error_set(err, -EINVAL,
                            "memory.swap %" PRId64 " is below memory.limit %" PRId64, swap, limit);
    snprintf(buf, size, "%" PRId64, swap - limit);
    *ret_set = true;
    return 0;
}

char **cgroup_hugepage_sizes(void)
{
    char **v = xcalloc(1, sizeof(char *));
    size_t n = 0;
    DIR *d = opendir("/sys/kernel/mm/hugepages");
    if (!d)
        return v;
    struct dirent *de;
    while ((de = readdir(d))) {
        unsigned long kb;
        char tail[8], spelled[32], name[32];
        uint64_t bytes;
        if (sscanf(de->d_name, "hugepages-%lukB%7s", &kb, tail) != 1)
            continue;
        snprintf(spelled, sizeof(spelled), "%luKB", kb);
        if (resources_hugepage_size(spelled, &bytes, name, sizeof(name)) < 0)
            continue;
        v = xrealloc(v, (n + 2) * sizeof(char *));
        v[n++] = xstrdup(name);
        v[n] = NULL;
    }
    closedir(d);
    return v;
}
