/* server.c — the HTTP side of `hako system service`: listeners (unix socket, TCP, LISTEN_FDS),
 * libmicrohttpd with a thread per connection, request bodies, answers, streams and upgrades.
 *
 * Process model (docs/API.md): this process has threads, so it never calls clone() itself:
 * starting a container and exec run in spawned `hako` processes (api_spawn). Every other
 * operation (records, signals, the freezer, logs, stats, images) is a plain engine call. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <grp.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/internal.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/lazy.h"
#include "util/log.h"

extern char **environ;

static atomic_int busy;          /* open connections + streams + hijacked connections */
static atomic_llong last_active; /* CLOCK_MONOTONIC seconds when busy last changed */

static long long now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec;
}

static long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

void api_busy(int delta)
{
    atomic_fetch_add(&busy, delta);
    atomic_store(&last_active, now_s());
}

static void add_common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Api-Version", API_VERSION);
    MHD_add_response_header(r, "Ostype", "linux");
    MHD_add_response_header(r, "Docker-Experimental", "false");
    MHD_add_response_header(r, "Server", "hako/" HAKO_VERSION " (linux)");
}

static enum MHD_Result queue(struct api_call *c, unsigned status, struct MHD_Response *r)
{
    add_common_headers(r);
    c->status = status;
    enum MHD_Result ret = MHD_queue_response(c->conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result api_reply_response(struct api_call *c, unsigned status, struct MHD_Response *r)
{
    return queue(c, status, r);
}

enum MHD_Result api_reply_json(struct api_call *c, unsigned status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    size_t n = strlen(s);
    s = xrealloc(s, n + 2);
    s[n++] = '\n';
    struct MHD_Response *r = MHD_create_response_from_buffer(n, s, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    return queue(c, status, r);
}

enum MHD_Result api_reply_empty(struct api_call *c, unsigned status)
{
    return queue(c, status, MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT));
}

enum MHD_Result api_reply_msg(struct api_call *c, unsigned status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    json_t *j = json_pack("{s:s}", "message", m ? m : "out of memory");
    free(m);
    return api_reply_json(c, status, j);
}

enum MHD_Result api_reply_error(struct api_call *c, const struct hk_error *err, unsigned dflt)
{
    unsigned st = err->code == -ENOENT                            ? 404
                  : (err->code == -EEXIST || err->code == -EBUSY) ? 409
                  : err->code == -EINVAL                          ? 400
                                                                  : dflt;
    return api_reply_msg(c, st, "%s", hk_error_msg(err));
}

int api_write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int api_write_frame(int fd, int stream, const void *p, size_t n)
{
    unsigned char h[8] = {(unsigned char)stream,
                          0,
                          0,
                          0,
                          (unsigned char)(n >> 24),
                          (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8),
                          (unsigned char)n};
    int r = api_write_all(fd, h, sizeof(h));
    return r < 0 ? r : api_write_all(fd, p, n);
}

bool api_peer_gone(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = 0};
    int n = poll(&p, 1, ms);
    return n > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL));
}

/* --- streams: a producer thread writes into a pipe, MHD reads the pipe -------------------- */

struct stream {
    int rfd;
    api_stream_fn fn;
    void *ud;
    void (*free_ud)(void *);
    int wfd;
};

static void *stream_thread(void *p)
{
    struct stream *s = p;
    s->fn(s->wfd, s->ud);
    close(s->wfd);
    if (s->free_ud)
        s->free_ud(s->ud);
    free(s);
    api_busy(-1);
    return NULL;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    int fd = (int)(intptr_t)cls;
    for (;;) {
        ssize_t n = read(fd, buf, max);
        if (n > 0)
            return n;
        if (n == 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (errno != EINTR)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

static void stream_free(void *cls)
{
    close((int)(intptr_t)cls); /* the producer's next write fails: it ends */
}

static void start_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 256 << 10);
    if (pthread_create(&t, &a, fn, arg) != 0) {
        log_error("api: cannot start a thread: %s", strerror(errno));
        abort();
    }
    pthread_attr_destroy(&a);
}

enum MHD_Result api_reply_stream(struct api_call *c, const char *content_type, api_stream_fn fn,
                                 void *ud, void (*free_ud)(void *))
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        if (free_ud)
            free_ud(ud);
        return api_reply_msg(c, 500, "pipe: %s", strerror(errno));
    }
    struct stream *s = xcalloc(1, sizeof(*s));
    *s = (struct stream){.rfd = p[0], .wfd = p[1], .fn = fn, .ud = ud, .free_ud = free_ud};
    struct MHD_Response *r = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 32 << 10, stream_read, (void *)(intptr_t)p[0], stream_free);
    MHD_add_response_header(r, "Content-Type", content_type);
    api_busy(1);
    start_thread(stream_thread, s);
    return queue(c, 200, r);
}

