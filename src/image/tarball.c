#include "image/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/lazy.h"

struct tarball {
    struct archive *a;
    struct archive_entry *e;
    char *buf; /* memory target */
    size_t len, cap;
};

static la_ssize_t to_memory(struct archive *a, void *ud, const void *data, size_t n)
{
    (void)a;
    struct tarball *t = ud;
    if (t->len + n > t->cap) {
        t->cap = (t->len + n) * 2;
        t->buf = xrealloc(t->buf, t->cap);
    }
    memcpy(t->buf + t->len, data, n);
    t->len += n;
    return (la_ssize_t)n;
}

static int tarball_new(int fd, struct tarball **ret, struct hk_error *err)
{
    int r = lazy_require(LAZY_ARCHIVE, err);
    if (r < 0)
        return r;
    struct tarball *t = xcalloc(1, sizeof(*t));
    t->a = archive_write_new();
    t->e = archive_entry_new();
    if (!t->a || !t->e) {
        tarball_free(t);
        return hk_error_set(err, -ENOMEM, "archive_write_new failed");
    }
    archive_write_set_format_pax_restricted(t->a);
    archive_write_set_bytes_in_last_block(t->a, 1);
    r = fd >= 0 ? archive_write_open_fd(t->a, fd)
                : archive_write_open(t->a, t, NULL, to_memory, NULL);
    if (r != ARCHIVE_OK) {
        r = hk_error_set(err, -EIO, "tar: %s", archive_error_string(t->a));
        tarball_free(t);
        return r;
    }
    *ret = t;
    return 0;
}

int tarball_new_memory(struct tarball **ret, struct hk_error *err)
{
    return tarball_new(-1, ret, err);
}

int tarball_new_fd(int fd, struct tarball **ret, struct hk_error *err)
{
    return tarball_new(fd, ret, err);
}

static int header(struct tarball *t, const char *path, unsigned type, mode_t mode, time_t mtime,
                  uint64_t size, const char *link, struct hk_error *err)
{
    archive_entry_clear(t->e);
    archive_entry_set_pathname(t->e, path);
    archive_entry_set_filetype(t->e, type);
    archive_entry_set_perm(t->e, mode);
    archive_entry_set_uid(t->e, 0);
    archive_entry_set_gid(t->e, 0);
    archive_entry_set_mtime(t->e, mtime, 0);
    archive_entry_set_size(t->e, (la_int64_t)size);
    if (link)
        archive_entry_set_symlink(t->e, link);
    if (archive_write_header(t->a, t->e) != ARCHIVE_OK)
        return hk_error_set(err, -EIO, "tar: '%s': %s", path, archive_error_string(t->a));
    return 0;
}

static int data(struct tarball *t, const char *path, const void *buf, size_t n,
                struct hk_error *err)
{
    const char *p = buf;
    while (n > 0) {
        la_ssize_t w = archive_write_data(t->a, p, n);
        if (w <= 0)
            return hk_error_set(err, -EIO, "tar: '%s': %s", path, archive_error_string(t->a));
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int tarball_add_dir(struct tarball *t, const char *path, mode_t mode, time_t mtime,
                    struct hk_error *err)
{
    return header(t, path, AE_IFDIR, mode, mtime, 0, NULL, err);
}

int tarball_add_data(struct tarball *t, const char *path, mode_t mode, time_t mtime,
                     const void *buf, size_t len, struct hk_error *err)
{
    int r = header(t, path, AE_IFREG, mode, mtime, len, NULL, err);
    return r < 0 ? r : data(t, path, buf, len, err);
}

int tarball_add_fd(struct tarball *t, const char *path, mode_t mode, time_t mtime, int fd,
                   uint64_t size, struct hk_error *err)
{
    int r = header(t, path, AE_IFREG, mode, mtime, size, NULL, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *buf = xcalloc(1, 1 << 17);
    while (size > 0) {
        ssize_t n = read(fd, buf, size < (1 << 17) ? size : (1 << 17));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hk_error_errno(err, -errno, "read '%s'", path);
        if (n == 0)
            return hk_error_set(err, -EIO, "'%s' is shorter than expected", path);
        r = data(t, path, buf, (size_t)n, err);
        if (r < 0)
            return r;
        size -= (uint64_t)n;
    }
    return 0;
}

int tarball_add_symlink(struct tarball *t, const char *path, const char *target, time_t mtime,
                        struct hk_error *err)
{
    return header(t, path, AE_IFLNK, 0777, mtime, 0, target, err);
}

int tarball_close(struct tarball *t, struct hk_error *err)
{
    if (archive_write_close(t->a) != ARCHIVE_OK)
        return hk_error_set(err, -EIO, "tar: %s", archive_error_string(t->a));
    return 0;
}

const void *tarball_data(const struct tarball *t, size_t *ret_len)
{
    *ret_len = t->len;
    return t->buf;
}

struct tarball *tarball_free(struct tarball *t)
{
    if (!t)
        return NULL;
    if (t->e)
        archive_entry_free(t->e);
    if (t->a)
        archive_write_free(t->a);
    free(t->buf);
    free(t);
    return NULL;
}
