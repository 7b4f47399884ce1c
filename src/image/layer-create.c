/* layer-create.c — an overlay upper directory becomes a layer blob; see layer-create.h.
 *
 * Two libarchive writers are chained: the tar writer's output is hashed (the diff ID) and fed
 * to a "raw" writer whose only job is its gzip or zstd filter; that one's output goes into a
 * blob_writer, which hashes it again (the blob digest) and publishes it. */
#include "image/layer-create.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "image/manifest.h"
#include "util/fs.h"
#include "util/lazy.h"

#define MAX_DEPTH 512
#define OPAQUE_XATTR "trusted.overlay.opaque"

struct hardlink {
    dev_t dev;
    ino_t ino;
    char *path;
};

struct ctx {
    const struct layer_create_opts *o;
    struct archive *tar, *z; /* z is NULL when uncompressed */
    struct archive_entry *e;
    struct sha256 *diff;
    struct blob_writer *w; /* NULL: the tar goes to out_fd (layer_write) */
    int out_fd;
    struct hk_error *err;
    int werr; /* a failure inside a write callback */
    struct hardlink *links;
    size_t n_links;
    uint64_t entries, content_size;
    char buf[1 << 16];
};

int64_t layer_epoch(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (!s || !*s)
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    return *end || v < 0 ? 0 : (int64_t)v;
}

int layer_compression_parse(const char *s, enum layer_compression *ret, struct hk_error *err)
{
    if (strcmp(s, "gzip") == 0)
        *ret = LAYER_GZIP;
    else if (strcmp(s, "zstd") == 0)
        *ret = LAYER_ZSTD;
    else if (strcmp(s, "uncompressed") == 0 || strcmp(s, "none") == 0)
        *ret = LAYER_UNCOMPRESSED;
    else
        return hk_error_set(err, -EINVAL,
                            "--compression: '%s' is not gzip, zstd or uncompressed", s);
    return 0;
}

static la_ssize_t to_blob(struct archive *a, void *ud, const void *data, size_t n)
{
    (void)a;
    struct ctx *c = ud;
    if (!c->w) {
        ssize_t w;
        while ((w = write(c->out_fd, data, n)) < 0 && errno == EINTR)
            ;
        if (w < 0) {
            c->werr = hk_error_errno(c->err, -errno, "write the layer");
            return -1;
        }
        return (la_ssize_t)w;
    }
    int r = blob_writer_write(c->w, data, n, c->err);
    if (r < 0) {
        c->werr = r;
        return -1;
    }
    return (la_ssize_t)n;
}

static la_ssize_t from_tar(struct archive *a, void *ud, const void *data, size_t n)
{
    (void)a;
    struct ctx *c = ud;
    sha256_update(c->diff, data, n);
    if (!c->z)
        return to_blob(a, ud, data, n);
    const char *p = data;
    for (size_t left = n; left > 0;) {
        la_ssize_t w = archive_write_data(c->z, p, left);
        if (w <= 0) {
            if (!c->werr)
                c->werr = hk_error_set(c->err, -EIO, "compress: %s",
                                       archive_error_string(c->z));
            return -1;
        }
        p += w;
        left -= (size_t)w;
    }
    return (la_ssize_t)n;
}

static int tar_failed(struct ctx *c, const char *path)
{
    if (c->werr)
        return c->werr;
    return hk_error_set(c->err, -EIO, "tar: '%s': %s", path, archive_error_string(c->tar));
}

/* Copy the xattrs of dirfd/name except overlay's own; *ret_opaque says whether the directory
 * is opaque. */
