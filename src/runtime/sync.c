#include "runtime/sync.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int send_fd(int sock, int fd, const void *data, size_t len)
{
    char dummy = 0;
    struct iovec iov = {.iov_base = (void *)(data ? data : &dummy), .iov_len = data ? len : 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof(u.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

int recv_fd(int sock, int *ret_fd, void *data, size_t size, size_t *ret_len)
{
    char dummy;
    struct iovec iov = {.iov_base = data ? data : &dummy, .iov_len = data ? size : 1};
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                        .msg_controllen = sizeof(u.buf)};
    ssize_t n;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -EPIPE;
    if (ret_fd)
        *ret_fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfds; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (ret_fd && *ret_fd < 0)
                *ret_fd = fd;
            else
                close(fd); /* more than we asked for: never keep stray fds */
        }
    }
    if (ret_len)
        *ret_len = (size_t)n;
    return 0;
}

int sync_send(int fd, enum sync_type type, int32_t code, const char *text, int pass_fd)
{
    struct sync_msg m = {.type = type, .code = code};
    size_t len = offsetof(struct sync_msg, text);
    if (text) {
        size_t tl = strnlen(text, sizeof(m.text) - 1);
        memcpy(m.text, text, tl);
        len += tl + 1;
    }
    return send_fd(fd, pass_fd, &m, len);
}

int sync_recv(int fd, struct sync_msg *msg, int *ret_fd)
{
    memset(msg, 0, sizeof(*msg));
    size_t len = 0;
    int r = recv_fd(fd, ret_fd, msg, sizeof(*msg) - 1, &len);
    if (r < 0)
        return r;
    if (len < offsetof(struct sync_msg, text))
        return -EBADMSG;
    msg->text[sizeof(msg->text) - 1] = '\0';
    return 0;
}

int sync_expect(int fd, enum sync_type type, struct sync_msg *msg, int *ret_fd,
                struct hk_error *err)
{
    int r = sync_recv(fd, msg, ret_fd);
    if (r == -EPIPE)
        return hk_error_set(err, r, "the container process exited during setup");
    if (r < 0)
        return hk_error_errno(err, r, "read from the container process");
    if (msg->type == SYNC_ERROR) {
        if (ret_fd && *ret_fd >= 0) {
            close(*ret_fd);
            *ret_fd = -1;
        }
        return hk_error_set(err, msg->code ? msg->code : -EIO, "%s", msg->text);
    }
    if (msg->type != (uint32_t)type) {
        if (ret_fd && *ret_fd >= 0) {
            close(*ret_fd);
            *ret_fd = -1;
        }
        return hk_error_set(err, -EPROTO, "unexpected message %u from the container process "
                                          "(expected %u)",
                            msg->type, (unsigned)type);
    }
    return 0;
}

int sync_send_error(int fd, const struct hk_error *err)
{
    return sync_send(fd, SYNC_ERROR, err && err->code ? err->code : -EIO, hk_error_msg(err), -1);
}
