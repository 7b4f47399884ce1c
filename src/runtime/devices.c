#include "runtime/devices.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"

static const struct oci_device default_devices[] = {
    {.path = "/dev/null", .type = 'c', .major = 1, .minor = 3},
    {.path = "/dev/zero", .type = 'c', .major = 1, .minor = 5},
    {.path = "/dev/full", .type = 'c', .major = 1, .minor = 7},
    {.path = "/dev/random", .type = 'c', .major = 1, .minor = 8},
    {.path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9},
    {.path = "/dev/tty", .type = 'c', .major = 5, .minor = 0},
};

static mode_t type_bits(char type)
{
    switch (type) {
    case 'b':
        return S_IFBLK;
    case 'p':
        return S_IFIFO;
    default:
        return S_IFCHR;
    }
}

/* Bind the host's node at the same path over an empty file (user namespaces). */
static int bind_host_node(int dirfd, const char *base, const struct oci_device *d,
                          struct hk_error *err)
{
    _cleanup_close_ int f = openat(dirfd, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0)
        return hk_error_errno(err, -errno, "create '%s'", d->path);
    _cleanup_close_ int tree = open_tree(AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return hk_error_errno(err, -errno, "open the host's '%s'", d->path);
    _cleanup_close_ int dst = openat(dirfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (dst < 0 ||
        move_mount(tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return hk_error_errno(err, -errno, "bind the host's '%s'", d->path);
    return 0;
}

static bool is_own(const struct dev_mounts *own, uint64_t id, bool fresh_only)
{
    for (size_t i = fresh_only ? 1 : 0; i < own->n; i++)
        if (own->ids[i] == id)
            return true;
    return false;
}

/* Whether dir (a path in the rootfs, maybe not made yet) is, or would be made, on one of our
 * own mounts: the mount of its deepest existing ancestor decides. */
static int check_on_own_mount(int rootfd, const char *dir, const struct dev_mounts *own,
                              const char *path, struct hk_error *err)
{
    _cleanup_free_ char *cur = xstrdup(dir);
    _cleanup_close_ int fd = -1;
    for (;;) {
        fd = open_in_root(rootfd, cur, O_PATH, 0, 0);
        if (fd >= 0 || fd != -ENOENT || strcmp(cur, "/") == 0)
            break;
        char *up = NULL, *base = NULL;
        if (path_split(cur, &up, &base) < 0)
            break;
        free(base);
        free(cur);
        cur = up;
    }
    uint64_t id;
    if (fd < 0 || fd_mount_id(fd, &id) < 0)
        return hk_error_errno(err, fd < 0 ? fd : -errno, "open '%s'", cur);
    if (!is_own(own, id, false))
        return hk_error_set(err, -EPERM,
                            "'%s' would be made on a mount the container did not make (a bind "
                            "mount of '%s'): refusing to create a device node there",
                            path, cur);
    return 0;
}

/* An existing entry that is a mount point (something bound onto it) is left as it is. */
static bool is_mount_point(int dirfd, const char *base)
{
    struct statx d, f;
    return statx(dirfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &d) == 0 &&
           statx(dirfd, base, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &f) == 0 &&
           d.stx_mnt_id != f.stx_mnt_id;
}

static int create_one(int rootfd, const struct oci_device *d, const struct dev_mounts *own,
                      bool in_userns, struct hk_error *err)
{
    _cleanup_free_ char *dir = NULL, *base = NULL;
    if (path_split(d->path, &dir, &base) < 0)
        return hk_error_set(err, -EINVAL, "'%s' is not a device path", d->path);
    int r = check_on_own_mount(rootfd, dir, own, d->path, err);
    if (r < 0)
        return r;
    _cleanup_close_ int opath = -1;
    r = mkdir_p_in_root(rootfd, dir, 0755, &opath, err);
    if (r < 0)
        return r;
    char buf[64];
    _cleanup_close_ int dirfd = open(fd_path(opath, buf, sizeof(buf)),
                                     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return hk_error_errno(err, -errno, "open '%s'", dir);
    if (is_mount_point(dirfd, base)) {
        log_debug("devices: '%s' has a mount on it: left as it is", d->path);
        return 0;
    }
    /* Whatever the image had there (a file, a symlink) is replaced, never followed. */
    if (unlinkat(dirfd, base, 0) < 0 && errno != ENOENT)
        return hk_error_errno(err, -errno, "remove the image's '%s'", d->path);
    if (in_userns && d->type != 'p')
        return bind_host_node(dirfd, base, d, err);
    mode_t mode = (d->has_file_mode ? d->file_mode : 0666) | type_bits(d->type);
    dev_t dev = makedev((unsigned)d->major, (unsigned)d->minor);
    if (mknodat(dirfd, base, mode, d->type == 'p' ? 0 : dev) < 0)
        return hk_error_errno(err, -errno, "mknod '%s'", d->path);
    /* mknod applies the umask; set the mode as asked. */
    if (fchmodat(dirfd, base, mode & 07777, 0) < 0)
        return hk_error_errno(err, -errno, "chmod '%s'", d->path);
    if ((d->has_uid || d->has_gid) &&
        fchownat(dirfd, base, d->has_uid ? d->uid : (uid_t)-1, d->has_gid ? d->gid : (gid_t)-1,
                 AT_SYMLINK_NOFOLLOW) < 0)
        return hk_error_errno(err, -errno, "chown '%s'", d->path);
    return 0;
}

static int make_links(int rootfd, struct hk_error *err)
{
    static const char *const links[][2] = {
        {"/proc/self/fd", "fd"},     {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
    };
    _cleanup_close_ int dev = open_in_root(rootfd, "/dev", O_RDONLY | O_DIRECTORY, 0,
                                           RESOLVE_NO_SYMLINKS);
    if (dev < 0)
        return hk_error_errno(err, dev, "open /dev in the rootfs");
    for (size_t i = 0; i < ELEMENTSOF(links); i++) {
        struct stat st;
        if (strcmp(links[i][1], "ptmx") == 0 && fstatat(dev, "pts/ptmx", &st, 0) < 0)
            continue; /* no devpts mounted: leave /dev/ptmx as the image has it */
        if (is_mount_point(dev, links[i][1]))
            continue;
        if (unlinkat(dev, links[i][1], 0) < 0 && errno != ENOENT && errno != EISDIR)
            return hk_error_errno(err, -errno, "remove /dev/%s", links[i][1]);
        if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
            return hk_error_errno(err, -errno, "link /dev/%s", links[i][1]);
    }
    return 0;
}

int devices_create(const struct oci_spec *s, int rootfd, const struct dev_mounts *own,
                   bool in_userns, struct hk_error *err)
{
    /* What is at /dev now decides: a fresh filesystem we mounted gets the default nodes and
     * links; one from outside (a bind of the host's /dev) gets nothing, as with runc and crun. */
    _cleanup_close_ int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0,
                                           RESOLVE_NO_SYMLINKS);
    uint64_t dev_id = 0;
    if (dev >= 0 && fd_mount_id(dev, &dev_id) < 0)
        return hk_error_errno(err, -errno, "/dev in the rootfs");
    bool dev_fresh = dev >= 0 && is_own(own, dev_id, true);
    bool dev_ours = dev < 0 || is_own(own, dev_id, false);
    int r;
    if (dev_fresh) {
        for (size_t i = 0; i < ELEMENTSOF(default_devices); i++) {
            bool overridden = false;
            for (size_t k = 0; k < s->linux_.n_devices; k++)
                overridden |= strcmp(s->linux_.devices[k].path, default_devices[i].path) == 0;
            if (overridden)
                continue;
            r = create_one(rootfd, &default_devices[i], own, in_userns, err);
            if (r < 0)
                return hk_error_prefix(err, r, "default device");
        }
        r = make_links(rootfd, err);
        if (r < 0)
            return r;
        /* the terminal is bound onto /dev/console after /dev may have become read-only */
        if (s->process && s->process->terminal) {
            int f = openat(dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
                                                          O_CLOEXEC, 0600);
            if (f < 0 && errno != EEXIST)
                return hk_error_errno(err, -errno, "create /dev/console");
            if (f >= 0)
                close(f);
        }
    }
    for (size_t i = 0; i < s->linux_.n_devices; i++) {
        const struct oci_device *d = &s->linux_.devices[i];
        _cleanup_free_ char *clean = path_clean(d->path);
        if (!dev_ours && strncmp(clean, "/dev/", 5) == 0) {
            log_debug("linux.devices[%zu]: /dev is not the container's own: '%s' not made", i,
                      d->path);
            continue;
        }
        r = create_one(rootfd, d, own, in_userns, err);
        if (r < 0)
            return hk_error_prefix(err, r, "linux.devices[%zu]", i);
    }
    return 0;
}