/* --- upgrades ------------------------------------------------------------------------------ */

struct upgrade {
    api_upgrade_fn fn;
    void *ud;
    void (*free_ud)(void *);
    int sock;
    char *extra;
    size_t n_extra;
    struct MHD_UpgradeResponseHandle *urh;
};

static void *upgrade_thread(void *p)
{
    struct upgrade *u = p;
    u->fn(u->sock, u->extra, u->n_extra, u->ud);
    shutdown(u->sock, SHUT_RDWR);
    MHD_upgrade_action(u->urh, MHD_UPGRADE_ACTION_CLOSE);
    if (u->free_ud)
        u->free_ud(u->ud);
    free(u->extra);
    free(u);
    api_busy(-1);
    return NULL;
}

static void upgrade_handler(void *cls, struct MHD_Connection *conn, void *req_cls,
                            const char *extra_in, size_t extra_in_size, MHD_socket sock,
                            struct MHD_UpgradeResponseHandle *urh)
{
    (void)conn;
    (void)req_cls;
    struct upgrade *u = cls;
    u->sock = sock;
    u->urh = urh;
    if (extra_in_size) {
        u->extra = xcalloc(1, extra_in_size);
        memcpy(u->extra, extra_in, extra_in_size);
        u->n_extra = extra_in_size;
    }
    /* MHD leaves the socket non-blocking; the relays block in poll() and write(). */
    int fl = fcntl(sock, F_GETFL);
    if (fl >= 0)
        fcntl(sock, F_SETFL, fl & ~O_NONBLOCK);
    start_thread(upgrade_thread, u);
}

enum MHD_Result api_reply_upgrade(struct api_call *c, const char *content_type, api_upgrade_fn fn,
                                  void *ud, void (*free_ud)(void *))
{
    struct upgrade *u = xcalloc(1, sizeof(*u));
    *u = (struct upgrade){.fn = fn, .ud = ud, .free_ud = free_ud, .sock = -1};
    struct MHD_Response *r = MHD_create_response_for_upgrade(upgrade_handler, u);
    MHD_add_response_header(r, "Content-Type", content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "tcp");
    api_busy(1);
    /* Queued as 101 only when the client asked for an upgrade, as docker's CLI does. */
    return queue(c, MHD_HTTP_SWITCHING_PROTOCOLS, r);
}

/* --- helpers -------------------------------------------------------------------------------- */

int api_spawn(const struct api_ctx *x, const char *const *args, const int fds[3], int extra_fd,
              pid_t *ret_pid, struct hk_error *err)
{
    size_t n_args = 0;
    while (args[n_args])
        n_args++;
    _cleanup_free_ const char **argv = xcalloc(n_args + 6, sizeof(*argv));
    argv[0] = x->self_exe;
    argv[1] = "--root";
    argv[2] = x->root;
    argv[3] = "--runroot";
    argv[4] = x->runroot;
    size_t n = 5;
    for (size_t i = 0; i < n_args; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    for (int i = 0; i < 3; i++) {
        if (fds[i] >= 0)
            posix_spawn_file_actions_adddup2(&fa, fds[i], i);
        else
            posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i ? O_WRONLY : O_RDONLY, 0);
    }
    if (extra_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, extra_fd, 3);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int r = posix_spawn(ret_pid, x->self_exe, &fa, &at, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (r != 0)
        return hk_error_errno(err, -r, "spawn '%s'", x->self_exe);
    return 0;
}

void api_write_message(int fd, bool *broken, json_t *o)
{
    char *d = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *s = xasprintf("%s\r\n", d ? d : "{}");
    free(d);
    if (!*broken && api_write_all(fd, s, strlen(s)) < 0)
        *broken = true;
    free(s);
}

bool api_resolve(struct api_call *c, char **ret_id)
{
    struct hk_error err = {0};
    if (record_resolve(c->ctx->e, c->req.object, ret_id, &err) < 0) {
        api_reply_error(c, &err, 404);
        return false;
    }
    return true;
}

/* --- requests --------------------------------------------------------------------------------- */

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct api_request *r = cls;
    json_t *v = json_string(value ? value : "");
    /* commit's changes= and build's t= repeat, one value each: kept as lines */
    const char *had =
        key && (strcmp(key, "changes") == 0 || strcmp(key, "t") == 0) ? api_query(r, key) : NULL;
    if (had && v) {
        json_decref(v);
        _cleanup_free_ char *joined = xasprintf("%s\n%s", had, value ? value : "");
        v = json_string(joined);
    }
    if (key && v)
        json_object_set_new(r->query, key, v);
    else
        json_decref(v);
    return MHD_YES;
}

