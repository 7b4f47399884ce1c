/* rootfs-copy.c — the copy backend for machines without overlayfs: the layers are copied in
 * order into the target, and each layer's overlay whiteouts are applied the way overlayfs
 * would show them. Everything is done relative to directory fds with *at() calls that never
 * follow symlinks, so a symlink in one layer cannot steer a later layer's copy. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/rootfs.h"
#include "util/fs.h"

#define OPAQUE "trusted.overlay.opaque"

/* Hard links inside one layer stay hard links: the first copy of an inode is remembered by
 * its path relative to the target. */
struct links {
    struct link {
        ino_t ino;
        char *path;
    } * v;
    size_t n, cap;
};

struct copy {
    int target;
    struct links links;
    struct hk_error *err;
};

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int fd)
{
    char v[2];
    return fgetxattr(fd, OPAQUE, v, sizeof(v)) == 1 && v[0] == 'y';
}

static int copy_xattrs(int src, int dst)
{
    char names[4096], value[65536];
    ssize_t n = flistxattr(src, names, sizeof(names));
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1) {
        if (strncmp(names + i, "trusted.overlay.", 16) == 0)
            continue;
        ssize_t vn = fgetxattr(src, names + i, value, sizeof(value));
        if (vn >= 0 && fsetxattr(dst, names + i, value, (size_t)vn, 0) < 0 && errno != ENOTSUP)
            return -errno;
    }
    return 0;
}

/* Owner, mode and times of dst (name in dfd) from st; xattrs through fds when both given. */
static int copy_meta(int dfd, const char *name, const struct stat *st, int sfd, int fd)
{
    if (fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    if (!S_ISLNK(st->st_mode) && fchmodat(dfd, name, st->st_mode & 07777, 0) < 0)
        return -errno;
    if (sfd >= 0 && fd >= 0) {
        int r = copy_xattrs(sfd, fd);
        if (r < 0)
            return r;
    }
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    return utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static int copy_file(struct copy *c, int sdir, int ddir, const char *name, const struct stat *st,
                     const char *rel)
{
    if (st->st_nlink > 1)
        for (size_t i = 0; i < c->links.n; i++)
            if (c->links.v[i].ino == st->st_ino)
                return linkat(c->target, c->links.v[i].path, ddir, name, 0) < 0 ? -errno : 0;
    _cleanup_close_ int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int out =
        openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (in < 0 || out < 0)
        return -errno;
    int r = copy_fd(in, out);
    if (r == 0)
        r = copy_meta(ddir, name, st, in, out);
    if (r == 0 && st->st_nlink > 1) {
        if (c->links.n == c->links.cap) {
            c->links.cap = c->links.cap ? c->links.cap * 2 : 32;
            c->links.v = xrealloc(c->links.v, c->links.cap * sizeof(*c->links.v));
        }
        c->links.v[c->links.n++] = (struct link){st->st_ino, xstrdup(rel)};
    }
    return r;
}

static int copy_dir(struct copy *c, int sdir, int ddir, const char *rel);

static int copy_entry(struct copy *c, int sdir, int ddir, const char *name, const char *rel)
{
    struct stat st, dst;
    if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    bool exists = fstatat(ddir, name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
    bool keep_dir = exists && S_ISDIR(st.st_mode) && S_ISDIR(dst.st_mode);
    if (exists && !keep_dir) {
        int r = rm_rf_at(ddir, name);
        if (r < 0)
            return r;
    }
    if (is_whiteout(&st))
        return 0; /* the entry below is gone */
    if (S_ISDIR(st.st_mode)) {
        if (!keep_dir && mkdirat(ddir, name, 0700) < 0)
            return -errno;
        _cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (s < 0 || d < 0)
            return -errno;
        if (keep_dir && is_opaque(s)) {
            int r = rm_rf_at(ddir, name); /* an opaque directory hides all that was below */
            if (r < 0 || mkdirat(ddir, name, 0700) < 0)
                return r < 0 ? r : -errno;
            close(d);
            d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (d < 0)
                return -errno;
        }
        int r = copy_dir(c, s, d, rel);
        return r < 0 ? r : copy_meta(ddir, name, &st, s, d);
    }
    if (S_ISREG(st.st_mode))
        return copy_file(c, sdir, ddir, name, &st, rel);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
        if (n < 0)
            return -errno;
        target[n] = '\0';
        if (symlinkat(target, ddir, name) < 0)
            return -errno;
    } else if (mknodat(ddir, name, st.st_mode, st.st_rdev) < 0) {
        return -errno;
    }
    return copy_meta(ddir, name, &st, -1, -1);
}

static int copy_dir(struct copy *c, int sdir, int ddir, const char *rel)
{
    int fd = dup(sdir);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return -errno;
    }
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        _cleanup_free_ char *sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
        r = copy_entry(c, sdir, ddir, de->d_name, sub);
        if (r < 0 && c->err && !c->err->msg[0])
            hk_error_errno(c->err, r, "copy '%s'", sub);
    }
    closedir(d);
    return r;
}

int rootfs_copy_tree(int src, int dst, struct hk_error *err)
{
    struct copy c = {.target = dst, .err = err};
    int r = copy_dir(&c, src, dst, "");
    for (size_t k = 0; k < c.links.n; k++)
        free(c.links.v[k].path);
    free(c.links.v);
    return r;
}

int rootfs_copy(char *const *layers, size_t n, const char *target, struct hk_error *err)
{
    _cleanup_close_ int t = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (t < 0)
        return hk_error_errno(err, -errno, "open '%s'", target);
    struct hk_error local = {0};
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        struct copy c = {.target = t, .err = &local};
        _cleanup_close_ int s = open(layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = s < 0 ? hk_error_errno(&local, -errno, "open") : copy_dir(&c, s, t, "");
        if (r == 0) {
            struct stat st;
            if (fstat(s, &st) == 0 &&
                (fchown(t, st.st_uid, st.st_gid) < 0 || fchmod(t, st.st_mode & 07777) < 0))
                r = hk_error_errno(&local, -errno, "root directory");
        }
        for (size_t k = 0; k < c.links.n; k++)
            free(c.links.v[k].path);
        free(c.links.v);
        if (r < 0) {
            if (err)
                *err = local;
            return hk_error_prefix(err, r, "copy layer '%s' into '%s'", layers[i], target);
        }
    }
    return 0;
}
