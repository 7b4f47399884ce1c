#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/fs.h"

int open_in_root(int rootfd, const char *path, int flags, mode_t mode, unsigned extra_resolve)
{
    struct open_how how = {
        .flags = (unsigned)flags | O_CLOEXEC,
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra_resolve,
    };
    while (*path == '/')
        path++;
    if (*path == '\0')
        path = ".";
    for (;;) {
        long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
    }
}

int fd_mount_id(int fd, uint64_t *ret)
{
    struct statx stx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
        return -errno;
    *ret = stx.stx_mnt_id;
    return 0;
}

const char *fd_path(int fd, char *buf, size_t size)
{
    snprintf(buf, size, "/proc/self/fd/%d", fd);
    return buf;
}

char *path_clean(const char *path)
{
    size_t len = strlen(path);
    char *out = xcalloc(1, len + 2);
    size_t n = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchrnul(p, '/');
        size_t clen = (size_t)(end - p);
        if (clen == 1 && p[0] == '.') {
            /* skip */
        } else if (clen == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
        } else {
            out[n++] = '/';
            memcpy(out + n, p, clen);
            n += clen;
        }
        p = end;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    return out;
}

int path_split(const char *path, char **ret_dir, char **ret_base)
{
    _cleanup_free_ char *clean = path_clean(path);
    if (strcmp(clean, "/") == 0)
        return -EINVAL;
    char *slash = strrchr(clean, '/');
    *ret_base = xstrdup(slash + 1);
    *slash = '\0';
    *ret_dir = xstrdup(clean[0] ? clean : "/");
    return 0;
}

/* The prefix at `sofar` is a symlink whose target does not exist yet: the path to create
 * instead, as the link would resolve inside the root (target + rest, cleaned). NULL when it
 * is not a symlink. */
static char *follow_dangling(int rootfd, const char *sofar, const char *rest)
{
    _cleanup_free_ char *dir = NULL, *base = NULL;
    if (path_split(sofar, &dir, &base) < 0)
        return NULL;
    _cleanup_close_ int dfd = open_in_root(rootfd, dir, O_PATH | O_DIRECTORY, 0, 0);
    if (dfd < 0)
        return NULL;
    char target[4096];
    ssize_t n = readlinkat(dfd, base, target, sizeof(target) - 1);
    if (n < 0)
        return NULL;
    target[n] = '\0';
    _cleanup_free_ char *joined = target[0] == '/' ? xasprintf("%s/%s", target, rest)
                                                   : xasprintf("%s/%s/%s", dir, target, rest);
    return path_clean(joined);
}

/* One pass of mkdir -p: each component is created relative to its parent's fd, which was
 * resolved from the root (a symlink component is followed inside the root, never out).
 * Returns -EAGAIN with *ret_retry set when a dangling symlink redirected the path. */
static int walk_once(int rootfd, const char *clean, mode_t mode, int *ret_fd, char **ret_retry,
                     struct hk_error *err)
{
    _cleanup_close_ int cur = open_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0, 0);
    if (cur < 0)
        return hk_error_errno(err, cur, "open root");
    _cleanup_free_ char *sofar = xcalloc(1, strlen(clean) + 2);
    const char *p = clean;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchrnul(p, '/');
        size_t clen = (size_t)(end - p), slen = strlen(sofar);
        sofar[slen] = '/';
        memcpy(sofar + slen + 1, p, clen);
        sofar[slen + 1 + clen] = '\0';
        int fd = open_in_root(rootfd, sofar, O_PATH | O_DIRECTORY, 0, 0);
        if (fd == -ENOENT) {
            _cleanup_free_ char *name = strndup(p, clen);
            if (mkdirat(cur, name, mode) < 0 && errno != EEXIST)
                return hk_error_errno(err, -errno, "mkdir '%s'", sofar);
            fd = open_in_root(rootfd, sofar, O_PATH | O_DIRECTORY, 0, 0);
            if (fd == -ENOENT && (*ret_retry = follow_dangling(rootfd, sofar, end)))
                return -EAGAIN;
        }
        if (fd < 0)
            return hk_error_errno(err, fd, "'%s'", sofar);
        close(cur);
        cur = fd;
        p = end;
    }
    *ret_fd = TAKE_FD(cur);
    return 0;
}

static int walk_mkdir(int rootfd, const char *clean, mode_t mode, int *ret_fd, struct hk_error *err)
{
    _cleanup_free_ char *path = xstrdup(clean);
    for (int hops = 0; hops < 40; hops++) {
        char *retry = NULL;
        int r = walk_once(rootfd, path, mode, ret_fd, &retry, err);
        if (r != -EAGAIN)
            return r;
        free(path);
        path = retry;
    }
    return hk_error_set(err, -ELOOP, "'%s': too many levels of symbolic links", clean);
}

int mkdir_p_in_root(int rootfd, const char *path, mode_t mode, int *ret_fd, struct hk_error *err)
{
    _cleanup_free_ char *clean = path_clean(path);
    return walk_mkdir(rootfd, clean, mode, ret_fd, err);
}

int touch_in_root(int rootfd, const char *path, mode_t mode, int *ret_fd, struct hk_error *err)
{
    int fd = open_in_root(rootfd, path, O_PATH, 0, 0);
    if (fd >= 0) {
        *ret_fd = fd;
        return 0;
    }
    if (fd != -ENOENT)
        return hk_error_errno(err, fd, "'%s'", path);
    _cleanup_free_ char *dir = NULL, *base = NULL;
    if (path_split(path, &dir, &base) < 0)
        return hk_error_set(err, -EINVAL, "'%s' is not a file path", path);
    _cleanup_close_ int dfd = -1;
    int r = mkdir_p_in_root(rootfd, dir, 0755, &dfd, err);
    if (r < 0)
        return r;
    /* O_PATH dirs can't be used with openat(O_CREAT): reopen the parent for real. */
    char buf[64];
    _cleanup_close_ int real = open(fd_path(dfd, buf, sizeof(buf)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (real < 0)
        return hk_error_errno(err, -errno, "open '%s'", dir);
    _cleanup_close_ int f = openat(real, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
    if (f < 0 && errno != EEXIST && errno != ELOOP)
        return hk_error_errno(err, -errno, "create '%s'", path);
    fd = open_in_root(rootfd, path, O_PATH, 0, 0);
    if (fd < 0)
        return hk_error_errno(err, fd, "'%s'", path);
    *ret_fd = fd;
    return 0;
}
