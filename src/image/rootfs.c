/* rootfs.c — image_rootfs_mount/unmount: overlay first, a private copy when overlayfs is
 * unavailable. A marker file (container_dir/rootfs.copy) says which one a directory holds. */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "image/rootfs.h"
#include "util/fs.h"
#include "util/log.h"

#define COPY_MARKER "rootfs.copy"

static bool is_mountpoint(const char *path)
{
    struct statx a, b;
    _cleanup_free_ char *parent = xasprintf("%s/..", path);
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &a) < 0)
        return false;
    if (a.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
        return a.stx_attributes & STATX_ATTR_MOUNT_ROOT;
    if (statx(AT_FDCWD, parent, 0, STATX_BASIC_STATS, &b) < 0)
        return false;
    return a.stx_dev_major != b.stx_dev_major || a.stx_dev_minor != b.stx_dev_minor;
}

/* Whether an overlay failure means "no overlayfs here" (so a copy is the answer). */
static bool overlay_unavailable(int r)
{
    return r == -ENODEV || r == -EINVAL || r == -EOPNOTSUPP || r == -ENOSYS || r == -EPERM;
}

static int mount_overlay(const struct image *img, const char *dir, bool ephemeral,
                         const char *rootfs, struct hk_error *err)
{
    _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
    _cleanup_free_ char *work = xasprintf("%s/work", dir);
    if ((mkdir(upper, 0755) < 0 && errno != EEXIST) || (mkdir(work, 0700) < 0 && errno != EEXIST))
        return hk_error_errno(err, -errno, "create '%s/upper' and work", dir);
    return rootfs_overlay_mount(img->layer_dirs, img->n_layers, upper, work, ephemeral, rootfs,
                                err);
}

static int do_copy(const struct image *img, const char *dir, const char *rootfs,
                   struct hk_error *err)
{
    _cleanup_free_ char *marker = xasprintf("%s/" COPY_MARKER, dir);
    int r = write_file_atomic(marker, "", 0, 0600, err);
    if (r == 0)
        r = rootfs_copy(img->layer_dirs, img->n_layers, rootfs, err);
    return r;
}

int image_rootfs_mount(struct store *s, const struct image *img, const char *container_dir,
                       enum rootfs_driver driver, bool ephemeral, char **ret_rootfs,
                       struct hk_error *err)
{
    (void)s;
    for (size_t i = 0; i < img->n_layers; i++)
        if (!path_exists(img->layer_dirs[i]))
            return hk_error_set(err, -ENOENT, "image %.19s: layer directory '%s' is missing",
                                img->id, img->layer_dirs[i]);
    int r = mkdir_p(container_dir, 0700);
    if (r < 0)
        return hk_error_errno(err, r, "create '%s'", container_dir);
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", container_dir);
    _cleanup_free_ char *marker = xasprintf("%s/" COPY_MARKER, container_dir);
    if (is_mountpoint(rootfs) || path_exists(marker))
        return hk_error_set(err, -EBUSY, "'%s' already holds a root filesystem", rootfs);
    if (mkdir(rootfs, 0755) < 0 && errno != EEXIST)
        return hk_error_errno(err, -errno, "create '%s'", rootfs);
    r = -EOPNOTSUPP;
    if (driver != ROOTFS_COPY) {
        struct hk_error oerr = {0};
        r = mount_overlay(img, container_dir, ephemeral, rootfs, &oerr);
        if (r < 0 && (driver == ROOTFS_OVERLAY || !overlay_unavailable(r))) {
            if (err)
                *err = oerr;
            image_rootfs_unmount(container_dir, NULL);
            return r;
        }
        if (r < 0)
            log_debug("rootfs: overlay unavailable (%s), copying", hk_error_msg(&oerr));
    }
    if (r < 0) {
        image_rootfs_unmount(container_dir, NULL); /* drop upper/work of the failed overlay */
        if (mkdir(rootfs, 0755) < 0 && errno != EEXIST)
            return hk_error_errno(err, -errno, "create '%s'", rootfs);
        r = do_copy(img, container_dir, rootfs, err);
        if (r < 0) {
            image_rootfs_unmount(container_dir, NULL);
            return r;
        }
    }
    *ret_rootfs = TAKE_PTR(rootfs);
    return 0;
}

int image_rootfs_release(const char *container_dir, struct hk_error *err)
{
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", container_dir);
    if (is_mountpoint(rootfs) && umount2(rootfs, UMOUNT_NOFOLLOW) < 0) {
        /* busy (a process still has it open): detach it so it goes with the last user */
        if (errno != EBUSY || umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
            return hk_error_errno(err, -errno, "unmount '%s'", rootfs);
    }
    return 0;
}

int image_rootfs_unmount(const char *container_dir, struct hk_error *err)
{
    _cleanup_free_ char *marker = xasprintf("%s/" COPY_MARKER, container_dir);
    int ret = image_rootfs_release(container_dir, err);
    if (ret < 0)
        return ret;
    static const char *const parts[] = {"rootfs", "upper", "work"};
    for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", container_dir, parts[i]);
        int r = rm_rf(p);
        if (r < 0 && ret == 0)
            ret = hk_error_errno(err, r, "remove '%s'", p);
    }
    if (unlink(marker) < 0 && errno != ENOENT && ret == 0)
        ret = hk_error_errno(err, -errno, "remove '%s'", marker);
    return ret;
}
