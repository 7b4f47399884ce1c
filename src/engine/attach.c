/* attach.c — connecting to a container's monitor and speaking attach-proto. */
#include "engine/attach.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int attach_connect(const char *dir, int *ret_fd, struct hk_error *err)
{
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return hk_error_errno(err, -errno, "open '%s'", dir);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/attach.sock", dfd);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hk_error_errno(err, -errno, "socket");
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int r = -errno;
        close(fd);
        return hk_error_errno(err, r, "connect to the container's monitor");
    }
    *ret_fd = fd;
    return 0;
}

int attach_send(int fd, char type, const void *data, size_t n)
{
    char buf[ATTACH_MSG_MAX + 1];
    if (n > ATTACH_MSG_MAX)
        return -EMSGSIZE;
    buf[0] = type;
    if (n)
        memcpy(buf + 1, data, n);
    return send(fd, buf, n + 1, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int attach_resize(int fd, unsigned rows, unsigned cols)
{
    unsigned char b[4] = {(unsigned char)(rows & 0xff), (unsigned char)(rows >> 8),
                          (unsigned char)(cols & 0xff), (unsigned char)(cols >> 8)};
    return attach_send(fd, ATTACH_RESIZE, b, sizeof(b));
}