static int add_xattrs(struct ctx *c, int dirfd, const char *name, bool *ret_opaque)
{
    char proc[64 + NAME_MAX];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dirfd, name);
    char names[8192];
    ssize_t n = llistxattr(proc, names, sizeof(names));
    if (n < 0)
        return errno == ENOTSUP ? 0 : hk_error_errno(c->err, -errno, "list xattrs of '%s'", name);
    for (char *k = names; k < names + n; k += strlen(k) + 1) {
        char val[4096];
        ssize_t v = lgetxattr(proc, k, val, sizeof(val));
        if (v < 0)
            return hk_error_errno(c->err, -errno, "xattr '%s' of '%s'", k, name);
        if (strcmp(k, OPAQUE_XATTR) == 0) {
            *ret_opaque = v == 1 && val[0] == 'y';
            continue;
        }
        if (strcmp(k, "trusted.overlay.redirect") == 0 || strcmp(k, "trusted.overlay.metacopy") == 0)
            return hk_error_set(c->err, -ENOTSUP,
                                "'%s' is an overlay redirect or metacopy entry, which a layer "
                                "cannot hold", name);
        if (strncmp(k, "trusted.overlay.", 16) == 0)
            continue;
        archive_entry_xattr_add_entry(c->e, k, val, (size_t)v);
    }
    return 0;
}

static void entry_base(struct ctx *c, const char *path, const struct stat *st, unsigned type)
{
    archive_entry_clear(c->e);
    archive_entry_set_pathname(c->e, path);
    archive_entry_set_filetype(c->e, type);
    archive_entry_set_perm(c->e, st->st_mode & 07777);
    archive_entry_set_uid(c->e, st->st_uid);
    archive_entry_set_gid(c->e, st->st_gid);
    archive_entry_set_mtime(c->e, (time_t)c->o->mtime, 0);
    archive_entry_set_size(c->e, 0);
}

static int write_header(struct ctx *c, const char *path)
{
    if (archive_write_header(c->tar, c->e) != ARCHIVE_OK)
        return tar_failed(c, path);
    c->entries++;
    return 0;
}

static int write_contents(struct ctx *c, int dirfd, const char *name, const char *path,
                          uint64_t size)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(c->err, -errno, "open '%s'", path);
    while (size > 0) {
        ssize_t n = read(fd, c->buf, size < sizeof(c->buf) ? size : sizeof(c->buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hk_error_errno(c->err, -errno, "read '%s'", path);
        if (n == 0)
            return hk_error_set(c->err, -EIO, "'%s' shrank while it was archived", path);
        for (ssize_t off = 0; off < n;) {
            la_ssize_t w = archive_write_data(c->tar, c->buf + off, (size_t)(n - off));
            if (w <= 0)
                return tar_failed(c, path);
            off += w;
        }
        size -= (uint64_t)n;
    }
    return 0;
}

/* A regular file: a hard link to an earlier path of the same inode, or its contents. */
static int add_file(struct ctx *c, int dirfd, const char *name, const char *path,
                    const struct stat *st)
{
    if (st->st_nlink > 1) {
        for (size_t i = 0; i < c->n_links; i++)
            if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino) {
                archive_entry_set_hardlink(c->e, c->links[i].path);
                return write_header(c, path);
            }
        c->links = xrealloc(c->links, (c->n_links + 1) * sizeof(*c->links));
        c->links[c->n_links++] = (struct hardlink){st->st_dev, st->st_ino, xstrdup(path)};
    }
    archive_entry_set_size(c->e, st->st_size);
    c->content_size += (uint64_t)st->st_size;
    int r = write_header(c, path);
    return r < 0 ? r : write_contents(c, dirfd, name, path, (uint64_t)st->st_size);
}

static int walk(struct ctx *c, int dirfd, const char *prefix, int depth);

static int add_whiteout(struct ctx *c, const char *dir, const char *name, const struct stat *st)
{
    _cleanup_free_ char *path = xasprintf("%s%s.wh.%s", dir, *dir ? "/" : "", name);
    entry_base(c, path, st, AE_IFREG);
    archive_entry_set_perm(c->e, 0);
    return write_header(c, path);
}

static int add_dir(struct ctx *c, int dirfd, const char *name, const char *path,
                   const struct stat *st, int depth)
{
    bool opaque = false;
    int r = add_xattrs(c, dirfd, name, &opaque);
    if (r == 0)
        r = write_header(c, path);
    if (r == 0 && opaque) {
        _cleanup_free_ char *wh = xasprintf("%s/.wh..wh..opq", path);
        entry_base(c, wh, st, AE_IFREG);
        archive_entry_set_perm(c->e, 0);
        r = write_header(c, wh);
    }
    if (r < 0)
        return r;
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(c->err, -errno, "open '%s'", path);
    return walk(c, fd, path, depth + 1);
}

