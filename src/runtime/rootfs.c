#include "runtime/rootfs.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/devices.h"
#include "runtime/idmap.h"
#include "runtime/lsm.h"
#include "runtime/mount-options.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static unsigned long propagation_of(const char *name)
{
    static const struct {
        const char *name;
        unsigned long flags;
    } table[] = {
        {"private", MS_PRIVATE},    {"rprivate", MS_PRIVATE | MS_REC},
        {"shared", MS_SHARED},      {"rshared", MS_SHARED | MS_REC},
        {"slave", MS_SLAVE},        {"rslave", MS_SLAVE | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    for (size_t i = 0; name && i < ELEMENTSOF(table); i++)
        if (strcmp(name, table[i].name) == 0)
            return table[i].flags;
    return 0;
}

/* An O_PATH fd of the root of the mount that holds fd's directory: climb ".." while the
 * mount stays the same. */
static int mount_root_of(int fd)
{
    uint64_t id = 0, pid = 0;
    int r = fd_mount_id(fd, &id);
    if (r < 0)
        return r;
    int cur = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    while (cur >= 0) {
        int parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat a, b;
        if (parent < 0 || fd_mount_id(parent, &pid) < 0 || pid != id ||
            (fstat(cur, &a) == 0 && fstat(parent, &b) == 0 && a.st_ino == b.st_ino &&
             a.st_dev == b.st_dev)) {
            if (parent >= 0)
                close(parent);
            return cur;
        }
        close(cur);
        cur = parent;
    }
    return -errno;
}

int rootfs_prepare(const struct oci_spec *s, int rootfs_fd, int *ret_rootfd, struct hk_error *err)
{
    unsigned long prop = propagation_of(s->linux_.rootfs_propagation);
    bool shared = prop & MS_SHARED;
    /* Nothing we mount may propagate back to the host: slave by default, as runc; asked for
     * shared, the container's mounts are meant to reach the host (bidirectional mounts). */
    if (!shared && mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return hk_error_errno(err, -errno, "make / rslave");
    /* An unbindable tree cannot be cloned: that mode is applied once the rootfs is "/"
     * (rootfs_finalize); until then it is the rslave default. */
    if (prop && !(prop & MS_UNBINDABLE) && mount(NULL, "/", NULL, prop, NULL) < 0)
        return hk_error_errno(err, -errno, "linux.rootfsPropagation: make / %s",
                              s->linux_.rootfs_propagation);
    if (shared) {
        /* ...but not the rootfs' own bind: the mount that holds it becomes private
         * (runc's rootfsParentMountPrivate). */
        _cleanup_close_ int holder = mount_root_of(rootfs_fd);
        char path[64];
        if (holder < 0 || mount(NULL, fd_path(holder, path, sizeof(path)), NULL, MS_PRIVATE,
                                NULL) < 0)
            return hk_error_errno(err, holder < 0 ? holder : -errno,
                                  "make the mount holding the rootfs private");
    }
    /* Bind the rootfs onto itself through the fd the runtime opened: no path lookup here, so
     * a root mapped to an unprivileged uid needs no search permission on the bundle's path. */
    int tree = open_tree(rootfs_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
                                            AT_EMPTY_PATH);
    if (tree < 0)
        return hk_error_errno(err, -errno, "bind the rootfs");
    if (move_mount(tree, "", rootfs_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
        0) {
        close(tree);
        return hk_error_errno(err, -errno, "mount the rootfs onto itself");
    }
    /* pivot_root refuses a new root whose mount is shared. */
    struct mount_attr a = {.propagation = MS_PRIVATE};
    if (mount_setattr(tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0) {
        close(tree);
        return hk_error_errno(err, -errno, "make the rootfs mount private");
    }
    *ret_rootfd = tree; /* now the root of the attached mount */
    return 0;
}

/* Map MS_* flags to MOUNT_ATTR_* for mount_setattr(). */
static uint64_t ms_to_attr(unsigned long f)
{
    uint64_t a = 0;
    if (f & MS_RDONLY)
        a |= MOUNT_ATTR_RDONLY;
    if (f & MS_NOSUID)
        a |= MOUNT_ATTR_NOSUID;
    if (f & MS_NODEV)
        a |= MOUNT_ATTR_NODEV;
    if (f & MS_NOEXEC)
        a |= MOUNT_ATTR_NOEXEC;
    if (f & MS_NODIRATIME)
        a |= MOUNT_ATTR_NODIRATIME;
    if (f & MS_NOSYMFOLLOW)
        a |= MOUNT_ATTR_NOSYMFOLLOW;
    if (f & MS_NOATIME)
        a |= MOUNT_ATTR_NOATIME;
    else if (f & MS_STRICTATIME)
        a |= MOUNT_ATTR_STRICTATIME;
    else if (f & MS_RELATIME)
        a |= MOUNT_ATTR_RELATIME;
    return a;
}

static int setattr(int fd, unsigned flags, uint64_t set, uint64_t clr, uint64_t prop)
{
    struct mount_attr a = {.attr_set = set, .attr_clr = clr, .propagation = prop};
    if (set & MOUNT_ATTR__ATIME)
        a.attr_clr |= MOUNT_ATTR__ATIME;
    if (!set && !clr && !prop)
        return 0;
    return mount_setattr(fd, "", AT_EMPTY_PATH | flags, &a, sizeof(a)) < 0 ? -errno : 0;
}

/* The destination inside the rootfs: a directory, or a file when the source is one. Mounts
 * of procfs and sysfs, and any mount on /dev, refuse a symlink on the way (CVE-2019-16884
 * family; an image's /dev is untrusted). */
static int open_destination(int rootfd, const struct oci_mount *m, bool want_file,
                            int *ret_fd, struct hk_error *err)
{
    _cleanup_free_ char *clean = path_clean(m->destination);
    bool strict = (m->type && (strcmp(m->type, "proc") == 0 || strcmp(m->type, "sysfs") == 0)) ||
                  strcmp(clean, "/dev") == 0;
    if (strict) {
        int fd = open_in_root(rootfd, m->destination, O_PATH, 0, RESOLVE_NO_SYMLINKS);
        if (fd == -ELOOP)
            return hk_error_set(err, -ELOOP, "'%s' is a symlink in the rootfs: refusing to mount "
                                             "%s there",
                                m->destination, m->type ? m->type : "a filesystem");
        if (fd >= 0) {
            struct stat st;
            if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) {
                close(fd);
                return hk_error_set(err, -ENOTDIR, "'%s' in the rootfs is not a directory",
                                    m->destination);
            }
            *ret_fd = fd;
            return 0;
        }
    }
    if (want_file)
        return touch_in_root(rootfd, m->destination, 0644, ret_fd, err);
    return mkdir_p_in_root(rootfd, m->destination, 0755, ret_fd, err);
}

int rootfs_check_proc_dest(const char *dest, bool source_is_procfs, struct hk_error *err)
{
    /* lxcfs emulates these: runc lets them be mounted over. */
    static const char *const allowed[] = {
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
        "/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev",
        "/proc/sys/kernel/ns_last_pid", "/proc/sys/crypto/fips_enabled"};
    if (strcmp(dest, "/proc") == 0)
        return source_is_procfs ? 0
                                : hk_error_set(err, -EPERM, "\"%s\" cannot be mounted because it "
                                                            "is not of type proc", dest);
    for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
        if (strcmp(dest, allowed[i]) == 0)
            return 0;
    return hk_error_set(err, -EPERM, "\"%s\" cannot be mounted because it is inside /proc", dest);
}

/* runc's rule for what may be mounted on or inside the container's /proc (procfs and sysfs
 * mounts aside): checked on the resolved destination fd too, so a symlink in the image that
 * leads into /proc is caught as well as the path as written. tree: the bind's source, or -1. */
static int check_proc(const struct oci_mount *m, int dst, int tree, struct hk_error *err)
{
    if (m->type && (strcmp(m->type, "proc") == 0 || strcmp(m->type, "sysfs") == 0))
        return 0;
    _cleanup_free_ char *clean = path_clean(m->destination);
    struct statfs fs;
    bool in_proc = fstatfs(dst, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
    bool named = strcmp(clean, "/proc") == 0 || strncmp(clean, "/proc/", 6) == 0;
    if (!in_proc && !named)
        return 0;
    if (!named)
        return hk_error_set(err, -EPERM, "\"%s\" cannot be mounted because it is inside /proc",
                            clean);
    bool src_proc = tree >= 0 && fstatfs(tree, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
    return rootfs_check_proc_dest(clean, src_proc, err);
}

static bool is_bind(const struct oci_mount *m, const struct mount_opts *o)
{
    return o->bind || (m->type && strcmp(m->type, "bind") == 0);
}

/* A detached clone of the bind mount's source, idmapped if asked, with its attributes set. */
static int prepare_bind(const struct oci_spec *s, const struct oci_mount *m,
                        const struct mount_opts *o, const char *bundle, int *ret_fd,
                        struct hk_error *err)
{
    if (!m->source)
        return hk_error_set(err, -EINVAL, "a bind mount needs a source");
    _cleanup_free_ char *src = m->source[0] == '/' ? xstrdup(m->source)
                                                   : xasprintf("%s/%s", bundle, m->source);
    _cleanup_close_ int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                            (o->rec ? AT_RECURSIVE : 0));
    if (tree < 0)
        return hk_error_errno(err, -errno, "source '%s'", src);
    int r = o->idmap ? idmap_apply(s, m, tree, o->rec, err) : 0;
    if (r < 0)
        return hk_error_prefix(err, r, "idmap '%s'", src);
    /* ro, nosuid, ... apply to the top mount; rro and friends to the whole tree. */
    r = setattr(tree, 0, ms_to_attr(o->flags), ms_to_attr(o->clear & MS_BIND_REMOUNT_MASK), 0);
    if (r == 0)
        r = setattr(tree, AT_RECURSIVE, o->attr_set, o->attr_clr, 0);
    if (r < 0)
        return hk_error_errno(err, r, "set mount attributes of '%s'", src);
    *ret_fd = TAKE_FD(tree);
    return 0;
}

int rootfs_prepare_binds(const struct oci_spec *s, const char *bundle, bool all, int **ret_fds,
                         struct hk_error *err)
{
    int *fds = xcalloc(s->n_mounts ? s->n_mounts : 1, sizeof(int));
    for (size_t i = 0; i < s->n_mounts; i++)
        fds[i] = -1;
    for (size_t i = 0; i < s->n_mounts; i++) {
        struct mount_opts o;
        mount_opts_parse(s->mounts[i].options, &o);
        int r = is_bind(&s->mounts[i], &o) && (all || o.idmap)
                    ? prepare_bind(s, &s->mounts[i], &o, bundle, &fds[i], err)
                    : 0;
        mount_opts_done(&o);
        if (r < 0) {
            rootfs_binds_free(fds, s->n_mounts);
            return hk_error_prefix(err, r, "mounts[%zu] ('%s')", i, s->mounts[i].destination);
        }
    }
    *ret_fds = fds;
    return 0;
}

void rootfs_binds_free(int *fds, size_t n)
{
    for (size_t i = 0; fds && i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
}

/* Attach the tree the runtime prepared at the destination, resolved inside the rootfs. */
static int mount_bind(int rootfd, const struct oci_mount *m, int tree, struct hk_error *err)
{
    struct stat st;
    if (tree < 0 || fstat(tree, &st) < 0)
        return hk_error_set(err, -EBADF, "no prepared source for the bind mount");
    _cleanup_close_ int dst = -1;
    int r = open_destination(rootfd, m, !S_ISDIR(st.st_mode), &dst, err);
    if (r == 0)
        r = check_proc(m, dst, tree, err);
    if (r < 0)
        return r;
    if (move_mount(tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return hk_error_errno(err, -errno, "bind '%s'", m->source);
    return 0;
}

static bool is_dev(const struct oci_mount *m)
{
    _cleanup_free_ char *d = path_clean(m->destination);
    return strcmp(d, "/dev") == 0;
}

/* A read-only /dev (a fresh filesystem with "ro") gets its sub-mounts, nodes and links first
 * and is made read-only last, as runc does. */
static int dev_ro(const struct oci_spec *s, int rootfd, struct hk_error *err)
{
    bool ro = false;
    for (size_t i = 0; i < s->n_mounts; i++) {
        const struct oci_mount *m = &s->mounts[i];
        if (!is_dev(m))
            continue;
        struct mount_opts o;
        mount_opts_parse(m->options, &o);
        ro = !is_bind(m, &o) && (o.flags & MS_RDONLY);
        mount_opts_done(&o);
    }
    if (!ro)
        return 0;
    _cleanup_close_ int fd = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, 0,
                                          RESOLVE_NO_SYMLINKS);
    int r = fd < 0 ? fd : setattr(fd, 0, MOUNT_ATTR_RDONLY, 0, 0);
    if (r < 0)
        return hk_error_errno(err, r, "make /dev read-only");
    return 0;
}

/* A filesystem mount (proc, tmpfs, devpts, ...) onto the resolved destination. */
static int mount_fs(int rootfd, const struct oci_mount *m, const struct mount_opts *o,
                    const char *label, bool in_userns, struct hk_error *err)
{
    _cleanup_close_ int dst = -1;
    int r = open_destination(rootfd, m, false, &dst, err);
    if (r == 0)
        r = check_proc(m, dst, -1, err);
    if (r < 0)
        return r;
    char target[64];
    fd_path(dst, target, sizeof(target));
    unsigned long flags = o->flags & ~(unsigned long)MS_REMOUNT;
    if (is_dev(m))
        flags &= ~(unsigned long)MS_RDONLY; /* made read-only once its nodes are in (dev_ro) */
    /* a tmpfs takes the mode of the directory it covers unless mode= says otherwise (runc) */
    _cleanup_free_ char *data = NULL;
    struct stat st;
    if (strcmp(m->type, "tmpfs") == 0 && !(o->data && (strncmp(o->data, "mode=", 5) == 0 ||
                                                       strstr(o->data, ",mode="))) &&
        fstat(dst, &st) == 0 && S_ISDIR(st.st_mode))
        data = xasprintf("%s%smode=%o", o->data ? o->data : "", o->data ? "," : "",
                         (unsigned)(st.st_mode & 07777));
    _cleanup_free_ char *labelled = lsm_mount_data(m->type, data ? data : o->data, label);
    if (mount(m->source ? m->source : m->type, target, m->type, flags,
              labelled ? labelled : data ? data : o->data) < 0) {
        int e = errno;
        /* sysfs needs a network namespace owned by the user namespace; runc binds the host's
         * /sys read-only instead. */
        if (e == EPERM && in_userns && strcmp(m->type, "sysfs") == 0) {
            _cleanup_close_ int tree = open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE |
                                                                       OPEN_TREE_CLOEXEC |
                                                                       AT_RECURSIVE);
            if (tree >= 0 &&
                setattr(tree, AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                                MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                        0, 0) == 0 &&
                move_mount(tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) ==
                    0)
                return 0;
        }
        return hk_error_errno(err, -e, "mount %s", m->type);
    }
    if (strcmp(m->type, "mqueue") != 0 || !label || !label[0])
        return 0;
    _cleanup_close_ int top = open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, 0);
    if (top < 0)
        return hk_error_errno(err, top, "reopen");
    return lsm_label_fd(top, label, err);
}

/* Propagation and recursive attributes, applied to what now sits at the destination. */
static int mount_post(int rootfd, const struct oci_mount *m, const struct mount_opts *o,
                      struct hk_error *err)
{
    if (!o->propagation && !o->attr_set && !o->attr_clr)
        return 0;
    _cleanup_close_ int fd = open_in_root(rootfd, m->destination, O_PATH, 0, 0);
    if (fd < 0)
        return hk_error_errno(err, fd, "reopen");
    int r = setattr(fd, AT_RECURSIVE, o->attr_set, o->attr_clr, 0);
    if (r == 0 && o->propagation)
        r = setattr(fd, (o->propagation & MS_REC) ? AT_RECURSIVE : 0, 0, 0,
                    o->propagation & ~(unsigned long)MS_REC);
    if (r < 0)
        return hk_error_errno(err, r, "set propagation/attributes");
    return 0;
}

static int mount_cgroup(int rootfd, const struct oci_mount *m, const struct mount_opts *o,
                        struct cgroup_access *cga, struct hk_error *err)
{
    const struct cgroup_manager *cg = NULL;
    int r = cga->get(cga, &cg, err);
    if (r < 0)
        return r;
    return cgroup_mount_in(cg, rootfd, m->destination, o->flags, err);
}

static int mount_one(const struct oci_spec *s, int rootfd, const struct oci_mount *m,
                     int prepared, const char *bundle, struct cgroup_access *cg, bool in_userns,
                     struct hk_error *err)
{
    struct mount_opts o;
    mount_opts_parse(m->options, &o);
    int r;
    if (is_bind(m, &o) && prepared < 0) {
        /* cloned now, in its turn: mountinfo (ordered by when a mount was made) then lists
         * the mounts in config order */
        _cleanup_close_ int tree = -1;
        r = prepare_bind(s, m, &o, bundle, &tree, err);
        if (r == 0)
            r = mount_bind(rootfd, m, tree, err);
    } else if (is_bind(m, &o)) {
        r = mount_bind(rootfd, m, prepared, err);
    } else if (!m->type) {
        r = hk_error_set(err, -EINVAL, "no type, and not a bind mount");
    } else if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0) {
        r = mount_cgroup(rootfd, m, &o, cg, err);
    } else {
        r = mount_fs(rootfd, m, &o, s->linux_.mount_label, in_userns, err);
    }
    if (r == 0)
        r = mount_post(rootfd, m, &o, err);
    mount_opts_done(&o);
    return r;
}

/* An image's /dev that is a symlink would send device nodes wherever it points: refused, as
 * crun does (a symlink out of the rootfs, or anywhere: /dev is the runtime's). */
static int refuse_dev_symlink(int rootfd, struct hk_error *err)
{
    _cleanup_close_ int fd = open_in_root(rootfd, "/dev", O_PATH | O_NOFOLLOW, 0, 0);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISLNK(st.st_mode))
        return 0;
    char target[256] = "";
    ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
    target[n > 0 ? n : 0] = '\0';
    return hk_error_set(err, -ELOOP, "'/dev' is a symlink in the rootfs (to '%s'): refusing "
                                     "to set up devices through it",
                        target);
}

/* The id of the fresh filesystem mount_fs just put at m's destination (0: none). */
static uint64_t fresh_mount_id(int rootfd, const struct oci_mount *m)
{
    if (!m->type || strcmp(m->type, "bind") == 0 || strv_contains(m->options, "bind") ||
        strv_contains(m->options, "rbind"))
        return 0;
    _cleanup_close_ int fd = open_in_root(rootfd, m->destination, O_PATH, 0, 0);
    uint64_t id = 0;
    if (fd < 0 || fd_mount_id(fd, &id) < 0)
        return 0;
    return id;
}

int rootfs_mount_all(const struct oci_spec *s, int rootfd, const int *binds, const char *bundle,
                     struct cgroup_access *cg, bool in_userns, struct hk_error *err)
{
    int r = refuse_dev_symlink(rootfd, err);
    if (r < 0)
        return r;
    _cleanup_free_ uint64_t *ids = xcalloc(s->n_mounts + 1, sizeof(*ids));
    struct dev_mounts own = {.ids = ids, .n = 1};
    if (fd_mount_id(rootfd, &ids[0]) < 0)
        return hk_error_errno(err, -errno, "the rootfs mount");
    for (size_t i = 0; i < s->n_mounts; i++) {
        r = mount_one(s, rootfd, &s->mounts[i], binds[i], bundle, cg, in_userns, err);
        if (r < 0)
            return hk_error_prefix(err, r, "mounts[%zu] ('%s')", i, s->mounts[i].destination);
        uint64_t id = fresh_mount_id(rootfd, &s->mounts[i]);
        if (id && id != ids[0])
            ids[own.n++] = id;
    }
    r = devices_create(s, rootfd, &own, in_userns, err);
    return r < 0 ? r : dev_ro(s, rootfd, err);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo; undo it in place. */
static void unescape_octal(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++, w++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w = *r;
        }
    }
    *w = '\0';
}

/* Hide a full procfs or sysfs mount of the old root: detach it, or (locked, in a user
 * namespace) cover it with an empty read-only tmpfs. */
static int hide_pseudo_fs(const char *mp, struct hk_error *err)
{
    if (umount2(mp, MNT_DETACH) == 0 || errno == ENOENT)
        return 0;
    if (errno != EINVAL && errno != EPERM)
        return hk_error_errno(err, -errno, "--no-pivot: unmount the host's '%s'", mp);
    if (mount("tmpfs", mp, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0 &&
        errno != ENOENT)
        return hk_error_errno(err, -errno, "--no-pivot: cover the host's '%s'", mp);
    return 0;
}

/* Without pivot_root the old root stays in the container's mount namespace, and with it the
 * host's own /proc and /sys: the kernel lets a (nested) user namespace mount a fresh,
 * unmasked procfs or sysfs when a full one is visible anywhere in the namespace. So every
 * full procfs and sysfs mount outside the rootfs goes first, as runc's msMoveRoot does. */
static int hide_old_root_pseudo_fs(int rootfd, struct hk_error *err)
{
    char buf[64], root[PATH_MAX];
    ssize_t n = readlink(fd_path(rootfd, buf, sizeof(buf)), root, sizeof(root) - 1);
    if (n <= 0)
        return hk_error_errno(err, -errno, "--no-pivot: the rootfs path");
    root[n] = '\0';
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return hk_error_errno(err, -errno, "--no-pivot: read mountinfo");
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        char mroot[PATH_MAX], mp[PATH_MAX], fstype[64];
        const char *sep = strstr(line, " - ");
        if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", mroot, mp) != 2 ||
            sscanf(sep + 3, "%63s", fstype) != 1)
            continue;
        if (strcmp(mroot, "/") != 0 || (strcmp(fstype, "proc") != 0 && strcmp(fstype, "sysfs")))
            continue;
        unescape_octal(mp);
        size_t rl = strlen(root);
        if (strncmp(mp, root, rl) == 0 && (mp[rl] == '/' || mp[rl] == '\0'))
            continue; /* the container's own */
        int r = hide_pseudo_fs(mp, err);
        if (r < 0)
            return r;
    }
    return 0;
}

int rootfs_pivot(int rootfd, bool no_pivot, struct hk_error *err)
{
    if (no_pivot) {
        int r = hide_old_root_pseudo_fs(rootfd, err);
        if (r < 0)
            return r;
    }
    if (fchdir(rootfd) < 0)
        return hk_error_errno(err, -errno, "chdir to the rootfs");
    if (no_pivot) {
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
            return hk_error_errno(err, -errno, "move the rootfs to /");
        if (chroot(".") < 0)
            return hk_error_errno(err, -errno, "chroot");
    } else {
        /* pivot_root(".", ".") stacks the old root on top of the new one; detaching it
         * leaves only the container's tree (no temporary directory needed). */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
            return hk_error_errno(err, -errno, "pivot_root");
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
            return hk_error_errno(err, -errno, "make the old root a slave");
        if (umount2(".", MNT_DETACH) < 0)
            return hk_error_errno(err, -errno, "detach the old root");
    }
    if (chdir("/") < 0)
        return hk_error_errno(err, -errno, "chdir /");
    return 0;
}

/* Write linux.sysctl through a procfs we mount ourselves (detached, never in the tree): an
 * image cannot redirect those writes (CVE-2019-16884, CVE-2025-52881). */
static int apply_sysctls(const struct oci_spec *s, struct hk_error *err)
{
    if (!s->linux_.n_sysctl)
        return 0;
    _cleanup_close_ int fsfd = fsopen("proc", FSOPEN_CLOEXEC);
    if (fsfd < 0)
        return hk_error_errno(err, -errno, "linux.sysctl: fsopen proc");
    if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return hk_error_errno(err, -errno, "linux.sysctl: create procfs");
    _cleanup_close_ int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID |
                                                              MOUNT_ATTR_NODEV |
                                                              MOUNT_ATTR_NOEXEC);
    if (mfd < 0)
        return hk_error_errno(err, -errno, "linux.sysctl: mount procfs");
    for (size_t i = 0; i < s->linux_.n_sysctl; i++) {
        const struct oci_kv *kv = &s->linux_.sysctl[i];
        _cleanup_free_ char *rel = xasprintf("sys/%s", kv->key);
        for (char *p = rel + 4; *p; p++)
            if (*p == '.')
                *p = '/';
        _cleanup_close_ int fd = open_in_root(mfd, rel, O_WRONLY, 0, RESOLVE_NO_SYMLINKS);
        struct statfs sf;
        if (fd >= 0 && (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC))
            return hk_error_set(err, -EXDEV, "linux.sysctl.%s: not a procfs file", kv->key);
        ssize_t n = fd < 0 ? fd : write(fd, kv->value, strlen(kv->value));
        if (n < 0)
            return hk_error_errno(err, fd < 0 ? fd : -errno, "linux.sysctl.%s", kv->key);
    }
    return 0;
}

