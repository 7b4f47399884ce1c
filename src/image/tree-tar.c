/* tree-tar.c — see tree-tar.h. */
#include "image/tree-tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/lazy.h"

#define MAX_DEPTH 256

struct tw {
    struct archive *a;
    char buf[1 << 16];
};

static int tar_error(struct tw *t, const char *path, struct hk_error *err)
{
    return hk_error_set(err, -EIO, "tar '%s': %s", path, archive_error_string(t->a));
}

static int add_data(struct tw *t, int pfd, const char *name, const char *path,
                    const struct stat *st, struct hk_error *err)
{
    _cleanup_close_ int fd = openat(pfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat now;
    if (fd < 0 || fstat(fd, &now) < 0)
        return hk_error_errno(err, -errno, "open '%s'", path);
    if (!S_ISREG(now.st_mode) || now.st_ino != st->st_ino)
        return hk_error_set(err, -EAGAIN, "'%s' changed while it was archived", path);
    off_t left = st->st_size; /* the size in the header, even when the file grew */
    while (left > 0) {
        ssize_t n = read(fd, t->buf, left < (off_t)sizeof(t->buf) ? (size_t)left : sizeof(t->buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hk_error_errno(err, -errno, "read '%s'", path);
        if (n == 0) /* it shrank: pad with zeros to the size announced */
            memset(t->buf, 0, (size_t)(n = left < (off_t)sizeof(t->buf) ? left : (off_t)sizeof(t->buf)));
        if (archive_write_data(t->a, t->buf, (size_t)n) != n)
            return tar_error(t, path, err);
        left -= n;
    }
    return 0;
}

static int add(struct tw *t, int pfd, const char *name, const char *path, int depth,
               struct hk_error *err);

/* The entries of directory fd, sorted, each as path/<name>. */
static int add_children(struct tw *t, int fd, const char *path, int depth, struct hk_error *err)
{
    if (depth > MAX_DEPTH)
        return hk_error_set(err, -ELOOP, "'%s': more than %d levels deep", path, MAX_DEPTH);
    struct dirent **list = NULL;
    int n = scandirat(fd, ".", &list, NULL, alphasort);
    if (n < 0)
        return hk_error_errno(err, -errno, "read directory '%s'", path[0] ? path : "/");
    int r = 0;
    for (int i = 0; i < n; i++) {
        const char *c = list[i]->d_name;
        if (r == 0 && strcmp(c, ".") != 0 && strcmp(c, "..") != 0) {
            _cleanup_free_ char *child = path[0] ? xasprintf("%s/%s", path, c) : xstrdup(c);
            r = add(t, fd, c, child, depth + 1, err);
        }
        free(list[i]);
    }
    free(list);
    return r;
}

static int add(struct tw *t, int pfd, const char *name, const char *path, int depth,
               struct hk_error *err)
{
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : hk_error_errno(err, -errno, "stat '%s'", path);
    if (S_ISSOCK(st.st_mode))
        return 0;
    struct archive_entry *e = archive_entry_new();
    archive_entry_copy_stat(e, &st);
    _cleanup_free_ char *dirname = S_ISDIR(st.st_mode) ? xasprintf("%s/", path) : NULL;
    archive_entry_set_pathname(e, dirname ? dirname : path);
    char target[PATH_MAX];
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlinkat(pfd, name, target, sizeof(target) - 1);
        if (n < 0) {
            archive_entry_free(e);
            return hk_error_errno(err, -errno, "readlink '%s'", path);
        }
        target[n] = '\0';
        archive_entry_set_symlink(e, target);
    }
    if (!S_ISREG(st.st_mode))
        archive_entry_set_size(e, 0);
    int r = archive_write_header(t->a, e) == ARCHIVE_OK ? 0 : tar_error(t, path, err);
    archive_entry_free(e);
    if (r == 0 && S_ISREG(st.st_mode))
        r = add_data(t, pfd, name, path, &st, err);
    if (r == 0 && S_ISDIR(st.st_mode)) {
        _cleanup_close_ int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = fd < 0 ? hk_error_errno(err, -errno, "open '%s'", path)
                   : add_children(t, fd, path, depth, err);
    }
    return r;
}

int tree_tar(int dirfd, const char *name, const char *as, int out_fd, struct hk_error *err)
{
    int r = lazy_require(LAZY_ARCHIVE, err);
    if (r < 0)
        return r;
    struct tw *t = xcalloc(1, sizeof(*t));
    t->a = archive_write_new();
    if (!t->a) {
        free(t);
        return hk_error_set(err, -ENOMEM, "archive_write_new failed");
    }
    archive_write_set_format_pax_restricted(t->a);
    archive_write_set_bytes_in_last_block(t->a, 1);
    if (archive_write_open_fd(t->a, out_fd) != ARCHIVE_OK) {
        r = hk_error_set(err, -EIO, "tar: %s", archive_error_string(t->a));
    } else if (strcmp(name, ".") == 0) {
        _cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = fd < 0 ? hk_error_errno(err, -errno, "open") : add_children(t, fd, "", 0, err);
    } else {
        r = add(t, dirfd, name, as, 0, err);
    }
    if (archive_write_close(t->a) != ARCHIVE_OK && r == 0)
        r = hk_error_set(err, -EIO, "tar: %s", archive_error_string(t->a));
    archive_write_free(t->a);
    free(t);
    return r;
}
