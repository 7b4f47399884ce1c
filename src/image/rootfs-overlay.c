/* rootfs-overlay.c — the overlayfs backend, with the new mount API: each lower layer is added
 * with "lowerdir+" (Linux 6.8+), so the number of layers is not bounded by the page-sized
 * option string of mount(2); older kernels get one "lowerdir" string. The kernel's own
 * explanation of a refused configuration (read from the fs context) goes into the error. */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "image/rootfs.h"
#include "util/fs.h"

/* Append the kernel's messages about fsfd to err. */
static int with_log(int fsfd, int r, const char *what, struct hk_error *err)
{
    char log[512] = "", line[256];
    ssize_t n;
    while ((n = read(fsfd, line, sizeof(line) - 1)) > 0) {
        while (n > 0 && line[n - 1] == '\n')
            n--;
        line[n] = '\0';
        size_t len = strlen(log);
        snprintf(log + len, sizeof(log) - len, "%s%s", len ? "; " : "", line + 2);
    }
    if (log[0])
        return hk_error_set(err, r, "overlay: %s: %s (%s)", what, strerror(-r), log);
    return hk_error_errno(err, r, "overlay: %s", what);
}

static int set_lowers(int fsfd, char *const *layers, size_t n, bool plus, bool *ret_plus,
                      struct hk_error *err)
{
    for (size_t i = n; i-- > 0 && plus;) {
        if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", layers[i], 0) == 0)
            continue;
        if (i != n - 1 || errno != EINVAL)
            return with_log(fsfd, -errno, "lowerdir+", err);
        plus = false; /* an older kernel: one string */
    }
    *ret_plus = plus;
    if (plus)
        return 0;
    size_t len = 1;
    for (size_t i = 0; i < n; i++) {
        if (strpbrk(layers[i], ":,"))
            return hk_error_set(err, -EINVAL, "overlay: layer path '%s' has ':' or ','", layers[i]);
        len += strlen(layers[i]) + 1;
    }
    _cleanup_free_ char *s = xcalloc(1, len);
    for (size_t i = n; i-- > 0;) {
        strcat(s, layers[i]);
        if (i > 0)
            strcat(s, ":");
    }
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir", s, 0) < 0)
        return with_log(fsfd, -errno, "lowerdir", err);
    return 0;
}

/* One attempt; *ret_plus says whether "lowerdir+" was used. */
static int overlay_try(char *const *layers, size_t n, const char *upper, const char *work,
                       bool isvolatile, const char *target, bool plus, bool *ret_plus,
                       struct hk_error *err)
{
    _cleanup_close_ int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fsfd < 0)
        return hk_error_errno(err, -errno, "overlay: fsopen");
    fsconfig(fsfd, FSCONFIG_SET_STRING, "source", "hako", 0);
    int r = set_lowers(fsfd, layers, n, plus, ret_plus, err);
    if (r < 0)
        return r;
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0)
        return with_log(fsfd, -errno, "upperdir", err);
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
        return with_log(fsfd, -errno, "workdir", err);
    /* Best effort: kernels before 5.10 do not know it and simply sync. */
    if (isvolatile)
        (void)fsconfig(fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0);
    if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return with_log(fsfd, -errno, "create", err);
    _cleanup_close_ int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
    if (mfd < 0)
        return with_log(fsfd, -errno, "fsmount", err);
    if (move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return hk_error_errno(err, -errno, "overlay: mount on '%s'", target);
    return 0;
}

int rootfs_overlay_mount(char *const *layers, size_t n, const char *upper, const char *work,
                         bool isvolatile, const char *target, struct hk_error *err)
{
    if (n == 0)
        return hk_error_set(err, -EINVAL, "overlay: an image without layers");
    bool plus = true;
    int r = overlay_try(layers, n, upper, work, isvolatile, target, true, &plus, err);
    /* Before Linux 6.5 overlay took the new mount API through the legacy option string: every
     * key is accepted by fsconfig and "lowerdir+" is refused only at create. Once more with
     * one "lowerdir" string. */
    if (r == -EINVAL && plus) {
        *err = (struct hk_error){0};
        r = overlay_try(layers, n, upper, work, isvolatile, target, false, &plus, err);
    }
    return r;
}
