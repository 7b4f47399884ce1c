/* seccomp-listener.c — hand a seccomp notify fd to the agent at linux.seccomp.listenerPath.
 *
 * runtime-spec config-linux.md "The Container Process State": one AF_UNIX SOCK_STREAM
 * connection per container, the JSON as regular payload, the fds by SCM_RIGHTS on the first
 * sendmsg only, then close. */
#include "runtime/seccomp.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "oci/spec.h"
#include "util/json.h"

json_t *seccomp_listener_message(pid_t pid, const char *metadata, const json_t *state)
{
    json_t *m = json_object();
    json_object_set_new(m, "ociVersion", json_string(OCI_VERSION));
    json_object_set_new(m, "fds", json_pack("[s]", "seccompFd"));
    json_object_set_new(m, "pid", json_integer(pid));
    if (metadata)
        json_object_set_new(m, "metadata", json_string(metadata));
    json_object_set_new(m, "state", json_deep_copy(state));
    return m;
}

static int connect_unix(const char *path, struct hk_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return hk_error_set(err, -ENAMETOOLONG, "'%s': longer than a unix socket path can be",
                            path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hk_error_errno(err, -errno, "socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int r = hk_error_errno(err, -errno, "connect to '%s'", path);
        close(fd);
        return r;
    }
    return fd;
}

/* Send len bytes; the first sendmsg carries fd as SCM_RIGHTS. */
static int send_with_fd(int sock, const char *data, size_t len, int fd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof(control));
    size_t off = 0;
    bool first = true;
    while (off < len) {
        struct iovec iov = {.iov_base = (void *)(data + off), .iov_len = len - off};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        if (first) {
            msg.msg_control = control.buf;
            msg.msg_controllen = sizeof(control.buf);
            struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        first = false;
        off += (size_t)n;
    }
    return 0;
}

int seccomp_send_listener(const char *path, int listener_fd, pid_t pid, const char *metadata,
                          const json_t *state, struct hk_error *err)
{
    if (!path || listener_fd < 0 || !json_is_object(state))
        return hk_error_set(err, -EINVAL, "send the seccomp listener: bad arguments");
    _cleanup_close_ int sock = connect_unix(path, err);
    if (sock < 0)
        return hk_error_prefix(err, sock, "seccomp listenerPath");
    json_t *m = seccomp_listener_message(pid, metadata, state);
    _cleanup_free_ char *text = json_dump_compact(m);
    json_decref(m);
    int r = send_with_fd(sock, text, strlen(text), listener_fd);
    if (r < 0)
        return hk_error_errno(err, r, "seccomp listenerPath: send the listener to '%s'", path);
    return 0;
}
