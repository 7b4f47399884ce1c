/* helper.c — `hako service-helper start ID [WANT]`: the part of the start endpoint that
 * forks the container's monitor, run in a fresh single-threaded process spawned by the
 * service (whose HTTP threads must not clone). With WANT (the ATTACH_* streams of a client
 * attached before the start, as a number), the attach connection opened
 * before the container starts is sent back over fd 3 (SCM_RIGHTS), so a client attached
 * before start sees all of the output. Errors: the message on stderr, docker's exit status
 * (127 not found, 126 not executable, 125). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "engine/attach.h"
#include "engine/lifecycle.h"
#include "image/store.h"

static void send_fd(int sock, int fd)
{
    char byte = 'c';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u = {0};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

int api_helper_start(const char *root, const char *runroot, const char *id, int attach)
{
    struct engine *e = NULL;
    struct hk_error err = {0};
    if (engine_open(root, runroot, &e, &err) < 0) {
        fprintf(stderr, "%s\n", hk_error_msg(&err));
        return 125;
    }
    struct store *s = NULL;
    store_open(root, &s, NULL); /* only to mount the rootfs again after a reboot */
    int conn = -1;
    int r = engine_start(e, s, id, attach >= 0 ? &conn : NULL, &err);
    store_free(s);
    engine_free(e);
    if (r < 0) {
        fprintf(stderr, "%s\n", hk_error_msg(&err));
        return err.code == -ENOENT ? 127 : err.code == -EACCES ? 126 : 125;
    }
    if (attach >= 0 && conn >= 0) {
        /* at once, as `hako start -a` does: output from the first moment is the client's */
        unsigned char want = (unsigned char)attach;
        attach_send(conn, ATTACH_HELLO, &want, 1);
        send_fd(3, conn);
    }
    return 0;
}