static bool skipped(const struct ctx *c, const char *path)
{
    return c->o->skip_etc_mounts &&
           (strcmp(path, "etc/hosts") == 0 || strcmp(path, "etc/hostname") == 0 ||
            strcmp(path, "etc/resolv.conf") == 0);
}

static int add_one(struct ctx *c, int dirfd, const char *prefix, const char *name, int depth)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hk_error_errno(c->err, -errno, "stat '%s/%s'", prefix, name);
    _cleanup_free_ char *path = xasprintf("%s%s%s", prefix, *prefix ? "/" : "", name);
    if (skipped(c, path) || S_ISSOCK(st.st_mode)) /* docker leaves sockets out too */
        return 0;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
        return add_whiteout(c, prefix, name, &st);
    bool opaque = false;
    int r = 0;
    switch (st.st_mode & S_IFMT) {
    case S_IFDIR:
        entry_base(c, path, &st, AE_IFDIR);
        return add_dir(c, dirfd, name, path, &st, depth);
    case S_IFREG:
        entry_base(c, path, &st, AE_IFREG);
        r = add_xattrs(c, dirfd, name, &opaque);
        return r < 0 ? r : add_file(c, dirfd, name, path, &st);
    case S_IFLNK: {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
        if (n < 0)
            return hk_error_errno(c->err, -errno, "readlink '%s'", path);
        target[n] = 0;
        c->content_size += (uint64_t)n;
        entry_base(c, path, &st, AE_IFLNK);
        archive_entry_set_symlink(c->e, target);
        r = add_xattrs(c, dirfd, name, &opaque);
        return r < 0 ? r : write_header(c, path);
    }
    default: /* devices and fifos */
        entry_base(c, path, &st, S_ISCHR(st.st_mode)   ? AE_IFCHR
                                 : S_ISBLK(st.st_mode) ? AE_IFBLK
                                                       : AE_IFIFO);
        archive_entry_set_rdevmajor(c->e, major(st.st_rdev));
        archive_entry_set_rdevminor(c->e, minor(st.st_rdev));
        r = add_xattrs(c, dirfd, name, &opaque);
        return r < 0 ? r : write_header(c, path);
    }
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dirfd, sorted (allocated array of allocated strings). */
static int list_dir(struct ctx *c, int dirfd, const char *prefix, char ***ret, size_t *ret_n)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        int r = hk_error_errno(c->err, -errno, "read directory '%s'", *prefix ? prefix : "/");
        if (fd >= 0)
            close(fd);
        return r;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        names = xrealloc(names, (n + 1) * sizeof(*names));
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp_names);
    *ret = names;
    *ret_n = n;
    return 0;
}

static int walk(struct ctx *c, int dirfd, const char *prefix, int depth)
{
    if (depth > MAX_DEPTH)
        return hk_error_set(c->err, -ELOOP, "'%s': deeper than %d directories", prefix,
                            MAX_DEPTH);
    char **names = NULL;
    size_t n = 0;
    int r = list_dir(c, dirfd, prefix, &names, &n);
    for (size_t i = 0; i < n; i++) {
        if (r == 0)
            r = add_one(c, dirfd, prefix, names[i], depth);
        free(names[i]);
    }
    free(names);
    return r;
}

static int open_writers(struct ctx *c, enum layer_compression comp, struct hk_error *err)
{
    c->tar = archive_write_new();
    c->e = archive_entry_new();
    if (!c->tar || !c->e)
        return hk_error_set(err, -ENOMEM, "archive_write_new failed");
    archive_write_set_format_pax_restricted(c->tar);
    archive_write_set_bytes_in_last_block(c->tar, 1);
    if (comp != LAYER_UNCOMPRESSED) {
        c->z = archive_write_new();
        if (!c->z)
            return hk_error_set(err, -ENOMEM, "archive_write_new failed");
        archive_write_set_format_raw(c->z);
        int r = comp == LAYER_GZIP ? archive_write_add_filter_gzip(c->z)
                                   : archive_write_add_filter_zstd(c->z);
        if (r == ARCHIVE_OK && comp == LAYER_GZIP)
            r = archive_write_set_options(c->z, "gzip:!timestamp");
        archive_write_set_bytes_in_last_block(c->z, 1);
        if (r == ARCHIVE_OK)
            r = archive_write_open(c->z, c, NULL, to_blob, NULL);
        struct archive_entry *raw = archive_entry_new();
        archive_entry_set_filetype(raw, AE_IFREG);
        archive_entry_set_pathname(raw, "layer.tar");
        if (r == ARCHIVE_OK)
            r = archive_write_header(c->z, raw);
        archive_entry_free(raw);
        if (r != ARCHIVE_OK)
            return hk_error_set(err, -EIO, "%s: %s", comp == LAYER_GZIP ? "gzip" : "zstd",
                                archive_error_string(c->z));
    }
    if (archive_write_open(c->tar, c, NULL, from_tar, NULL) != ARCHIVE_OK)
        return hk_error_set(err, -EIO, "tar: %s", archive_error_string(c->tar));
    return 0;
}

