/* copy.c — see copy.h. */
#include "build/copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/decompress.h"
#include "image/layer.h"
#include "util/fs.h"
#include "util/path.h"

struct walk {
    const struct build_copy *c;
    struct sha256 *h; /* hashing, else copying */
    struct hk_error *err;
};

static void hash_str(struct sha256 *h, const char *s)
{
    sha256_update(h, s, strlen(s) + 1);
}

static int copy_entry(struct walk *w, int sdir, const char *name, const char *rel, int ddir,
                      const char *dname, int depth);

static int copy_children(struct walk *w, int sfd, const char *rel, int dfd, int depth)
{
    if (depth > 256)
        return hk_error_set(w->err, -ELOOP, "'%s': too deep", rel);
    int fd = dup(sfd);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return hk_error_errno(w->err, -errno, "read '%s'", rel);
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            names = xrealloc(names, (n + 1) * sizeof(*names));
            names[n++] = xstrdup(de->d_name);
        }
    closedir(d);
    qsort(names, n, sizeof(*names), (int (*)(const void *, const void *))strcmp);
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *sub = xasprintf("%s%s%s", rel, *rel ? "/" : "", names[i]);
        struct stat st;
        bool dir = fstatat(sfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        if (r == 0 && !(w->c->skip && w->c->skip(sub, dir, w->c->skip_ud)))
            r = copy_entry(w, sfd, names[i], sub, dfd, names[i], depth + 1);
        free(names[i]);
    }
    free(names);
    return r;
}

static int set_owner_mode(struct walk *w, int ddir, const char *dname, const struct stat *st)
{
    if (fchownat(ddir, dname, w->c->uid, w->c->gid, AT_SYMLINK_NOFOLLOW) < 0)
        return hk_error_errno(w->err, -errno, "chown '%s'", dname);
    if (S_ISLNK(st->st_mode))
        return 0;
    mode_t m = w->c->mode >= 0 ? (mode_t)w->c->mode : st->st_mode & 07777;
    if (fchmodat(ddir, dname, m, 0) < 0)
        return hk_error_errno(w->err, -errno, "chmod '%s'", dname);
    return 0;
}

static int copy_file(struct walk *w, int sdir, const char *name, const char *rel, int ddir,
                     const char *dname, const struct stat *st)
{
    _cleanup_close_ int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return hk_error_errno(w->err, -errno, "open '%s'", rel);
    if (w->h) {
        char buf[1 << 16];
        ssize_t n;
        while ((n = read(in, buf, sizeof(buf))) > 0)
            sha256_update(w->h, buf, (size_t)n);
        return n < 0 ? hk_error_errno(w->err, -errno, "read '%s'", rel) : 0;
    }
    unlinkat(ddir, dname, 0); /* a later source replaces an earlier one */
    _cleanup_close_ int out =
        openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return hk_error_errno(w->err, -errno, "create '%s'", dname);
    if (copy_fd(in, out) < 0)
        return hk_error_errno(w->err, -errno, "copy '%s'", rel);
    return set_owner_mode(w, ddir, dname, st);
}

static int copy_entry(struct walk *w, int sdir, const char *name, const char *rel, int ddir,
                      const char *dname, int depth)
{
    struct stat st;
    if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hk_error_errno(w->err, -errno, "stat '%s'", rel);
    if (w->h) {
        char m[32];
        snprintf(m, sizeof(m), "%o", st.st_mode);
        hash_str(w->h, rel);
        hash_str(w->h, m);
    }
    if (S_ISDIR(st.st_mode)) {
        if (!w->h && mkdirat(ddir, dname, 0755) < 0 && errno != EEXIST)
            return hk_error_errno(w->err, -errno, "mkdir '%s'", dname);
        _cleanup_close_ int sfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int dfd = w->h ? -1 : openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0 || (!w->h && dfd < 0))
            return hk_error_errno(w->err, -errno, "open '%s'", rel);
        int r = w->h ? 0 : set_owner_mode(w, ddir, dname, &st);
        return r < 0 ? r : copy_children(w, sfd, rel, dfd, depth);
    }
    if (S_ISREG(st.st_mode))
        return copy_file(w, sdir, name, rel, ddir, dname, &st);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
        if (n < 0)
            return hk_error_errno(w->err, -errno, "readlink '%s'", rel);
        target[n] = 0;
        if (w->h) {
            hash_str(w->h, target);
            return 0;
        }
        unlinkat(ddir, dname, 0);
        if (symlinkat(target, ddir, dname) < 0)
            return hk_error_errno(w->err, -errno, "symlink '%s'", dname);
        return set_owner_mode(w, ddir, dname, &st);
    }
    return 0; /* devices, fifos and sockets of a context are not copied */
}

