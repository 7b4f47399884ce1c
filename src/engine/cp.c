/* cp.c — export, cp and diff; see cp.h. */
#include "engine/cp.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "engine/lifecycle.h"
#include "image/layer.h"
#include "image/tree-tar.h"
#include "util/fs.h"
#include "util/path.h"

#define MAX_DEPTH 256

/* The record of id (unlocked) and an fd of its root filesystem, mounted when needed. */
static int open_rootfs(const struct engine *e, struct store *s, const char *id,
                       struct record **ret_rec, int *ret_fd, struct hk_error *err)
{
    struct record *rec = NULL;
    int r = record_open(e, id, false, &rec, err);
    if (r == 0)
        r = engine_rootfs_ensure(e, s, rec, err);
    _cleanup_free_ char *rootfs = rec ? xasprintf("%s/rootfs", rec->dir) : NULL;
    int fd = r < 0 ? -1 : open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (r == 0 && fd < 0)
        r = hk_error_errno(err, -errno, "open '%s'", rootfs);
    if (r < 0) {
        record_free(rec);
        return r;
    }
    if (ret_rec)
        *ret_rec = rec;
    else
        record_free(rec);
    *ret_fd = fd;
    return 0;
}

int engine_export(const struct engine *e, struct store *s, const char *id, int out_fd,
                  struct hk_error *err)
{
    int r;
    {
        _cleanup_close_ int root = -1;
        r = open_rootfs(e, s, id, NULL, &root, err);
        if (r == 0)
            r = tree_tar(root, ".", ".", out_fd, err);
    }
    engine_rootfs_release(e, id); /* a stopped container's rootfs was mounted for this */
    return r;
}

/* --- copying a tree between two directory fds ---------------------------------------------- */

static int copy_at(int sfd, const char *sname, int dfd, const char *dname, int depth,
                   struct hk_error *err);

static int copy_data(int in, int out, struct hk_error *err)
{
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hk_error_errno(err, -errno, "read");
        if (n == 0)
            return 0;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno != EINTR)
                return hk_error_errno(err, -errno, "write");
            off += w > 0 ? w : 0;
        }
    }
}

