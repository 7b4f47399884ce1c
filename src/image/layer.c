/* layer.c — safe layer extraction; see layer.h for the rules. */
#include "image/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/decompress.h"
#include "image/entry.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"

#define BUF_SIZE (256 * 1024)
#define MAX_ENTRIES (16u << 20)
#define XATTR_VALUE_MAX 65536

struct dirtime {
    char *path;
    struct timespec ts;
};

struct unpack {
    const struct layer_unpack_opts *o;
    int root;
    struct dstream *src;
    struct archive *tar;
    char *buf;
    struct hk_error src_err;
    bool src_failed;
    char *cached_dir; /* the last parent directory resolved, and its fd */
    int cached_fd;
    struct dirtime *dirs;
    size_t n_dirs, cap_dirs;
    uint64_t size, entries;
};

/* The error of a read that failed: the source's (truncated download, bad compression) when it
 * failed, else the tar reader's. */
static int read_error(struct unpack *u, struct hk_error *err)
{
    if (u->src_failed) {
        if (err)
            *err = u->src_err;
        return u->src_err.code ? u->src_err.code : -EIO;
    }
    return hk_error_set(err, -EIO, "bad tar archive: %s", archive_error_string(u->tar));
}

static la_ssize_t tar_read(struct archive *a, void *ud, const void **buf)
{
    (void)a;
    struct unpack *u = ud;
    ssize_t n = dstream_read(u->src, u->buf, BUF_SIZE, &u->src_err);
    if (n < 0) {
        u->src_failed = true;
        return ARCHIVE_FATAL;
    }
    *buf = u->buf;
    return n;
}

static void uncache(struct unpack *u)
{
    free(u->cached_dir);
    u->cached_dir = NULL;
    if (u->cached_fd >= 0)
        close(u->cached_fd);
    u->cached_fd = -1;
}

/* Create the missing directories of dir (relative, cleaned) one component at a time, never
 * through a symlink; returns an fd of dir. */
static int make_dirs(struct unpack *u, const char *dir, struct hk_error *err)
{
    _cleanup_close_ int cur = dup(u->root);
    if (cur < 0)
        return hk_error_errno(err, -errno, "dup");
    for (const char *p = dir; *p;) {
        const char *end = strchrnul(p, '/');
        _cleanup_free_ char *name = strndup(p, (size_t)(end - p));
        if (mkdirat(cur, name, 0755) < 0 && errno != EEXIST)
            return hk_error_errno(err, -errno, "mkdir '%s'", dir);
        int fd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return hk_error_errno(err, -errno, "'%s': parent '%s' is not a directory", dir, name);
        close(cur);
        cur = fd;
        p = *end ? end + 1 : end;
    }
    return TAKE_FD(cur);
}

/* An fd of directory dir (relative, cleaned; "" is the root), created when missing. A symlink
 * anywhere on the way is refused: an archive never writes through a link. */
static int open_dir(struct unpack *u, const char *dir, struct hk_error *err)
{
    int fd = open_in_root(u->root, dir, O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_SYMLINKS);
    if (fd == -ENOENT)
        fd = make_dirs(u, dir, err);
    else if (fd == -ELOOP)
        return hk_error_set(err, -ELOOP, "'%s' passes through a symlink: refused", dir);
    else if (fd == -ENOTDIR)
        return hk_error_set(err, -ENOTDIR, "'%s' is not a directory", dir);
    else if (fd < 0)
        return hk_error_errno(err, fd, "open '%s'", dir);
    return fd;
}

/* The directory fd holding path and path's last component (borrowed; do not close). */
static int parent_of(struct unpack *u, const char *path, int *ret_fd, const char **ret_base,
                     struct hk_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *ret_fd = u->root;
        *ret_base = path;
        return 0;
    }
    *ret_base = slash + 1;
    size_t n = (size_t)(slash - path);
    if (u->cached_dir && strlen(u->cached_dir) == n && strncmp(u->cached_dir, path, n) == 0) {
        *ret_fd = u->cached_fd;
        return 0;
    }
    _cleanup_free_ char *dir = strndup(path, n);
    int fd = open_dir(u, dir, err);
    if (fd < 0)
        return fd;
    uncache(u);
    u->cached_dir = TAKE_PTR(dir);
    u->cached_fd = fd;
    *ret_fd = fd;
    return 0;
}

