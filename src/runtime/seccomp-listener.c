/* seccomp-listener.c — hand a seccomp notify fd to the agent at linux.seccomp.listenerPath.
 *
 * runtime-spec config-linux.md "The Container Process State": one AF_UNIX SOCK_STREAM
 * connection per container, the JSON as regular payload, the fds by SCM_RIGHTS on the first
 * sendmsg only, then close. */
#include "runtime/seccomp.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "oci/spec.h"
#include "util/json.h"
#include "util/path.h"

static json_t *listener_message(const char *metadata, const json_t *state)
{
    json_t *m = json_object();
    json_object_set_new(m, "ociVersion", json_string(OCI_VERSION));
    json_object_set_new(m, "fds", json_pack("[s]", "seccompFd"));
    json_object_set_new(m, "pid", json_deep_copy(json_object_get(state, "pid")));
    if (metadata)
        json_object_set_new(m, "metadata", json_string(metadata));
    json_object_set_new(m, "state", json_deep_copy(state));
    return m;
}

/* connect(2) to path; a path longer than sun_path is reached through its directory's fd
 * (/proc/self/fd/N/<name>). */
static int connect_unix(const char *path, struct hk_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    _cleanup_close_ int dirfd = -1;
    if (strlen(path) < sizeof(sa.sun_path)) {
        memcpy(sa.sun_path, path, strlen(path) + 1);
    } else {
        _cleanup_free_ char *dir = NULL, *base = NULL;
        if (path_split(path, &dir, &base) < 0)
            return hk_error_set(err, -EINVAL, "'%s': not a socket path", path);
        dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
            return hk_error_errno(err, -errno, "open '%s'", dir);
        int n = snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/%s", dirfd, base);
        if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
            return hk_error_set(err, -ENAMETOOLONG, "'%s': the socket name is too long", path);
    }
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

int seccomp_send_listener(const struct seccomp_program *p, int listener_fd, const char *state_json,
                          struct hk_error *err)
{
    const char *path = seccomp_listener_path(p);
    if (!path)
        return hk_error_set(err, -EINVAL, "seccomp: the profile has no listenerPath");
    if (listener_fd < 0 || !state_json)
        return hk_error_set(err, -EINVAL, "seccomp listenerPath: no listener or state to send");
    json_error_t jerr;
    _cleanup_json_ json_t *state = json_loads(state_json, 0, &jerr);
    if (!json_is_object(state) || !json_is_integer(json_object_get(state, "pid")))
        return hk_error_set(err, -EINVAL, "seccomp listenerPath: the state has no pid");
    _cleanup_close_ int sock = connect_unix(path, err);
    if (sock < 0)
        return hk_error_prefix(err, sock, "seccomp listenerPath");
    _cleanup_json_ json_t *m = listener_message(seccomp_listener_metadata(p), state);
    _cleanup_free_ char *text = json_dump_compact(m);
    int r = send_with_fd(sock, text, strlen(text), listener_fd);
    if (r < 0)
        return hk_error_errno(err, r, "seccomp listenerPath: send the listener to '%s'", path);
    return 0;
}