static bool has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

/* The sources matching pattern src (relative to the root): parent dir fd and names. */
static int expand_src(struct walk *w, int root, const char *src, int *ret_dir, char **ret_dirpath,
                      char ***ret_names, size_t *ret_n)
{
    _cleanup_free_ char *clean = path_clean(src);
    _cleanup_free_ char *dir = NULL, *base = NULL;
    if (strcmp(clean, "/") == 0) {
        dir = xstrdup("/");
        base = xstrdup(".");
    } else {
        path_split(clean, &dir, &base);
    }
    int dfd = open_in_root(root, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0);
    if (dfd < 0)
        return hk_error_errno(w->err, dfd, "'%s': no such file or directory", src);
    char **names = xcalloc(1, sizeof(char *));
    size_t n = 0;
    if (!has_glob(base)) {
        struct stat st;
        if (strcmp(base, ".") != 0 && fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            close(dfd);
            free(names);
            return hk_error_set(w->err, -ENOENT, "'%s': no such file or directory", src);
        }
        names[n++] = xstrdup(base);
    } else {
        DIR *d = fdopendir(dup(dfd));
        struct dirent *de;
        while (d && (de = readdir(d)))
            if (de->d_name[0] != '.' || base[0] == '.')
                if (fnmatch(base, de->d_name, FNM_PERIOD) == 0) {
                    names = xrealloc(names, (n + 2) * sizeof(char *));
                    names[n++] = xstrdup(de->d_name);
                }
        if (d)
            closedir(d);
        qsort(names, n, sizeof(*names), (int (*)(const void *, const void *))strcmp);
    }
    *ret_dir = dfd;
    *ret_dirpath = xstrdup(dir + 1); /* relative: "" or "a/b" */
    *ret_names = names;
    *ret_n = n;
    return 0;
}

