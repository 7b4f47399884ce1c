#include "runtime/dmz.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

#ifdef HAKO_HAVE_DMZ
extern const unsigned char hako_dmz[];
extern const size_t hako_dmz_len;
#endif

int dmz_open(struct hk_error *err)
{
#ifdef HAKO_HAVE_DMZ
    _cleanup_close_ int fd = memfd_create("hako-dmz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return hk_error_errno(err, -errno, "memfd_create");
    for (size_t off = 0; off < hako_dmz_len;) {
        ssize_t n = write(fd, hako_dmz + off, hako_dmz_len - off);
        if (n < 0)
            return hk_error_errno(err, -errno, "write hako-dmz");
        off += (size_t)n;
    }
    if (fchmod(fd, 0555) < 0 ||
        fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        return hk_error_errno(err, -errno, "seal hako-dmz");
    return TAKE_FD(fd);
#else
    return hk_error_set(err, -EOPNOTSUPP, "hako-dmz is not built for this architecture");
#endif
}

int dmz_exec(int dmz_fd, const char *path, char *const argv[], char *const envp[])
{
    if (dmz_fd >= 0) {
        size_t n = 0;
        while (argv[n])
            n++;
        char **v = xcalloc(n + 2, sizeof(char *));
        v[0] = (char *)path;
        memcpy(v + 1, argv, n * sizeof(char *));
        execveat(dmz_fd, "", v, envp, AT_EMPTY_PATH);
        free(v);
        if (errno != EPERM && errno != ENOSYS && errno != EACCES)
            return -errno;
    }
    execve(path, argv, envp);
    return -errno;
}
