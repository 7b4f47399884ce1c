/* volume.c — the local volume driver: records, locking, create/rm/prune, copy-up. */
#include "engine/volume.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/names.h"
#include "image/rootfs.h"
#include "runtime/state.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/path.h"

#define ANON_LABEL "com.docker.volume.anonymous"

static char *volumes_dir(const struct engine *e)
{
    return xasprintf("%s/volumes", e->root);
}

int volume_check_name(const char *name, struct hk_error *err)
{
    if (strlen(name) == 1)
        return hk_error_set(err, -EINVAL, "create %s: volume name is too short, names should be "
                                          "at least two alphanumeric characters", name);
    bool ok = name[0] && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                                name[0]);
    for (const char *p = name + 1; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '_' || *p == '.' || *p == '-';
    if (!ok)
        return hk_error_set(err, -EINVAL, "create %s: \"%s\" includes invalid characters for a "
                                          "local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" "
                                          "are allowed. If you intended to pass a host directory, "
                                          "use absolute path", name, name);
    return 0;
}

int volume_lock(const struct engine *e, int *ret_fd, struct hk_error *err)
{
    _cleanup_free_ char *dir = volumes_dir(e);
    _cleanup_free_ char *path = xasprintf("%s/.lock", dir);
    if (mkdir_p(dir, 0701) < 0)
        return hk_error_errno(err, -errno, "create '%s'", dir);
    return lock_path(path, ret_fd, err);
}

int volume_get(const struct engine *e, const char *name, json_t **ret, struct hk_error *err)
{
    if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return hk_error_set(err, -ENOENT, "get %s: no such volume", name);
    _cleanup_free_ char *path = xasprintf("%s/volumes/%s/volume.json", e->root, name);
    json_t *j = NULL;
    struct hk_error local = {0};
    int r = json_load_file_text(path, 1 << 20, &j, NULL, &local);
    if (r == -ENOENT)
        return hk_error_set(err, -ENOENT, "get %s: no such volume", name);
    if (r < 0) {
        if (err)
            *err = local;
        return r;
    }
    *ret = j;
    return 0;
}

/* Driver options as docker checks them: type, device, o (and nothing else). */
static int check_opts(const json_t *opts, struct hk_error *err)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)opts, k, v)
    {
        if (strcmp(k, "type") && strcmp(k, "device") && strcmp(k, "o") && strcmp(k, "size"))
            return hk_error_set(err, -EINVAL, "invalid option key: \"%s\"", k);
    }
    const char *type = json_string_value(json_object_get(opts, "type"));
    const char *dev = json_string_value(json_object_get(opts, "device"));
    if (json_object_size(opts) && (!type || !type[0]))
        return hk_error_set(err, -EINVAL, "missing required option: \"type\"");
    if (type && strcmp(type, "tmpfs") != 0 && (!dev || !dev[0]))
        return hk_error_set(err, -EINVAL, "missing required option: \"device\"");
    const char *o = json_string_value(json_object_get(opts, "o"));
    if (type && strcmp(type, "none") == 0 && !(o && strstr(o, "bind")))
        return hk_error_set(err, -EINVAL, "type none needs o=bind (a bind mount of device)");
    if (type && strcmp(type, "none") == 0 && dev[0] != '/')
        return hk_error_set(err, -EINVAL, "device %s: a bind needs an absolute host path", dev);
    return 0;
}

