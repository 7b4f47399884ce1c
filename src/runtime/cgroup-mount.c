/* cgroup-mount.c — the container's /sys/fs/cgroup.
 *
 * Run inside the container's mount namespace, after the process joined its cgroups and
 * unshared its cgroup namespace, so every cgroup filesystem mounted here is rooted at the
 * container's own cgroup. Mounts are made detached with the new mount API (fsopen/fsmount,
 * Linux >= 5.2) and attached with move_mount onto an O_PATH fd resolved inside the rootfs
 * (RESOLVE_IN_ROOT): a symlink planted in the image cannot redirect them onto the host. */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "util/fs.h"
#include "util/path.h"

/* MS_* flags of a mount entry as MOUNT_ATTR_* for fsmount/mount_setattr. */
static unsigned mount_attrs(unsigned long flags)
{
    unsigned a = 0;
    a |= flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0;
    a |= flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0;
    a |= flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0;
    a |= flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0;
    a |= flags & MS_NOATIME ? MOUNT_ATTR_NOATIME : 0;
    a |= flags & MS_STRICTATIME ? MOUNT_ATTR_STRICTATIME : 0;
    a |= flags & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0;
    return a;
}

/* A detached mount of fstype with options ("cpu,cpuacct", "name=systemd", "mode=755"). */
static int make_mount(const char *fstype, const char *options, unsigned attrs,
                      struct hk_error *err)
{
    _cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC);
    if (fs < 0)
        return hk_error_errno(err, -errno, "fsopen %s", fstype);
    _cleanup_free_ char *copy = xstrdup(options ? options : "");
    char *save = NULL;
    for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(o, '=');
        int r;
        if (eq) {
            *eq = '\0';
            r = fsconfig(fs, FSCONFIG_SET_STRING, o, eq + 1, 0);
            *eq = '=';
        } else {
            r = fsconfig(fs, FSCONFIG_SET_FLAG, o, NULL, 0);
        }
        if (r < 0)
            return hk_error_errno(err, -errno, "%s option '%s'", fstype, o);
    }
    if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return hk_error_errno(err, -errno, "mount %s (%s)", fstype, options ? options : "");
    int mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
    if (mnt < 0)
        return hk_error_errno(err, -errno, "fsmount %s", fstype);
    return mnt;
}

/* Whether this process is in a cgroup namespace of its own: then /proc/self/cgroup shows "/"
 * where it would otherwise show the container's path. */
static bool own_cgroupns(const struct cgroup_manager *m)
{
    _cleanup_free_ char *s = NULL;
    if (read_file("/proc/self/cgroup", 1 << 16, &s, NULL, NULL) < 0)
        return true;
    size_t plen = strlen(m->path);
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *path = strchr(line, ':') ? strchr(strchr(line, ':') + 1, ':') : NULL;
        if (path && strncmp(path + 1, m->path, plen) == 0 &&
            (path[1 + plen] == '\0' || path[1 + plen] == '/'))
            return false;
    }
    return true;
}

/* A new cgroup filesystem (rooted at the namespace's cgroup), or a bind of the container's
 * own directory on the host (still visible: this runs before pivot_root) when the process has
 * no cgroup namespace of its own, or when the kernel refuses the mount (EPERM: a user
 * namespace that does not own the hierarchy) — what runc does in both cases. */
static int cgroup_mount(const struct cgroup_hier *h, unsigned attrs, bool bind,
                        struct hk_error *err)
{
    int mnt = -EPERM;
    if (!bind)
        mnt = make_mount(h->v2 ? "cgroup2" : "cgroup", h->options, attrs, err);
    if (mnt != -EPERM && mnt != -EACCES)
        return mnt;
    mnt = open_tree(AT_FDCWD, h->dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (mnt < 0)
        return hk_error_errno(err, -errno, "bind %s", h->dir);
    struct mount_attr ma = {.attr_set = attrs};
    if (mount_setattr(mnt, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0) {
        int r = hk_error_errno(err, -errno, "set the options of the bind of %s", h->dir);
        close(mnt);
        return r;
    }
    hk_error_clear(err);
    return mnt;
}

static int attach(int mnt, int target_fd, const char *what, struct hk_error *err)
{
    if (move_mount(mnt, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return hk_error_errno(err, -errno, "attach %s", what);
    return 0;
}

/* Mount one hierarchy at <tmpfs>/<name> (a directory made in the fresh tmpfs, which the
 * container cannot have raced). */
static int mount_hier(const struct cgroup_hier *h, int tmpfs, unsigned attrs, bool bind,
                      struct hk_error *err)
{
    if (mkdirat(tmpfs, h->name, 0755) < 0 && errno != EEXIST)
        return hk_error_errno(err, -errno, "mkdir %s", h->name);
    _cleanup_close_ int sub = openat(tmpfs, h->name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return hk_error_errno(err, -errno, "open %s", h->name);
    _cleanup_close_ int mnt = cgroup_mount(h, attrs, bind, err);
    if (mnt < 0)
        return hk_error_prefix(err, mnt, "%s", h->name);
    return attach(mnt, sub, h->name, err);
}

int cgroup_mount_in(const struct cgroup_manager *m, int rootfd, const char *dest,
                    unsigned long flags, struct hk_error *err)
{
    _cleanup_close_ int target = -1;
    unsigned attrs = mount_attrs(flags);
    bool bind = !own_cgroupns(m);
    int r = mkdir_p_in_root(rootfd, dest, 0755, &target, err);
    if (r < 0)
        return hk_error_prefix(err, r, "cgroup mount '%s'", dest);
    if (m->layout == CGROUP_LAYOUT_V2) {
        _cleanup_close_ int mnt = cgroup_mount(&m->hiers[0], attrs, bind, err);
        if (mnt < 0)
            return hk_error_prefix(err, mnt, "cgroup mount '%s'", dest);
        r = attach(mnt, target, dest, err);
        return r < 0 ? hk_error_prefix(err, r, "cgroup mount '%s'", dest) : 0;
    }
    /* v1 and hybrid: a tmpfs holding one directory per hierarchy; it is made read-only (when
     * asked) only after the hierarchies and symlinks are in place. */
    _cleanup_close_ int tmpfs = make_mount("tmpfs", "mode=755,size=64k",
                                           attrs & ~(unsigned)MOUNT_ATTR_RDONLY, err);
    if (tmpfs >= 0)
        r = attach(tmpfs, target, dest, err);
    else
        r = tmpfs;
    for (size_t i = 0; r == 0 && i < m->n_hiers; i++)
        r = mount_hier(&m->hiers[i], tmpfs, attrs, bind, err);
    for (size_t i = 0; r == 0 && i < m->n_links; i++)
        if (symlinkat(m->links[i].target, tmpfs, m->links[i].name) < 0 && errno != EEXIST)
            r = hk_error_errno(err, -errno, "symlink %s", m->links[i].name);
    if (r == 0 && (attrs & MOUNT_ATTR_RDONLY)) {
        struct mount_attr ma = {.attr_set = MOUNT_ATTR_RDONLY};
        if (mount_setattr(tmpfs, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0)
            r = hk_error_errno(err, -errno, "make %s read-only", dest);
    }
    return r < 0 ? hk_error_prefix(err, r, "cgroup mount '%s'", dest) : 0;
}