/* Make room for a new entry: an existing directory stays when the new entry is a directory
 * too; anything else there is removed. */
static int clear_slot(struct unpack *u, int pfd, const char *base, bool keep_dir,
                      struct hk_error *err)
{
    struct stat st;
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : hk_error_errno(err, -errno, "stat");
    if (S_ISDIR(st.st_mode)) {
        if (keep_dir)
            return 1;
        uncache(u); /* the cached parent may lie below it */
    }
    int r = rm_rf_at(pfd, base);
    return r < 0 ? hk_error_errno(err, r, "replace existing entry") : 0;
}

static bool xattr_allowed(const char *name)
{
    if (strncmp(name, "trusted.overlay.", 16) == 0)
        return false; /* overlayfs metadata (redirects, origins) is hako's to set, not a layer's */
    return strncmp(name, "user.", 5) == 0 || strncmp(name, "trusted.", 8) == 0 ||
           strcmp(name, "security.capability") == 0;
}

static int set_xattrs(int fd, struct archive_entry *e, struct hk_error *err)
{
    const char *name;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (!name || !xattr_allowed(name) || size > XATTR_VALUE_MAX) {
            log_debug("layer: skipping xattr '%s'", name ? name : "");
            continue;
        }
        if (fsetxattr(fd, name, value, size, 0) < 0 && errno != ENOTSUP)
            return hk_error_errno(err, -errno, "set xattr '%s'", name);
    }
    return 0;
}

/* Owner, mode, xattrs and times of a new entry: through fd when given, else by name in pfd
 * without following a symlink. chown first: it clears set-id bits and file capabilities. */
static int apply_meta(struct unpack *u, int fd, int pfd, const char *base, struct archive_entry *e,
                      mode_t type, struct hk_error *err)
{
    if (u->o->owners) {
        int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
        if (uid < 0 || gid < 0 || uid >= UINT32_MAX || gid >= UINT32_MAX)
            return hk_error_set(err, -EINVAL, "owner %lld:%lld out of range", (long long)uid,
                                (long long)gid);
        int r = fd >= 0 ? fchown(fd, (uid_t)uid, (gid_t)gid)
                        : fchownat(pfd, base, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW);
        if (r < 0)
            return hk_error_errno(err, -errno, "chown");
    }
    if (type != AE_IFLNK) {
        mode_t mode = archive_entry_perm(e) & 07777;
        int r = fd >= 0 ? fchmod(fd, mode) : fchmodat(pfd, base, mode, 0);
        if (r < 0)
            return hk_error_errno(err, -errno, "chmod");
    }
    if (fd >= 0) {
        int r = set_xattrs(fd, e, err);
        if (r < 0)
            return r;
    }
    struct timespec ts[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    ts[1] = ts[0];
    if (type == AE_IFDIR)
        return 0; /* directories get their times at the end, after their contents */
    int r = fd >= 0 ? futimens(fd, ts) : utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
    return r < 0 ? hk_error_errno(err, -errno, "set times") : 0;
}

static int write_data(struct unpack *u, int fd, struct archive_entry *e, struct hk_error *err)
{
    const void *buf;
    size_t len;
    la_int64_t off;
    int64_t end = 0;
    for (;;) {
        int r = archive_read_data_block(u->tar, &buf, &len, &off);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return read_error(u, err);
        const char *p = buf;
        while (len > 0) {
            ssize_t n = pwrite(fd, p, len, off);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return hk_error_errno(err, -errno, "write");
            }
            p += n;
            len -= (size_t)n;
            off += n;
        }
        if (off > end)
            end = off;
    }
    int64_t size = archive_entry_size(e);
    if (size > end && ftruncate(fd, size) < 0) /* a sparse file's hole at the end */
        return hk_error_errno(err, -errno, "truncate");
    u->size += (uint64_t)(size > 0 ? size : 0);
    return 0;
}