static int close_writers(struct ctx *c)
{
    if (archive_write_close(c->tar) != ARCHIVE_OK)
        return tar_failed(c, "end of archive");
    if (c->z && archive_write_close(c->z) != ARCHIVE_OK)
        return c->werr ? c->werr
                       : hk_error_set(c->err, -EIO, "compress: %s", archive_error_string(c->z));
    return 0;
}

/* The whole tree through the writers. */
static int write_tar(struct ctx *c, int upper_fd, enum layer_compression comp,
                     struct hk_error *err)
{
    int r = open_writers(c, comp, err);
    if (r == 0 && c->o->opaque_root) {
        struct stat st = {.st_mode = S_IFREG};
        entry_base(c, ".wh..wh..opq", &st, AE_IFREG);
        r = write_header(c, ".wh..wh..opq");
    }
    if (r == 0)
        r = walk(c, upper_fd, "", 0);
    return r == 0 ? close_writers(c) : r;
}

static void ctx_clear(struct ctx *c)
{
    if (c->e)
        archive_entry_free(c->e);
    if (c->tar)
        archive_write_free(c->tar);
    if (c->z)
        archive_write_free(c->z);
    sha256_free(c->diff);
    blob_writer_free(c->w);
    for (size_t i = 0; i < c->n_links; i++)
        free(c->links[i].path);
    free(c->links);
}

/* A walk's context (*ret_c even on failure, for ctx_clear); libarchive loaded. */
static int ctx_new(const struct layer_create_opts *o, struct ctx **ret_c, struct hk_error *err)
{
    struct ctx *c = *ret_c = xcalloc(1, sizeof(*c));
    c->o = o;
    c->err = err;
    int r = lazy_require(LAZY_ARCHIVE, err);
    return r < 0 ? r : sha256_new(&c->diff, err);
}

int layer_create(struct store *s, int upper_fd, const struct layer_create_opts *o,
                 struct layer_created *ret, struct hk_error *err)
{
    struct ctx *c = NULL;
    int r = ctx_new(o, &c, err);
    if (r == 0)
        r = blob_writer_new(s, NULL, -1, UINT64_C(1) << 42, &c->w, err);
    if (r == 0)
        r = write_tar(c, upper_fd, o->compression, err);
    if (r == 0) {
        sha256_final(c->diff, ret->diff_id);
        ret->size = blob_writer_size(c->w);
        ret->entries = c->entries;
        ret->content_size = c->content_size;
        r = blob_writer_commit(TAKE_PTR(c->w), ret->digest, err);
    }
    ret->media_type = o->compression == LAYER_GZIP   ? MT_OCI_LAYER_GZIP
                      : o->compression == LAYER_ZSTD ? MT_OCI_LAYER_ZSTD
                                                     : MT_OCI_LAYER;
    ctx_clear(c);
    free(c);
    return r < 0 ? hk_error_prefix(err, r, "create layer") : 0;
}

int layer_write(int upper_fd, const struct layer_create_opts *o, int out_fd, struct hk_error *err)
{
    struct ctx *c = NULL;
    int r = ctx_new(o, &c, err);
    c->out_fd = out_fd;
    if (r == 0)
        r = write_tar(c, upper_fd, LAYER_UNCOMPRESSED, err);
    ctx_clear(c);
    free(c);
    return r < 0 ? hk_error_prefix(err, r, "write layer") : 0;
}