int volume_create_locked(const struct engine *e, const char *name, const json_t *labels,
                         const json_t *opts, json_t **ret_vol, bool *ret_created,
                         struct hk_error *err)
{
    char anon[NAMES_ID_LEN + 1];
    int r = 0;
    if (!name) {
        r = names_new_id(anon, err);
        if (r < 0)
            return r;
        name = anon;
    } else if ((r = volume_check_name(name, err)) < 0) {
        return r;
    }
    if (ret_created)
        *ret_created = false;
    if (volume_get(e, name, ret_vol, NULL) == 0)
        return 0;
    r = check_opts(opts, err);
    if (r < 0)
        return hk_error_prefix(err, r, "create %s", name);
    _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", e->root, name);
    _cleanup_free_ char *data = xasprintf("%s/_data", dir);
    if (mkdir_p(data, 0755) < 0)
        return hk_error_errno(err, -errno, "create %s: mkdir '%s'", name, data);
    char now[64];
    json_t *lab = labels ? json_deep_copy(labels) : json_object();
    if (name == anon)
        json_object_set_new(lab, ANON_LABEL, json_string(""));
    _cleanup_json_ json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s}", "CreatedAt",
                                         rfc3339_now(now, sizeof(now)), "Driver", "local",
                                         "Mountpoint", data, "Name", name, "Labels", lab,
                                         "Options", opts ? json_deep_copy(opts) : json_object(),
                                         "Scope", "local");
    _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2));
    _cleanup_free_ char *path = xasprintf("%s/volume.json", dir);
    r = write_file_atomic(path, text, strlen(text), 0600, err);
    if (r < 0) {
        rm_rf(dir);
        return hk_error_prefix(err, r, "create %s", name);
    }
    *ret_vol = json_incref(j);
    if (ret_created)
        *ret_created = true;
    return 0;
}

int volume_create(const struct engine *e, const char *name, const json_t *labels,
                  const json_t *opts, json_t **ret_vol, bool *ret_created, struct hk_error *err)
{
    _cleanup_close_ int lock = -1;
    int r = volume_lock(e, &lock, err);
    return r < 0 ? r : volume_create_locked(e, name, labels, opts, ret_vol, ret_created, err);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "Name")),
                  json_string_value(json_object_get(*(json_t *const *)b, "Name")));
}

int volume_list(const struct engine *e, json_t **ret, struct hk_error *err)
{
    _cleanup_free_ char *dir = volumes_dir(e);
    json_t *list = json_array();
    DIR *d = opendir(dir);
    if (!d && errno != ENOENT) {
        json_decref(list);
        return hk_error_errno(err, -errno, "read '%s'", dir);
    }
    struct dirent *de;
    while (d && (de = readdir(d))) {
        json_t *v = NULL;
        if (de->d_name[0] != '.' && volume_get(e, de->d_name, &v, NULL) == 0 &&
            json_is_string(json_object_get(v, "Name")))
            json_array_append_new(list, v);
        else
            json_decref(v);
    }
    if (d)
        closedir(d);
    size_t n = json_array_size(list);
    json_t **v = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(list, i));
    qsort(v, n, sizeof(*v), cmp_name);
    json_array_clear(list);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, v[i]);
    free(v);
    *ret = list;
    return 0;
}

json_t *volume_users(const struct engine *e, const char *name)
{
    json_t *ids = json_array(), *recs = NULL;
    if (record_list(e, &recs, NULL) < 0)
        return ids;
    size_t i, k;
    json_t *c, *m;
    json_array_foreach(recs, i, c)
    {
        json_array_foreach(json_object_get(c, "Mounts"), k, m)
        {
            const char *n = json_string_value(json_object_get(m, "Name"));
            if (n && strcmp(n, name) == 0) {
                json_array_append(ids, json_object_get(c, "Id"));
                break;
            }
        }
    }
    json_decref(recs);
    return ids;
}

int volume_remove(const struct engine *e, const char *name, bool locked, struct hk_error *err)
{
    _cleanup_close_ int lock = -1;
    int r = locked ? 0 : volume_lock(e, &lock, err);
    if (r < 0)
        return r;
    _cleanup_json_ json_t *v = NULL;
    r = volume_get(e, name, &v, err);
    if (r < 0)
        return r;
    _cleanup_json_ json_t *users = volume_users(e, name);
    if (json_array_size(users)) {
        _cleanup_free_ char *ids = xstrdup("");
        size_t i;
        json_t *u;
        json_array_foreach(users, i, u)
        {
            char *n = xasprintf("%s%s%s", ids, i ? ", " : "", json_string_value(u));
            free(ids);
            ids = n;
        }
        return hk_error_set(err, -EBUSY, "remove %s: volume is in use - [%s]", name, ids);
    }
    _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", e->root, name);
    _cleanup_free_ char *rec = xasprintf("%s/volume.json", dir);
    /* The record goes first: a crash after it leaves a directory no one lists. */
    if (unlink(rec) < 0 && errno != ENOENT)
        return hk_error_errno(err, -errno, "remove %s", name);
    r = rm_rf(dir);
    return r < 0 ? hk_error_errno(err, r, "remove %s: '%s'", name, dir) : 0;
}

