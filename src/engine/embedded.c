/* embedded.c — run and install the built-in hako-monitor and hako-init. */
#include "engine/embedded.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

#ifdef HAKO_HAVE_TINY
extern const unsigned char hako_monitor[], hako_init[];
extern const size_t hako_monitor_len, hako_init_len;
#endif

int embedded_monitor_fd(struct hk_error *err)
{
#ifdef HAKO_HAVE_TINY
    _cleanup_close_ int fd = memfd_create("hako-monitor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return hk_error_errno(err, -errno, "memfd_create");
    if (write(fd, hako_monitor, hako_monitor_len) != (ssize_t)hako_monitor_len)
        return hk_error_errno(err, -EIO, "write hako-monitor");
    if (fchmod(fd, 0555) < 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        return hk_error_errno(err, -errno, "seal hako-monitor");
    return TAKE_FD(fd);
#else
    return hk_error_set(err, -EOPNOTSUPP, "hako-monitor is not built for this architecture");
#endif
}

int embedded_init_path(const char *root, char **ret, struct hk_error *err)
{
#ifdef HAKO_HAVE_TINY
    _cleanup_free_ char *dir = xasprintf("%s/bin", root);
    _cleanup_free_ char *path = xasprintf("%s/hako-init", dir);
    _cleanup_free_ char *have = NULL;
    size_t len = 0;
    if (read_file(path, hako_init_len + 1, &have, &len, NULL) < 0 || len != hako_init_len ||
        memcmp(have, hako_init, len) != 0) {
        int r = mkdir_p(dir, 0755);
        if (r < 0)
            return hk_error_errno(err, r, "create '%s'", dir);
        r = write_file_atomic(path, hako_init, hako_init_len, 0555, err);
        if (r < 0)
            return hk_error_prefix(err, r, "--init");
    }
    *ret = TAKE_PTR(path);
    return 0;
#else
    (void)root;
    (void)ret;
    return hk_error_set(err, -EOPNOTSUPP, "--init is not built for this architecture");
#endif
}