static enum MHD_Result dispatch(struct api_call *c)
{
    switch (c->req.op) {
    case OP_EVENTS:
        return api_events(c);
    case OP_PING:
    case OP_VERSION:
    case OP_INFO:
    case OP_DF:
    case OP_AUTH:
    case OP_SWARM:
    case OP_PLUGIN:
        return api_system(c);
    case OP_CT_LOGS:
    case OP_CT_ATTACH:
    case OP_CT_STATS:
    case OP_CT_WAIT:
        return api_container_streams(c);
    case OP_CT_EXEC:
    case OP_EXEC_START:
    case OP_EXEC_RESIZE:
    case OP_EXEC_INSPECT:
        return api_exec(c);
    case OP_IMG_LIST:
    case OP_IMG_CREATE:
    case OP_IMG_INSPECT:
    case OP_IMG_HISTORY:
    case OP_IMG_TAG:
    case OP_IMG_PUSH:
    case OP_IMG_DELETE:
    case OP_IMG_GET:
    case OP_IMG_LOAD:
        return api_images(c);
    case OP_VOL_LIST:
    case OP_VOL_CREATE:
    case OP_VOL_PRUNE:
    case OP_VOL_INSPECT:
    case OP_VOL_DELETE:
        return api_volumes(c);
    case OP_BUILD:
        return api_build(c);
    case OP_CT_EXPORT:
    case OP_CT_CHANGES:
    case OP_COMMIT:
    case OP_CT_ARCHIVE_GET:
    case OP_CT_ARCHIVE_HEAD:
    case OP_CT_ARCHIVE_PUT:
        return api_files(c);
    case OP_NET_LIST:
    case OP_NET_CREATE:
    case OP_NET_PRUNE:
    case OP_NET_INSPECT:
    case OP_NET_DELETE:
    case OP_NET_CONNECT:
    case OP_NET_DISCONNECT:
        return api_networks(c);
    case OP_NONE:
        break;
    default:
        return api_containers(c);
    }
    return api_reply_msg(c, 404, "page not found");
}