static long long size_at(int dfd)
{
    long long total = 0;
    struct stat root;
    if (fstat(dfd, &root) < 0)
        return 0;
    int fd = dup(dfd);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != root.st_dev)
            continue;
        if (S_ISDIR(st.st_mode)) {
            _cleanup_close_ int sub =
                openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                total += size_at(sub);
        } else if (S_ISREG(st.st_mode)) {
            total += (long long)st.st_size;
        }
    }
    closedir(d);
    return total;
}

long long volume_dir_size(const char *dir)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return fd < 0 ? 0 : size_at(fd);
}

/* "label=K", "label=K=V" (label!=... negated) against the volume's labels. */
static bool label_match(const json_t *vol, const char *want)
{
    const char *eq = strchr(want, '=');
    _cleanup_free_ char *k = eq ? strndup(want, (size_t)(eq - want)) : xstrdup(want);
    const char *have = json_string_value(json_object_get(json_object_get(vol, "Labels"), k));
    return have && (!eq || strcmp(have, eq + 1) == 0);
}

int volume_filter_match(const struct engine *e, const json_t *vol, const json_t *filters,
                        bool *ret, struct hk_error *err)
{
    /* docker: filters of one key are ORed, different keys ANDed; but label= and label!= all
     * must hold (its MatchKVList). */
    static const char *const keys[] = {"name", "label", "label!", "dangling", "driver"};
    bool seen[ELEMENTSOF(keys)] = {0}, hit[ELEMENTSOF(keys)] = {0}, miss[ELEMENTSOF(keys)] = {0};
    const char *name = json_string_value(json_object_get(vol, "Name"));
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *s = json_string_value(f);
        const char *eq = strchr(s, '=');
        size_t kl = eq ? (size_t)(eq - s) : strlen(s);
        const char *val = eq ? eq + 1 : "";
        size_t k = 0;
        while (k < ELEMENTSOF(keys) && (strlen(keys[k]) != kl || strncmp(keys[k], s, kl) != 0))
            k++;
        if (k == ELEMENTSOF(keys))
            return hk_error_set(err, -EINVAL, "Invalid filter '%.*s'", (int)kl, s);
        seen[k] = true;
        bool m = false;
        if (k == 0) {
            m = strstr(name, val) != NULL;
        } else if (k == 1 || k == 2) {
            m = label_match(vol, val);
            if (k == 2)
                m = !m;
        } else if (k == 3) {
            if (strcmp(val, "true") && strcmp(val, "1") && strcmp(val, "false") && strcmp(val, "0"))
                return hk_error_set(err, -EINVAL, "invalid filter 'dangling=%s'", val);
            _cleanup_json_ json_t *users = volume_users(e, name);
            bool dangling = json_array_size(users) == 0;
            m = dangling == (strcmp(val, "true") == 0 || strcmp(val, "1") == 0);
        } else {
            m = strcmp(val, "local") == 0;
        }
        hit[k] |= m;
        miss[k] |= !m;
    }
    *ret = true;
    for (size_t k = 0; k < ELEMENTSOF(keys); k++)
        if (seen[k] && (!hit[k] || ((k == 1 || k == 2) && miss[k])))
            *ret = false;
    return 0;
}