/* /dev/null as the container has it, checked to be the real 1:3 character device before we
 * bind it over anything (CVE-2025-31133: a symlinked /dev/null). */
static int open_dev_null(struct hk_error *err)
{
    _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = open_in_root(root, "/dev/null", O_PATH, 0, RESOLVE_NO_SYMLINKS);
    if (fd < 0)
        return hk_error_errno(err, fd, "maskedPaths: open /dev/null");
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
        close(fd);
        return hk_error_set(err, -EPERM, "maskedPaths: /dev/null is not the null device");
    }
    return fd;
}

static int mask_path(int root, int *null_fd, const char *path, struct hk_error *err)
{
    _cleanup_close_ int fd = open_in_root(root, path, O_PATH | O_NOFOLLOW, 0, 0);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return hk_error_errno(err, fd, "'%s'", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return hk_error_errno(err, -errno, "stat '%s'", path);
    _cleanup_close_ int tree = -1;
    if (S_ISDIR(st.st_mode)) {
        _cleanup_close_ int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fsfd < 0 || fsconfig(fsfd, FSCONFIG_SET_STRING, "size", "0", 0) < 0 ||
            fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
            return hk_error_errno(err, -errno, "tmpfs for '%s'", path);
        tree = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                                  MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    } else {
        if (*null_fd < 0) {
            *null_fd = open_dev_null(err);
            if (*null_fd < 0)
                return *null_fd;
        }
        tree = open_tree(*null_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    }
    if (tree < 0 ||
        move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return hk_error_errno(err, -errno, "mask '%s'", path);
    return 0;
}

static int readonly_path(int root, const char *path, struct hk_error *err)
{
    _cleanup_close_ int fd = open_in_root(root, path, O_PATH | O_NOFOLLOW, 0, 0);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return hk_error_errno(err, fd, "'%s'", path);
    _cleanup_close_ int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                    AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0)
        return hk_error_errno(err, -errno, "bind '%s'", path);
    int r = setattr(tree, AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                            MOUNT_ATTR_NOEXEC,
                    0, 0);
    if (r < 0)
        return hk_error_errno(err, r, "make '%s' read-only", path);
    if (move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return hk_error_errno(err, -errno, "mount '%s' read-only", path);
    return 0;
}

int rootfs_finalize(const struct oci_spec *s, struct hk_error *err)
{
    int r = apply_sysctls(s, err);
    if (r < 0)
        return r;
    _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int null_fd = -1;
    for (size_t i = 0; s->linux_.masked_paths && s->linux_.masked_paths[i]; i++) {
        r = mask_path(root, &null_fd, s->linux_.masked_paths[i], err);
        if (r < 0)
            return hk_error_prefix(err, r, "linux.maskedPaths[%zu]", i);
    }
    for (size_t i = 0; s->linux_.readonly_paths && s->linux_.readonly_paths[i]; i++) {
        r = readonly_path(root, s->linux_.readonly_paths[i], err);
        if (r < 0)
            return hk_error_prefix(err, r, "linux.readonlyPaths[%zu]", i);
    }
    if (s->root_readonly) {
        r = setattr(root, 0, MOUNT_ATTR_RDONLY, 0, 0);
        if (r < 0)
            return hk_error_errno(err, r, "root.readonly: remount / read-only");
    }
    unsigned long prop = propagation_of(s->linux_.rootfs_propagation);
    if (prop && mount(NULL, "/", NULL, prop, NULL) < 0)
        return hk_error_errno(err, -errno, "linux.rootfsPropagation: %s",
                              s->linux_.rootfs_propagation);
    return 0;
}
