/* busybox.c — the built-in default image, made offline from Debian's busybox-static: the
 * binary, a symlink per applet (`busybox --list-full`), /etc/passwd and /etc/group with root
 * and nobody, /tmp (1777) and empty /proc /sys /dev /root. Every byte derives from the binary
 * (entries sorted, times = the binary's mtime, owner root), so building twice gives the same
 * image ID, and a second build finds it present and does nothing. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image/busybox.h"
#include "image/entry.h"
#include "image/manifest.h"
#include "image/tarball.h"
#include "util/fs.h"
#include "util/proc.h"

#define BUSYBOX_MAX (64u << 20)
#define APPLETS_MAX (256u << 10)

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
static const char group[] = "root:x:0:\nnobody:x:65534:\n";

/* Run `busybox --list-full` and return its output (allocated). */
static int list_applets(const char *busybox, char **ret, struct hk_error *err)
{
    char *const argv[] = {(char *)busybox, "--list-full", NULL};
    _cleanup_free_ char *out = NULL;
    int r = proc_run_capture(argv, APPLETS_MAX, &out, err);
    if (r < 0 || !out[0])
        return hk_error_set(err, r < 0 ? r : -EIO,
                            "'%s --list-full' failed (is it busybox-static?)", busybox);
    *ret = TAKE_PTR(out);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Split the applet list into sorted, cleaned relative paths (without bin/busybox). */
static int applet_paths(char *list, char ***ret, size_t *ret_n, struct hk_error *err)
{
    size_t n = 0, cap = 512;
    char **v = xcalloc(cap, sizeof(char *));
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char *clean = NULL;
        if (entry_clean(line, &clean, err) < 0 || !*clean) {
            free(clean);
            for (size_t i = 0; i < n; i++)
                free(v[i]);
            free(v);
            return hk_error_set(err, -EINVAL, "busybox lists a strange applet path '%s'", line);
        }
        if (strcmp(clean, "bin/busybox") == 0 || n == cap) {
            free(clean);
            continue;
        }
        v[n++] = clean;
    }
    qsort(v, n, sizeof(char *), cmp_str);
    *ret = v;
    *ret_n = n;
    return 0;
}

static bool in_list(char **dirs, size_t n, const char *d)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(dirs[i], d) == 0)
            return true;
    return false;
}

/* The directories of the image: the fixed ones plus every applet's parents, sorted. */
static char **dir_list(char **applets, size_t n_applets, size_t *ret_n)
{
    static const char *const fixed[] = {"bin", "dev", "etc", "proc", "root", "sys", "tmp"};
    size_t n = 0;
    char **dirs = xcalloc(ELEMENTSOF(fixed) + 2 * n_applets + 1, sizeof(char *));
    for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
        dirs[n++] = xstrdup(fixed[i]);
    for (size_t i = 0; i < n_applets; i++) {
        _cleanup_free_ char *d = xstrdup(applets[i]);
        for (char *s = strchr(d, '/'); s; s = strchr(s + 1, '/')) {
            *s = '\0';
            if (!in_list(dirs, n, d))
                dirs[n++] = xstrdup(d);
            *s = '/';
        }
    }
    qsort(dirs, n, sizeof(char *), cmp_str);
    *ret_n = n;
    return dirs;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static mode_t dir_mode(const char *d)
{
    return strcmp(d, "tmp") == 0 ? 01777 : strcmp(d, "root") == 0 ? 0700 : 0755;
}

static int write_layer(struct tarball *t, const char *bin, size_t bin_len, char **applets,
                       size_t n_applets, time_t mtime, struct hk_error *err)
{
    size_t n_dirs;
    char **dirs = dir_list(applets, n_applets, &n_dirs);
    int r = 0;
    for (size_t i = 0; i < n_dirs && r == 0; i++)
        r = tarball_add_dir(t, dirs[i], dir_mode(dirs[i]), mtime, err);
    free_list(dirs, n_dirs);
    if (r == 0)
        r = tarball_add_data(t, "bin/busybox", 0755, mtime, bin, bin_len, err);
    if (r == 0)
        r = tarball_add_data(t, "etc/group", 0644, mtime, group, strlen(group), err);
    if (r == 0)
        r = tarball_add_data(t, "etc/passwd", 0644, mtime, passwd, strlen(passwd), err);
    for (size_t i = 0; i < n_applets && r == 0; i++)
        r = tarball_add_symlink(t, applets[i], "/bin/busybox", mtime, err);
    if (r == 0)
        r = tarball_close(t, err);
    return r;
}

static char *config_json(const char *diff_id, time_t mtime)
{
    char created[32];
    struct tm tm;
    gmtime_r(&mtime, &tm);
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct platform p;
    platform_host(&p);
    json_t *c = json_pack("{s:s, s:s, s:s, s:{s:[s], s:[s]}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}",
                          "created", created, "architecture", p.arch, "os", p.os, "config", "Env",
                          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "Cmd", "sh", "rootfs", "type", "layers", "diff_ids", diff_id, "history",
                          "created", created, "created_by", "hako image build-busybox");
    if (p.variant[0])
        json_object_set_new(c, "variant", json_string(p.variant));
    char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(c);
    if (!s)
        abort();
    return s;
}

/* True when tag already names image id and all its layers are unpacked. */
static bool present(struct store *s, const char *tag, const char *id)
{
    struct image *img = NULL;
    if (image_lookup(s, tag, &img, NULL) < 0)
        return false;
    bool ok = strcmp(img->id, id) == 0;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(img->record, "layers"), i, l) ok =
        ok && store_layer_complete(s, json_string_value(json_object_get(l, "chain_id")));
    image_free(img);
    return ok;
}

