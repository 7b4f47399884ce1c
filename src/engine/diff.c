/* diff.c — a container's changes from its overlay upper directory; see diff.h.
 *
 * Every entry of upper/ is a change: a 0:0 character device is a deletion (an overlay
 * whiteout), anything else was added, unless the image's layers have that path, then it
 * changed. A directory that the lower layers have is reported only when something below it
 * is (overlayfs copies a directory up to hold a changed child), or when it is opaque. */
#include "engine/diff.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/image.h"
#include "util/fs.h"
#include "util/path.h"

#define MAX_DEPTH 256

enum { KIND_CHANGED, KIND_ADDED, KIND_DELETED };

struct walk {
    int *layers; /* fds of the image's layer directories, top first */
    size_t n;
    json_t *out;
};

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* Whether the image's layers show path (relative): the topmost layer that has it decides (a
 * whiteout there hides it); a symlink on the way is not a directory to overlayfs. */
static bool in_lower(struct walk *w, const char *path)
{
    for (size_t i = 0; i < w->n; i++) {
        _cleanup_close_ int fd =
            open_in_root(w->layers[i], path, O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS);
        if (fd == -ELOOP || fd == -ENOTDIR)
            return false;
        if (fd < 0)
            continue;
        struct stat st;
        return fstat(fd, &st) == 0 && !is_whiteout(&st);
    }
    return false;
}

static void add(struct walk *w, const char *path, int kind)
{
    _cleanup_free_ char *p = xasprintf("/%s", path);
    json_array_append_new(w->out, json_pack("{s:s, s:i}", "Path", p, "Kind", kind));
}

static bool engine_file(const char *path)
{
    return strcmp(path, "etc/hostname") == 0 || strcmp(path, "etc/hosts") == 0 ||
           strcmp(path, "etc/resolv.conf") == 0;
}

static int walk_dir(struct walk *w, int fd, const char *path, int depth, struct hk_error *err);

/* One entry of upper/: returns 1 when it (or something below it) was reported. */
static int walk_entry(struct walk *w, int pfd, const char *name, const char *path, int depth,
                      struct hk_error *err)
{
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : hk_error_errno(err, -errno, "stat '%s'", path);
    if (is_whiteout(&st)) {
        add(w, path, KIND_DELETED);
        return 1;
    }
    bool lower = in_lower(w, path);
    if (!S_ISDIR(st.st_mode)) {
        if (engine_file(path))
            return 0;
        add(w, path, lower ? KIND_CHANGED : KIND_ADDED);
        return 1;
    }
    _cleanup_close_ int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(err, -errno, "open '%s'", path);
    char v[2] = {0};
    bool opaque = fgetxattr(fd, "trusted.overlay.opaque", v, 1) == 1 && v[0] == 'y';
    size_t at = json_array_size(w->out);
    int r = walk_dir(w, fd, path, depth + 1, err);
    if (r < 0)
        return r;
    if (!lower || opaque || r > 0) {
        /* the directory comes before what is below it */
        _cleanup_free_ char *p = xasprintf("/%s", path);
        json_array_insert_new(w->out, at,
                              json_pack("{s:s, s:i}", "Path", p, "Kind",
                                        lower ? KIND_CHANGED : KIND_ADDED));
        return 1;
    }
    return 0;
}

static int walk_dir(struct walk *w, int fd, const char *path, int depth, struct hk_error *err)
{
    if (depth > MAX_DEPTH)
        return hk_error_set(err, -ELOOP, "'%s': more than %d levels deep", path, MAX_DEPTH);
    struct dirent **list = NULL;
    int n = scandirat(fd, ".", &list, NULL, alphasort);
    if (n < 0)
        return hk_error_errno(err, -errno, "read directory '/%s'", path);
    int r = 0, any = 0;
    for (int i = 0; i < n; i++) {
        const char *c = list[i]->d_name;
        if (r >= 0 && strcmp(c, ".") != 0 && strcmp(c, "..") != 0) {
            _cleanup_free_ char *child = path[0] ? xasprintf("%s/%s", path, c) : xstrdup(c);
            r = walk_entry(w, fd, c, child, depth, err);
            any |= r > 0;
        }
        free(list[i]);
    }
    free(list);
    return r < 0 ? r : any;
}

int engine_diff(const struct engine *e, struct store *s, const char *id, json_t **ret,
                struct hk_error *err)
{
    struct record *rec = NULL;
    struct image *img = NULL;
    int r = record_open(e, id, false, &rec, err);
    _cleanup_free_ char *upper = rec ? xasprintf("%s/upper", rec->dir) : NULL;
    _cleanup_close_ int ufd = -1;
    if (r == 0) {
        ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (ufd < 0)
            r = hk_error_errno(err, -errno, "'%s' (diff needs the overlay root filesystem)",
                               upper);
    }
    if (r == 0)
        r = image_lookup(s, json_string_value(json_object_get(rec->j, "Image")), &img, err);
    struct walk w = {.out = json_array()};
    if (r == 0) {
        w.layers = xcalloc(img->n_layers + 1, sizeof(int));
        for (size_t i = img->n_layers; r == 0 && i-- > 0; w.n++) {
            w.layers[w.n] = open(img->layer_dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (w.layers[w.n] < 0)
                r = hk_error_errno(err, -errno, "open '%s'", img->layer_dirs[i]);
        }
    }
    if (r == 0)
        r = walk_dir(&w, ufd, "", 0, err);
    for (size_t i = 0; i < w.n; i++)
        if (w.layers[i] >= 0)
            close(w.layers[i]);
    free(w.layers);
    image_free(img);
    record_free(rec);
    if (r < 0) {
        json_decref(w.out);
        return r;
    }
    *ret = w.out;
    return 0;
}