static int dest_dir(struct walk *w, int layer_fd, const char *path, int *ret)
{
    int pfd = -1;
    int r = mkdir_p_in_root(layer_fd, path, 0755, &pfd, w->err);
    if (r < 0)
        return r;
    char p[64];
    *ret = open(fd_path(pfd, p, sizeof(p)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(pfd);
    return *ret < 0 ? hk_error_errno(w->err, -errno, "open '%s'", path) : 0;
}

/* Whether the regular file fd is a tar archive, compressed or not: the first 512 bytes of
 * its (decompressed) content are a tar header with a valid checksum. */
static bool is_tar_archive(int fd)
{
    struct dstream *d = NULL;
    struct hk_error e = {0};
    unsigned char h[512];
    size_t got = 0;
    if (dstream_open(fd, &d, &e) < 0)
        return false;
    while (got < sizeof(h)) {
        ssize_t n = dstream_read(d, h + got, sizeof(h) - got, &e);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    dstream_free(d);
    if (got < sizeof(h) || lseek(fd, 0, SEEK_SET) < 0)
        return false;
    char field[9] = {0};
    memcpy(field, h + 148, 8);
    char *end;
    unsigned long want = strtoul(field, &end, 8), sum = 0;
    for (size_t i = 0; i < sizeof(h); i++)
        sum += i >= 148 && i < 156 ? ' ' : h[i];
    return h[0] && end != field && sum == want;
}

/* ADD of a local archive: unpack it into dest (a directory, whatever its spelling). 1 when
 * the source was an archive and is unpacked, 0 when it is not an archive. */
static int extract_source(struct walk *w, int sdir, const char *name, const char *rel, int layer_fd)
{
    _cleanup_close_ int fd = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(w->err, -errno, "open '%s'", rel);
    if (!is_tar_archive(fd))
        return 0;
    if (w->h) { /* the archive's bytes decide the result */
        char buf[1 << 16];
        ssize_t n;
        hash_str(w->h, "extract");
        hash_str(w->h, rel);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
            sha256_update(w->h, buf, (size_t)n);
        return n < 0 ? hk_error_errno(w->err, -errno, "read '%s'", rel) : 1;
    }
    _cleanup_close_ int dfd = -1;
    int r = dest_dir(w, layer_fd, w->c->dest, &dfd);
    struct layer_unpack_opts o = {.name = rel, .owners = true, .limit = w->c->limit};
    if (r == 0)
        r = layer_unpack(fd, dfd, &o, NULL, w->err);
    return r < 0 ? r : 1;
}

static int one_source(struct walk *w, int sdir, const char *name, const char *rel, int layer_fd,
                      bool to_dir, bool extract)
{
    const char *dest = w->c->dest;
    struct stat st;
    if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hk_error_errno(w->err, -errno, "stat '%s'", rel);
    _cleanup_close_ int dfd = -1;
    if (extract && S_ISREG(st.st_mode)) {
        int r = extract_source(w, sdir, name, rel, layer_fd);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    if (S_ISDIR(st.st_mode)) { /* a directory's contents go into dest */
        _cleanup_close_ int sfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sfd < 0)
            return hk_error_errno(w->err, -errno, "open '%s'", rel);
        int r = w->h ? 0 : dest_dir(w, layer_fd, dest, &dfd);
        return r < 0 ? r : copy_children(w, sfd, rel, dfd, 0);
    }
    _cleanup_free_ char *parent = NULL, *base = NULL;
    if (to_dir) {
        parent = xstrdup(dest);
        base = xstrdup(name);
    } else {
        path_split(dest, &parent, &base);
    }
    int r = w->h ? 0 : dest_dir(w, layer_fd, parent, &dfd);
    return r < 0 ? r : copy_entry(w, sdir, name, rel, dfd, base, 0);
}

static int walk_sources(struct walk *w, int layer_fd)
{
    const struct build_copy *c = w->c;
    size_t len = strlen(c->dest);
    bool to_dir = len > 0 && c->dest[len - 1] == '/';
    if (c->n_srcs > 1 && !to_dir)
        return hk_error_set(w->err, -EINVAL, "When using COPY with more than one source file, "
                            "the destination must be a directory and end with a /");
    size_t total = 0;
    for (size_t i = 0; i < c->n_srcs; i++) {
        int dfd = -1;
        char **names = NULL;
        _cleanup_free_ char *dirpath = NULL;
        size_t n = 0;
        bool local = !c->roots || c->roots[i] < 0;
        int r = expand_src(w, local ? c->src_root : c->roots[i], c->srcs[i], &dfd, &dirpath, &names,
                           &n);
        if (r < 0)
            return r;
        if (n > 1 && !to_dir)
            r = hk_error_set(w->err, -EINVAL, "When using COPY with more than one source "
                             "file, the destination must be a directory and end with a /");
        size_t used = 0;
        for (size_t k = 0; k < n; k++) {
            _cleanup_free_ char *rel = strcmp(names[k], ".") == 0 ? xstrdup(dirpath)
                                       : xasprintf("%s%s%s", dirpath, *dirpath ? "/" : "",
                                                   names[k]);
            bool skip = local && *rel && c->skip && c->skip(rel, false, c->skip_ud);
            if (r == 0 && !skip)
                r = one_source(w, dfd, names[k], rel, layer_fd, to_dir, local && c->extract);
            used += !skip;
            free(names[k]);
        }
        total += used;
        free(names);
        close(dfd);
        if (r < 0)
            return r;
    }
    if (total == 0)
        return hk_error_set(w->err, -ENOENT, "no source files were specified");
    return 0;
}

int build_copy_hash(const struct build_copy *c, char ret[DIGEST_STR_SIZE], struct hk_error *err)
{
    struct walk w = {.c = c, .err = err};
    int r = sha256_new(&w.h, err);
    if (r == 0)
        r = walk_sources(&w, -1);
    if (r == 0) {
        char ids[64];
        snprintf(ids, sizeof(ids), "%u:%u:%d:%s", c->uid, c->gid, c->mode, c->dest);
        hash_str(w.h, ids);
        sha256_final(w.h, ret);
    }
    sha256_free(w.h);
    return r;
}

int build_copy_run(const struct build_copy *c, int layer_fd, struct hk_error *err)
{
    struct walk w = {.c = c, .err = err};
    return walk_sources(&w, layer_fd);
}