static int read_busybox(const char *path, char **ret, size_t *ret_len, time_t *ret_mtime,
                        struct hk_error *err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return hk_error_errno(err, -errno, "'%s' (install busybox-static)", path);
    if (!S_ISREG(st.st_mode))
        return hk_error_set(err, -EINVAL, "'%s' is not a regular file", path);
    *ret_mtime = st.st_mtime;
    return read_file(path, BUSYBOX_MAX, ret, ret_len, err);
}

static int build_layer(struct store *s, const char *busybox, json_t **ret_layers, time_t *ret_mtime,
                       struct hk_error *err)
{
    _cleanup_free_ char *bin = NULL, *list = NULL;
    size_t bin_len = 0, n_applets = 0;
    int r = read_busybox(busybox, &bin, &bin_len, ret_mtime, err);
    if (r == 0)
        r = list_applets(busybox, &list, err);
    char **applets = NULL;
    if (r == 0)
        r = applet_paths(list, &applets, &n_applets, err);
    if (r < 0)
        return r;
    struct tarball *t = NULL;
    r = tarball_new_memory(&t, err);
    if (r == 0)
        r = write_layer(t, bin, bin_len, applets, n_applets, *ret_mtime, err);
    free_list(applets, n_applets);
    char digest[DIGEST_STR_SIZE];
    size_t len = 0;
    const void *data = r == 0 ? tarball_data(t, &len) : NULL;
    if (r == 0)
        r = store_put_blob(s, data, len, NULL, digest, err);
    tarball_free(t);
    if (r < 0)
        return r;
    *ret_layers = json_pack("[{s:s, s:s, s:I, s:s}]", "digest", digest, "media_type", MT_OCI_LAYER,
                            "size", (json_int_t)len, "diff_id", digest);
    return 0;
}

int image_build_busybox(struct store *s, const char *busybox, const char *tag, bool *ret_existed,
                        char ret_id[DIGEST_STR_SIZE], struct hk_error *err)
{
    json_t *layers = NULL;
    time_t mtime = 0;
    int r = build_layer(s, busybox, &layers, &mtime, err);
    if (r < 0)
        return hk_error_prefix(err, r, "build busybox image");
    _cleanup_free_ char *config = config_json(
        json_string_value(json_object_get(json_array_get(layers, 0), "diff_id")), mtime);
    r = digest_buffer(config, strlen(config), ret_id, err);
    *ret_existed = r == 0 && present(s, tag, ret_id);
    if (r == 0 && !*ret_existed)
        r = image_compose(s, config, strlen(config), layers, tag, NULL, ret_id, err);
    json_decref(layers);
    return r < 0 ? hk_error_prefix(err, r, "build busybox image") : 0;
}