/* Spool a raw body (images/load) into an unlinked temp file under the runroot. */
static int spool(struct api_call *c, const char *data, size_t n)
{
    if (c->body_fd < 0) {
        c->body_fd = open(c->ctx->runroot, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (c->body_fd < 0)
            return -errno;
    }
    return api_write_all(c->body_fd, data, n);
}

/* On a TLS listener: whether the client presented a certificate the CA signed (MHD asks for
 * one but does not refuse a client without; docker's daemon requires and verifies it). */
static bool client_verified(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return true; /* not TLS: a unix socket or --insecure-tcp on loopback */
    unsigned status = 0;
    if (gnutls_certificate_verify_peers2((gnutls_session_t)ci->tls_session, &status) < 0)
        return false; /* no certificate */
    return status == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct api_call *c = *con_cls;
    struct hk_error err = {0};
    if (!c) {
        c = xcalloc(1, sizeof(*c));
        c->ctx = cls;
        c->conn = conn;
        c->body_fd = -1;
        c->req.query = json_object();
        if (log_get_level() >= LOG_DEBUG) {
            c->start_us = now_us();
            c->method = xstrdup(method);
            c->url = xstrdup(url);
        }
        *con_cls = c;
        if (!client_verified(conn)) {
            c->req.op = OP_NONE;
            return api_reply_msg(c, 403,
                                 "a client certificate signed by the service's CA is "
                                 "required (docker --tlsverify)");
        }
        int st = api_route(method, url, &c->req, &err);
        if (st) {
            c->req.op = OP_NONE;
            c->too_big = false;
            return api_reply_msg(c, (unsigned)st, "%s", hk_error_msg(&err));
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (c->req.op == OP_IMG_LOAD || c->req.op == OP_CT_ARCHIVE_PUT || c->req.op == OP_BUILD) {
            if (spool(c, upload_data, n) < 0)
                c->too_big = true;
        } else if (c->n + n > API_BODY_MAX) {
            c->too_big = true;
        } else if (!c->too_big) {
            if (c->n + n > c->cap) {
                c->cap = (c->n + n) * 2;
                c->body = xrealloc(c->body, c->cap);
            }
            memcpy(c->body + c->n, upload_data, n);
            c->n += n;
        }
        return MHD_YES;
    }
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &c->req);
    c->auth_header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Registry-Auth");
    if (c->too_big)
        return api_reply_msg(c, 413, "request body larger than %u bytes", API_BODY_MAX);
    if (c->req.op != OP_IMG_LOAD && c->req.op != OP_CT_ARCHIVE_PUT && c->req.op != OP_BUILD) {
        int st = api_body_parse(c->body, c->n, &c->req, &err);
        if (st)
            return api_reply_msg(c, (unsigned)st, "%s", hk_error_msg(&err));
    }
    return dispatch(c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    struct api_call *c = *con_cls;
    if (!c)
        return;
    if (c->method)
        log_debug("api: %s %s %u %.1fms%s", c->method, c->url, c->status,
                  (double)(now_us() - c->start_us) / 1000.0,
                  toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (client went away)");
    free(c->method);
    free(c->url);
    api_request_clear(&c->req);
    free(c->body);
    if (c->body_fd >= 0)
        close(c->body_fd);
    free(c);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)cls;
    (void)conn;
    (void)socket_context;
    api_busy(toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

/* --- listeners --------------------------------------------------------------------------- */

/* The hako group's ID, creating the group when missing (groupadd, before any thread). */
static int hako_gid(gid_t *ret, struct hk_error *err)
{
    struct group *g = getgrnam("hako");
    if (!g) {
        pid_t pid;
        const char *argv[] = {"groupadd", "--system", "hako", NULL};
        int r = posix_spawnp(&pid, "groupadd", NULL, NULL, (char *const *)argv, environ);
        int st = 0;
        if (r == 0)
            waitpid(pid, &st, 0);
        g = getgrnam("hako");
        if (!g)
            return hk_error_set(err, -ENOENT, "group 'hako' is missing and groupadd failed");
    }
    *ret = g->gr_gid;
    return 0;
}

static int listen_unix(const char *path, int *ret_fd, struct hk_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return hk_error_set(err, -ENAMETOOLONG, "unix socket path '%s' is too long", path);
    strcpy(sa.sun_path, path);
    gid_t gid = 0;
    int r = hako_gid(&gid, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir_p(dir, 0755);
    }
    /* A socket left by a service that died: nobody answers on it any more. */
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return hk_error_set(err, -EEXIST, "'%s' exists and is not a socket", path);
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool alive = connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        close(probe);
        if (alive)
            return hk_error_set(err, -EADDRINUSE, "'%s': another service listens on it", path);
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hk_error_errno(err, -errno, "socket");
    mode_t old = umask(0177); /* never world-accessible, not even for a moment */
    r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0 || chown(path, 0, gid) < 0 || chmod(path, 0660) < 0 || listen(fd, 128) < 0) {
        r = hk_error_errno(err, -errno, "listen on '%s'", path);
        close(fd);
        return r;
    }
    *ret_fd = fd;
    return 0;
}

static bool loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "localhost") == 0 ||
           strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

static int listen_tcp(const char *hostport, bool insecure, bool tls, int *ret_fd,
                      struct hk_error *err)
{
    _cleanup_free_ char *host = xstrdup(hostport);
    char *colon = strrchr(host, ':');
    if (!colon || !colon[1])
        return hk_error_set(err, -EINVAL, "tcp://%s: expected tcp://HOST:PORT", hostport);
    *colon = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port <= 0 || port > 65535)
        return hk_error_set(err, -EINVAL, "tcp://%s: bad port", hostport);
    if (!insecure && !tls)
        return hk_error_set(err, -EPERM,
                            "tcp://%s: TCP is served only with TLS client "
                            "verification (--tlsverify --tlscacert --tlscert --tlskey), or "
                            "with --insecure-tcp on a loopback address",
                            hostport);
    if (!tls && !loopback(host))
        return hk_error_set(err, -EPERM,
                            "tcp://%s: --insecure-tcp serves only a loopback "
                            "address (127.0.0.0/8, ::1)",
                            hostport);
    bool v6 = strchr(host, ':') != NULL;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hk_error_errno(err, -errno, "socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int r;
    if (v6) {
        struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
                                  .sin6_port = htons((uint16_t)port),
                                  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    } else {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        r = strcmp(host, "localhost") == 0 ? inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr)
                                           : inet_pton(AF_INET, host, &sa.sin_addr);
        r = r == 1 ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) : (errno = EINVAL, -1);
    }
    if (r < 0 || listen(fd, 128) < 0) {
        r = hk_error_errno(err, -errno, "listen on tcp://%s", hostport);
        close(fd);
        return r;
    }
    *ret_fd = fd;
    return 0;
}