int volume_prune(const struct engine *e, bool all, const json_t *filters, json_t **ret_removed,
                 long long *ret_bytes, struct hk_error *err)
{
    _cleanup_close_ int lock = -1;
    int r = volume_lock(e, &lock, err);
    _cleanup_json_ json_t *list = NULL;
    if (r == 0)
        r = volume_list(e, &list, err);
    if (r < 0)
        return r;
    json_t *removed = json_array();
    long long bytes = 0;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        bool match = true;
        r = volume_filter_match(e, v, filters, &match, err);
        if (r < 0) {
            json_decref(removed);
            return r;
        }
        const char *name = json_string_value(json_object_get(v, "Name"));
        bool anon = json_object_get(json_object_get(v, "Labels"), ANON_LABEL) != NULL;
        if (!match || (!all && !anon))
            continue;
        long long sz = volume_dir_size(json_string_value(json_object_get(v, "Mountpoint")));
        if (volume_remove(e, name, true, NULL) == 0) {
            json_array_append_new(removed, json_string(name));
            bytes += sz;
        }
    }
    *ret_removed = removed;
    *ret_bytes = bytes;
    return 0;
}

json_t *volume_oci_mount(const json_t *vol, const char *dest, bool ro, const char *propagation)
{
    const json_t *opts = json_object_get(vol, "Options");
    const char *type = json_string_value(json_object_get(opts, "type"));
    const char *dev = json_string_value(json_object_get(opts, "device"));
    const char *o = json_string_value(json_object_get(opts, "o"));
    json_t *options = json_array();
    bool bind = !type || strcmp(type, "none") == 0;
    if (bind) {
        bool rec = !type || (o && strstr(o, "rbind"));
        json_array_append_new(options, json_string(rec ? "rbind" : "bind"));
        json_array_append_new(options, json_string(propagation && propagation[0] ? propagation
                                                                                 : "rprivate"));
    } else {
        json_array_append_new(options, json_string("nosuid"));
        json_array_append_new(options, json_string("nodev"));
    }
    _cleanup_free_ char *copy = xstrdup(o ? o : "");
    for (char *p = copy, *save = NULL, *t; (t = strtok_r(p, ",", &save)); p = NULL)
        if (!bind || (strcmp(t, "bind") && strcmp(t, "rbind")))
            json_array_append_new(options, json_string(t));
    if (ro)
        json_array_append_new(options, json_string("ro"));
    const char *src = !type ? json_string_value(json_object_get(vol, "Mountpoint"))
                            : dev && dev[0] ? dev : type;
    return json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", bind ? "bind" : type,
                     "source", src, "options", options);
}

static bool dir_empty(int fd)
{
    int d2 = dup(fd);
    DIR *d = d2 < 0 ? NULL : fdopendir(d2);
    if (!d) {
        if (d2 >= 0)
            close(d2);
        return false;
    }
    struct dirent *de;
    bool empty = true;
    while (empty && (de = readdir(d)))
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    return empty;
}

int volume_copy_up(const json_t *vol, int rootfd, const char *dest, struct hk_error *err)
{
    if (json_object_size(json_object_get(vol, "Options")))
        return 0; /* mounted from its options, not from _data */
    const char *data = json_string_value(json_object_get(vol, "Mountpoint"));
    _cleanup_close_ int dst = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dst < 0)
        return hk_error_errno(err, -errno, "volume '%s'", data);
    if (!dir_empty(dst))
        return 0;
    /* Resolved inside the rootfs: an image's symlink on the way (or at dest) cannot lead the
     * copy to a host directory. */
    _cleanup_close_ int src = open_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY, 0, 0);
    if (src < 0)
        return 0; /* nothing there (or not a directory): nothing to copy */
    const char *name = json_string_value(json_object_get(vol, "Name"));
    int r = rootfs_copy_tree(src, dst, err);
    if (r < 0)
        return hk_error_prefix(err, r, "copy the image's '%s' into volume %s", dest, name);
    struct stat st;
    if (fstat(src, &st) == 0 &&
        (fchown(dst, st.st_uid, st.st_gid) < 0 || fchmod(dst, st.st_mode & 07777) < 0))
        return hk_error_errno(err, -errno, "copy the image's '%s' into volume %s", dest, name);
    return 0;
}