static void defer_dir_time(struct unpack *u, const char *path, struct archive_entry *e)
{
    if (u->n_dirs == u->cap_dirs) {
        u->cap_dirs = u->cap_dirs ? u->cap_dirs * 2 : 64;
        u->dirs = xrealloc(u->dirs, u->cap_dirs * sizeof(*u->dirs));
    }
    u->dirs[u->n_dirs++] =
        (struct dirtime){xstrdup(path), {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
}

static int make_dir(struct unpack *u, int pfd, const char *base, const char *path,
                    struct archive_entry *e, struct hk_error *err)
{
    _cleanup_close_ int fd = -1;
    if (!*path) {
        fd = dup(u->root);
    } else {
        int r = clear_slot(u, pfd, base, true, err);
        if (r < 0)
            return r;
        if (r == 0 && mkdirat(pfd, base, 0700) < 0)
            return hk_error_errno(err, -errno, "mkdir");
        fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0)
        return hk_error_errno(err, -errno, "open directory");
    defer_dir_time(u, path, e);
    return apply_meta(u, fd, -1, NULL, e, AE_IFDIR, err);
}

static int make_file(struct unpack *u, int pfd, const char *base, struct archive_entry *e,
                     struct hk_error *err)
{
    int r = clear_slot(u, pfd, base, false, err);
    if (r < 0)
        return r;
    _cleanup_close_ int fd =
        openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return hk_error_errno(err, -errno, "create");
    r = write_data(u, fd, e, err);
    if (r < 0)
        return r;
    return apply_meta(u, fd, -1, NULL, e, AE_IFREG, err);
}

static int make_symlink(struct unpack *u, int pfd, const char *base, struct archive_entry *e,
                        struct hk_error *err)
{
    const char *target = archive_entry_symlink(e);
    if (!target || !*target)
        return hk_error_set(err, -EINVAL, "symlink without a target");
    if (strlen(target) >= PATH_MAX)
        return hk_error_set(err, -ENAMETOOLONG, "symlink target too long");
    /* Any target is kept as written, as docker does: hako never follows a layer's link on the
     * host (no-follow and openat2 RESOLVE_IN_ROOT everywhere), and in the container ".." stops
     * at its root, so "../../../../etc" is "/etc" there — as harmless as an absolute target. */
    int r = clear_slot(u, pfd, base, false, err);
    if (r < 0)
        return r;
    if (symlinkat(target, pfd, base) < 0)
        return hk_error_errno(err, -errno, "symlink");
    u->size += strlen(target);
    return apply_meta(u, -1, pfd, base, e, AE_IFLNK, err);
}

static int make_hardlink(struct unpack *u, int pfd, const char *base, const char *link,
                         struct hk_error *err)
{
    _cleanup_free_ char *target = NULL;
    int r = entry_clean(link, &target, err);
    if (r < 0)
        return hk_error_prefix(err, r, "hard link target");
    if (!*target)
        return hk_error_set(err, -EPERM, "hard link to the layer root: refused");
    _cleanup_close_ int tfd =
        open_in_root(u->root, target, O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS);
    if (tfd < 0)
        return hk_error_errno(err, tfd, "hard link target '%s' is not in the layer", target);
    struct stat st;
    if (fstat(tfd, &st) < 0)
        return hk_error_errno(err, -errno, "stat '%s'", target);
    if (S_ISDIR(st.st_mode))
        return hk_error_set(err, -EPERM, "hard link to directory '%s': refused", target);
    r = clear_slot(u, pfd, base, false, err);
    if (r < 0)
        return r;
    if (linkat(tfd, "", pfd, base, AT_EMPTY_PATH) < 0) {
        char proc[64];
        if (errno != EPERM && errno != ENOENT)
            return hk_error_errno(err, -errno, "hard link to '%s'", target);
        if (linkat(AT_FDCWD, fd_path(tfd, proc, sizeof(proc)), pfd, base, AT_SYMLINK_FOLLOW) < 0)
            return hk_error_errno(err, -errno, "hard link to '%s'", target);
    }
    return 0;
}

static int make_node(struct unpack *u, int pfd, const char *base, struct archive_entry *e,
                     mode_t type, struct hk_error *err)
{
    int r = clear_slot(u, pfd, base, false, err);
    if (r < 0)
        return r;
    dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    mode_t kind = type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO;
    if (mknodat(pfd, base, kind | 0600, type == AE_IFIFO ? 0 : dev) < 0)
        return hk_error_errno(err, -errno, "mknod");
    return apply_meta(u, -1, pfd, base, e, type, err);
}

/* ".wh.<name>" → a 0:0 character device <name>; ".wh..wh..opq" → trusted.overlay.opaque=y on
 * the directory (which is created when the archive did not list it). */
static int make_whiteout(struct unpack *u, enum whiteout_kind kind, const char *target,
                         struct hk_error *err)
{
    if (kind == WHITEOUT_META)
        return 0;
    if (kind == WHITEOUT_OPAQUE) {
        _cleanup_close_ int fd = open_dir(u, target, err);
        if (fd < 0)
            return fd;
        if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return hk_error_errno(err, -errno, "mark '%s' opaque (trusted.overlay.opaque)",
                                  *target ? target : "/");
        return 0;
    }
    int pfd;
    const char *base;
    int r = parent_of(u, target, &pfd, &base, err);
    if (r < 0)
        return r;
    r = clear_slot(u, pfd, base, false, err);
    if (r < 0)
        return r;
    if (mknodat(pfd, base, S_IFCHR | 0000, makedev(0, 0)) < 0)
        return hk_error_errno(err, -errno, "whiteout '%s'", target);
    return 0;
}

/* deletions: ".wh.<name>" removes <name>; ".wh..wh..opq" empties the directory (what the
 * archive puts in it comes after). */
static int apply_deletion(struct unpack *u, enum whiteout_kind kind, const char *target,
                          struct hk_error *err)
{
    if (kind == WHITEOUT_META)
        return 0;
    if (kind == WHITEOUT_OPAQUE) {
        int fd = open_dir(u, target, err);
        if (fd < 0)
            return fd;
        uncache(u);
        DIR *d = fdopendir(fd);
        if (!d) {
            close(fd);
            return hk_error_errno(err, -errno, "read '%s'", *target ? target : "/");
        }
        int r = 0;
        struct dirent *de;
        while (r == 0 && (de = readdir(d)))
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                (r = rm_rf_at(dirfd(d), de->d_name)) < 0)
                r = hk_error_errno(err, r, "empty '%s' (an opaque whiteout)", *target ? target : "/");
        closedir(d);
        return r;
    }
    int pfd;
    const char *base;
    int r = parent_of(u, target, &pfd, &base, err);
    if (r == 0)
        r = clear_slot(u, pfd, base, false, err);
    return r < 0 ? r : 0;
}

static int entry(struct unpack *u, struct archive_entry *e, const char *path, struct hk_error *err)
{
    if (u->o->whiteouts || u->o->deletions) {
        enum whiteout_kind kind;
        _cleanup_free_ char *target = NULL;
        int r = whiteout_classify(path, &kind, &target, err);
        if (r < 0)
            return r;
        if (kind != WHITEOUT_NONE)
            return u->o->whiteouts ? make_whiteout(u, kind, target, err)
                                   : apply_deletion(u, kind, target, err);
    }
    mode_t type = archive_entry_filetype(e);
    const char *link = archive_entry_hardlink(e);
    if (!*path && (link || type != AE_IFDIR))
        return hk_error_set(err, -EINVAL, "the layer root must be a directory");
    int pfd = u->root;
    const char *base = path;
    if (*path) {
        int r = parent_of(u, path, &pfd, &base, err);
        if (r < 0)
            return r;
    }
    if (link)
        return make_hardlink(u, pfd, base, link, err);
    switch (type) {
    case AE_IFDIR:
        return make_dir(u, pfd, base, path, e, err);
    case AE_IFREG:
        return make_file(u, pfd, base, e, err);
    case AE_IFLNK:
        return make_symlink(u, pfd, base, e, err);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
        return make_node(u, pfd, base, e, type, err);
    default:
        log_debug("layer: skipping '%s' of type %o", path, type);
        return 0;
    }
}

static int apply_dir_times(struct unpack *u, struct hk_error *err)
{
    for (size_t i = u->n_dirs; i-- > 0;) {
        _cleanup_close_ int fd =
            open_in_root(u->root, u->dirs[i].path, O_RDONLY | O_DIRECTORY, 0, RESOLVE_NO_SYMLINKS);
        if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
            continue; /* replaced by a later entry */
        struct timespec ts[2] = {u->dirs[i].ts, u->dirs[i].ts};
        if (fd < 0 || futimens(fd, ts) < 0)
            return hk_error_errno(err, fd < 0 ? fd : -errno, "set times of '%s'", u->dirs[i].path);
    }
    return 0;
}

/* Read every entry; returns < 0 with err naming the entry on the first failure. */
static int read_entries(struct unpack *u, struct hk_error *err)
{
    struct archive_entry *e;
    int ar;
    while ((ar = archive_read_next_header(u->tar, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
        const char *name = archive_entry_pathname(e);
        if (!name)
            return hk_error_set(err, -EINVAL, "entry %llu has no name",
                                (unsigned long long)u->entries);
        if (++u->entries > MAX_ENTRIES)
            return hk_error_set(err, -EFBIG, "more than %u entries", MAX_ENTRIES);
        _cleanup_free_ char *path = NULL;
        int r = entry_clean(name, &path, err);
        if (r == 0)
            r = entry(u, e, path, err);
        if (r < 0)
            return hk_error_prefix(err, r, "entry '%s'", name);
    }
    return ar == ARCHIVE_EOF ? 0 : read_error(u, err);
}

static void unpack_done(struct unpack *u)
{
    uncache(u);
    for (size_t i = 0; i < u->n_dirs; i++)
        free(u->dirs[i].path);
    free(u->dirs);
    if (u->tar)
        archive_read_free(u->tar);
    dstream_free(u->src);
    free(u->buf);
}

static int unpack_run(struct unpack *u, int fd, struct layer_stats *ret, struct hk_error *err)
{
    int r = dstream_open(fd, &u->src, err);
    if (r == 0)
        r = dstream_set_limit(u->src, u->o->limit, err);
    if (r < 0)
        return r;
    u->buf = xcalloc(1, BUF_SIZE);
    u->tar = archive_read_new();
    if (!u->tar)
        return hk_error_set(err, -ENOMEM, "archive_read_new failed");
    archive_read_support_format_tar(u->tar);
    if (archive_read_open(u->tar, u, NULL, tar_read, NULL) != ARCHIVE_OK)
        return read_error(u, err);
    r = read_entries(u, err);
    if (r == 0)
        r = dstream_drain(u->src, err);
    if (r == 0)
        r = apply_dir_times(u, err);
    if (r < 0)
        return r;
    dstream_digest(u->src, ret->diff_id);
    ret->size = u->size;
    ret->entries = u->entries;
    if (u->o->diff_id && strcmp(u->o->diff_id, ret->diff_id) != 0)
        return hk_error_set(err, -EBADMSG,
                            "diff ID mismatch: the image config says %s, the "
                            "content is %s",
                            u->o->diff_id, ret->diff_id);
    return 0;
}

int layer_unpack(int fd, int destfd, const struct layer_unpack_opts *o, struct layer_stats *ret,
                 struct hk_error *err)
{
    struct unpack u = {.o = o, .root = destfd, .cached_fd = -1};
    struct layer_stats st = {0};
    int r = unpack_run(&u, fd, &st, err);
    unpack_done(&u);
    if (r < 0)
        return hk_error_prefix(err, r, "%s", o->name ? o->name : "layer");
    if (ret)
        *ret = st;
    return 0;
}