/* Sockets passed by socket activation (LISTEN_PID = us, LISTEN_FDS = n from fd 3). */
static size_t listen_fds(int *fds, size_t max)
{
    const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
    if (!pid || !n || atol(pid) != (long)getpid())
        return 0;
    size_t k = 0;
    for (long i = 0; i < atol(n) && k < max; i++) {
        int fd = 3 + (int)i;
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        fds[k++] = fd;
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return k;
}

static int open_listeners(const struct api_opts *o, int *fds, bool *tls, size_t *ret_n,
                          struct hk_error *err)
{
    size_t n = listen_fds(fds, 16);
    _cleanup_free_ char *dflt = xasprintf("unix://%s/hako.sock", o->runroot);
    const char *const *hosts = o->hosts;
    size_t nh = o->n_hosts;
    const char *one[] = {dflt};
    if (!nh && !n) {
        hosts = one;
        nh = 1;
    }
    for (size_t i = 0; i < 16; i++)
        tls[i] = false;
    for (size_t i = 0; i < nh && n < 16; i++) {
        int r;
        if (strncmp(hosts[i], "unix://", 7) == 0) {
            r = listen_unix(hosts[i] + 7, &fds[n], err);
        } else if (strncmp(hosts[i], "tcp://", 6) == 0) {
            tls[n] = o->tlsverify && !o->insecure_tcp;
            r = listen_tcp(hosts[i] + 6, o->insecure_tcp, tls[n], &fds[n], err);
        } else {
            r = hk_error_set(err, -EINVAL, "-H %s: expected unix:///PATH or tcp://HOST:PORT",
                             hosts[i]);
        }
        if (r < 0) {
            for (size_t k = 0; k < n; k++)
                close(fds[k]);
            return r;
        }
        n++;
    }
    *ret_n = n;
    return 0;
}

/* The PEM files of --tlsverify, read before anything listens. */
struct tls_files {
    char *ca, *cert, *key;
};

static void tls_files_clear(struct tls_files *t)
{
    free(t->ca);
    free(t->cert);
    if (t->key)
        explicit_bzero(t->key, strlen(t->key));
    free(t->key);
}

static int tls_load(const struct api_opts *o, struct tls_files *t, struct hk_error *err)
{
    if ((o->tls_ca || o->tls_cert || o->tls_key) && !o->tlsverify)
        return hk_error_set(err, -EINVAL,
                            "--tlscacert, --tlscert and --tlskey need --tlsverify "
                            "(hako serves TCP only with client verification)");
    if (!o->tlsverify)
        return 0;
    if (!o->tls_ca || !o->tls_cert || !o->tls_key)
        return hk_error_set(err, -EINVAL,
                            "--tlsverify needs --tlscacert, --tlscert and "
                            "--tlskey");
    const char *paths[] = {o->tls_ca, o->tls_cert, o->tls_key};
    char **dst[] = {&t->ca, &t->cert, &t->key};
    for (size_t i = 0; i < 3; i++) {
        int r = read_file(paths[i], 1 << 20, dst[i], NULL, err);
        if (r < 0)
            return hk_error_prefix(err, r, "--tls%s", i == 0 ? "cacert" : i == 1 ? "cert" : "key");
    }
    return 0;
}

int api_serve(const struct api_opts *o, struct hk_error *err)
{
    /* libmicrohttpd and GnuTLS are loaded here, not by every hako (src/api/lazy-mhd.c) */
    if (lazy_require(LAZY_MHD, err) < 0 || lazy_require(LAZY_GNUTLS, err) < 0)
        return -ENOENT;
    struct tls_files t = {0};
    int r = tls_load(o, &t, err);
    if (r < 0) {
        tls_files_clear(&t);
        return r;
    }
    struct api_ctx x = {.root = o->root, .runroot = o->runroot, .config = o->config};
    r = engine_open(o->root, o->runroot, &x.e, err);
    if (r < 0) {
        tls_files_clear(&t);
        return r;
    }
    x.self_exe = realpath("/proc/self/exe", NULL);
    int fds[16];
    bool tls[16];
    size_t n = 0;
    r = open_listeners(o, fds, tls, &n, err);
    if (r < 0) {
        engine_free(x.e);
        free(x.self_exe);
        tls_files_clear(&t);
        return r;
    }
    /* Every thread inherits this mask: signals are taken by sigtimedwait() below only. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d[16];
    size_t nd = 0;
    atomic_store(&last_active, now_s());
    for (size_t i = 0; i < n; i++) {
        unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_ALLOW_UPGRADE | MHD_USE_ITC | MHD_USE_ERROR_LOG;
        struct MHD_OptionItem tls_opts[] = {
            {MHD_OPTION_HTTPS_MEM_KEY, 0, t.key},
            {MHD_OPTION_HTTPS_MEM_CERT, 0, t.cert},
            {MHD_OPTION_HTTPS_MEM_TRUST, 0, t.ca}, /* clients must present a cert it signed */
            {MHD_OPTION_END, 0, NULL},
        };
        struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};
        d[nd] = MHD_start_daemon(flags | (tls[i] ? MHD_USE_TLS : 0), 0, NULL, NULL, on_request, &x,
                                 MHD_OPTION_LISTEN_SOCKET, fds[i], MHD_OPTION_NOTIFY_COMPLETED,
                                 on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
                                 NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 << 10),
                                 MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 << 10),
                                 MHD_OPTION_ARRAY, tls[i] ? tls_opts : none, MHD_OPTION_END);
        if (!d[nd]) {
            r = hk_error_set(err, -EIO, "cannot start the HTTP server on listener %zu", i);
            break;
        }
        nd++;
    }
    log_info("api: serving on %zu listener(s)", nd);
    while (r == 0) {
        struct timespec tick = {.tv_sec = 1};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig > 0)
            break;
        if (o->idle_seconds > 0 && atomic_load(&busy) == 0 &&
            now_s() - atomic_load(&last_active) >= o->idle_seconds)
            break;
    }
    /* Streams and hijacked connections may be blocked on a container: the process exits
     * without joining them (MHD_stop_daemon would wait). Containers are not ours to stop. */
    for (size_t i = 0; i < nd; i++)
        MHD_quiesce_daemon(d[i]);
    tls_files_clear(&t);
    for (size_t i = 0; i < o->n_hosts; i++)
        if (strncmp(o->hosts[i], "unix://", 7) == 0)
            unlink(o->hosts[i] + 7);
    if (!o->n_hosts && n) {
        _cleanup_free_ char *dflt = xasprintf("%s/hako.sock", o->runroot);
        unlink(dflt);
    }
    return r;
}