/* Remove what is at dname unless it is a directory and keep_dir (returns 1 then). */
static int clear(int dfd, const char *dname, bool keep_dir, struct hk_error *err)
{
    struct stat st;
    if (fstatat(dfd, dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : hk_error_errno(err, -errno, "stat '%s'", dname);
    if (S_ISDIR(st.st_mode) && keep_dir)
        return 1;
    if (S_ISDIR(st.st_mode))
        return hk_error_set(err, -EISDIR, "cannot overwrite directory '%s' with a non-directory",
                            dname);
    return unlinkat(dfd, dname, 0) < 0 ? hk_error_errno(err, -errno, "replace '%s'", dname) : 0;
}

static int copy_dir(int sfd, const char *sname, int dfd, const char *dname,
                    const struct stat *st, int depth, struct hk_error *err)
{
    if (depth > MAX_DEPTH)
        return hk_error_set(err, -ELOOP, "'%s': more than %d levels deep", sname, MAX_DEPTH);
    int r = clear(dfd, dname, true, err);
    if (r == 0 && mkdirat(dfd, dname, 0700) < 0)
        r = hk_error_errno(err, -errno, "mkdir '%s'", dname);
    if (r < 0)
        return r;
    _cleanup_close_ int s = openat(sfd, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int d = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0 || d < 0)
        return hk_error_errno(err, -errno, "open directory '%s'", s < 0 ? sname : dname);
    int sd = dup(s);
    DIR *dir = sd < 0 ? NULL : fdopendir(sd);
    if (!dir) {
        r = hk_error_errno(err, -errno, "read directory '%s'", sname);
        if (sd >= 0)
            close(sd);
        return r;
    }
    struct dirent *de;
    while (r == 0 && (de = readdir(dir)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            r = copy_at(s, de->d_name, d, de->d_name, depth + 1, err);
    closedir(dir);
    if (r == 0 && fchmod(d, st->st_mode & 07777) < 0)
        r = hk_error_errno(err, -errno, "chmod '%s'", dname);
    return r;
}

static int copy_file(int sfd, const char *sname, int dfd, const char *dname,
                     const struct stat *st, struct hk_error *err)
{
    _cleanup_close_ int in = openat(sfd, sname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0)
        return hk_error_errno(err, -errno, "open '%s'", sname);
    int r = clear(dfd, dname, false, err);
    if (r < 0)
        return r;
    _cleanup_close_ int out =
        openat(dfd, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return hk_error_errno(err, -errno, "create '%s'", dname);
    r = copy_data(in, out, err);
    if (r == 0 && fchmod(out, st->st_mode & 07777) < 0)
        r = hk_error_errno(err, -errno, "chmod '%s'", dname);
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (r == 0 && futimens(out, ts) < 0)
        r = hk_error_errno(err, -errno, "set times of '%s'", dname);
    return r < 0 ? hk_error_prefix(err, r, "'%s'", sname) : 0;
}

/* Copy entry sname of sfd to dname in dfd: directories recursively, files by content, symlinks
 * as links (never followed), devices and fifos as nodes; sockets are skipped. The copy belongs
 * to the caller (root), as docker's cp makes it; modes and file times are kept. */
static int copy_at(int sfd, const char *sname, int dfd, const char *dname, int depth,
                   struct hk_error *err)
{
    struct stat st;
    if (fstatat(sfd, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hk_error_errno(err, -errno, "stat '%s'", sname);
    if (S_ISDIR(st.st_mode))
        return copy_dir(sfd, sname, dfd, dname, &st, depth, err);
    if (S_ISREG(st.st_mode))
        return copy_file(sfd, sname, dfd, dname, &st, err);
    if (S_ISSOCK(st.st_mode))
        return 0;
    int r = clear(dfd, dname, false, err);
    if (r < 0)
        return r;
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(sfd, sname, target, sizeof(target) - 1);
        if (n < 0)
            return hk_error_errno(err, -errno, "readlink '%s'", sname);
        target[n] = '\0';
        return symlinkat(target, dfd, dname) < 0 ? hk_error_errno(err, -errno, "symlink '%s'", dname)
                                                 : 0;
    }
    if (mknodat(dfd, dname, st.st_mode, st.st_rdev) < 0)
        return hk_error_errno(err, -errno, "mknod '%s'", dname);
    return 0;
}

/* --- cp -------------------------------------------------------------------------------------- */

/* ctr_path split into an fd of its parent (resolved inside the rootfs) and its last component
 * ("." for "/"). */
static int resolve_parent(int root, const char *ctr_path, int *ret_fd, char **ret_base,
                          struct hk_error *err)
{
    _cleanup_free_ char *clean = path_clean(ctr_path);
    _cleanup_free_ char *dir = NULL, *base = NULL;
    if (strcmp(clean, "/") == 0) {
        dir = xstrdup("/");
        base = xstrdup(".");
    } else if (path_split(clean, &dir, &base) < 0) {
        return hk_error_set(err, -EINVAL, "bad path '%s'", ctr_path);
    }
    int fd = open_in_root(root, dir, O_RDONLY | O_DIRECTORY, 0, 0);
    if (fd < 0)
        return hk_error_errno(err, fd, "'%s' in the container", dir);
    *ret_fd = fd;
    *ret_base = TAKE_PTR(base);
    return 0;
}

static int cp_out(const struct engine *e, struct store *s, const char *id, const char *ctr_path,
                  const char *dest, int out_fd, struct hk_error *err)
{
    _cleanup_close_ int root = -1, pfd = -1, dfd = -1;
    _cleanup_free_ char *base = NULL, *ddir = NULL, *dbase = NULL;
    int r = open_rootfs(e, s, id, NULL, &root, err);
    if (r == 0)
        r = resolve_parent(root, ctr_path, &pfd, &base, err);
    struct stat st;
    if ((r == -ENOENT || r == -ENOTDIR) ||
        (r == 0 && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0))
        r = hk_error_set(err, -ENOENT, "Could not find the file %s in container %.12s", ctr_path,
                         id);
    if (r < 0)
        return r;
    if (strcmp(dest, "-") == 0)
        return tree_tar(pfd, base, base, out_fd, err);
    struct stat dst;
    if (stat(dest, &dst) == 0 && S_ISDIR(dst.st_mode)) {
        dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        dbase = xstrdup(strcmp(base, ".") == 0 ? "rootfs" : base);
    } else {
        _cleanup_free_ char *abs = dest[0] == '/' ? xstrdup(dest) : xasprintf("./%s", dest);
        char *slash = strrchr(abs, '/');
        ddir = slash == abs ? xstrdup("/") : strndup(abs, (size_t)(slash - abs));
        dbase = xstrdup(slash + 1);
        dfd = open(ddir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (dfd < 0)
        return hk_error_errno(err, -errno, "destination '%s'", ddir ? ddir : dest);
    if (!*dbase)
        return hk_error_set(err, -EINVAL, "destination '%s' is not a directory", dest);
    return copy_at(pfd, base, dfd, dbase, 0, err);
}

static int cp_in(const struct engine *e, struct store *s, const char *id, const char *src,
                 int in_fd, const char *ctr_path, struct hk_error *err)
{
    _cleanup_close_ int root = -1, target = -1, pfd = -1;
    _cleanup_free_ char *base = NULL;
    int r = open_rootfs(e, s, id, NULL, &root, err);
    if (r < 0)
        return r;
    /* an existing directory (resolved inside the rootfs): copy into it */
    target = open_in_root(root, ctr_path, O_RDONLY | O_DIRECTORY, 0, 0);
    if (strcmp(src, "-") == 0) {
        if (target < 0)
            return hk_error_errno(err, target, "destination '%s' must be a directory in the "
                                  "container", ctr_path);
        struct expand_limit lim;
        store_expand_limit(s, &lim);
        struct layer_unpack_opts o = {.name = "tar from stdin", .owners = true, .limit = &lim};
        return layer_unpack(in_fd, target, &o, NULL, err);
    }
    _cleanup_free_ char *sabs = xstrdup(src);
    size_t n = strlen(sabs);
    while (n > 1 && sabs[n - 1] == '/')
        sabs[--n] = '\0';
    char *slash = strrchr(sabs, '/');
    _cleanup_free_ char *sdir = !slash ? xstrdup(".") : slash == sabs ? xstrdup("/")
                                                       : strndup(sabs, (size_t)(slash - sabs));
    const char *sbase = slash ? slash + 1 : sabs;
    _cleanup_close_ int sfd = open(sdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0)
        return hk_error_errno(err, -errno, "source '%s'", src);
    if (target >= 0)
        return copy_at(sfd, sbase, target, sbase, 0, err);
    r = resolve_parent(root, ctr_path, &pfd, &base, err);
    return r < 0 ? r : copy_at(sfd, sbase, pfd, base, 0, err);
}

/* A stopped container's rootfs is mounted for the copy and unmounted after it, as docker. */
int engine_cp_out(const struct engine *e, struct store *s, const char *id, const char *ctr_path,
                  const char *dest, int out_fd, struct hk_error *err)
{
    int r = cp_out(e, s, id, ctr_path, dest, out_fd, err);
    engine_rootfs_release(e, id);
    return r;
}

int engine_cp_in(const struct engine *e, struct store *s, const char *id, const char *src,
                 int in_fd, const char *ctr_path, struct hk_error *err)
{
    int r = cp_in(e, s, id, src, in_fd, ctr_path, err);
    engine_rootfs_release(e, id);
    return r;
}
