#include "util/selfexe.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/log.h"
#include "util/macro.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static bool fd_protected(int fd)
{
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals >= 0 && (seals & SEALS) == SEALS)
        return true;
    struct statvfs sv;
    return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

bool selfexe_is_protected(void)
{
    _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    return fd >= 0 && fd_protected(fd);
}

/* A sealed, executable memfd holding a copy of the file at fd. */
static int sealed_copy(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    _cleanup_close_ int mfd = memfd_create("hako", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0)
        return -errno;
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = sendfile(mfd, fd, &off, (size_t)(st.st_size - off));
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
    }
    if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
        return -errno;
    return TAKE_FD(mfd);
}

void selfexe_ensure_sealed(char **argv, bool *ret_protected)
{
    *ret_protected = false;
    _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (fd_protected(fd)) {
        *ret_protected = true;
        return;
    }
    int mfd = sealed_copy(fd);
    if (mfd < 0) {
        log_warn("cannot make a sealed copy of our binary (CVE-2019-5736 protection): %s",
                 strerror(-mfd));
        return;
    }
    /* argv[0] stays as it was: it chooses the front door. */
    fexecve(mfd, argv, environ);
    log_warn("cannot re-exec from the sealed copy of our binary: %m");
    close(mfd);
}
