/* dns.c — a user network's DNS responder (see dns.h). */
#include "engine/net/dns.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/net/dnsmsg.h"
#include "engine/net/ipam.h"
#include "runtime/state.h"
#include "util/fs.h"
#include "util/json.h"

#define DNS_RECORD "dns"
#define DNS_TTL 10
#define MAX_PENDING 64
#define MAX_TCP 16
#define MAX_UPSTREAM 8
#define MSG_MAX 4096
#define UPSTREAM_MS 2000 /* per upstream server, then the next one */
#define TCP_MS 5000      /* a TCP client has this long to send its query */
#define TICK_MS 2000     /* how often the responder checks its network still has containers */

/* --- the starter's side ---------------------------------------------------------------- */

static int bound(int type, struct in_addr gw, struct hk_error *err)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr = gw};
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return hk_error_errno(err, -errno, "socket");
    /* TCP: past TIME_WAIT of the last responder's connections; never UDP, where it would let
     * a second socket share the port */
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        (type == SOCK_STREAM && listen(fd, MAX_TCP) < 0)) {
        int r = -errno;
        close(fd);
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &gw, ip, sizeof(ip));
        return hk_error_errno(err, r, "DNS: bind %s:53", ip);
    }
    return fd;
}

/* The grandchild: sockets on 3 and 4, nothing else, the default signals; exec. */
_noreturn_ static void serve_exec(const struct network *n, int udp, int tcp)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    int u = fcntl(udp, F_DUPFD, 10), t = fcntl(tcp, F_DUPFD, 10);
    int null = open("/dev/null", O_RDWR);
    if (u < 0 || t < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
        dup2(u, 3) < 0 || dup2(t, 4) < 0)
        _exit(127);
    syscall(SYS_close_range, 5, ~0U, 0);
    const char *up = getenv("HAKO_DNS_UPSTREAM");
    char *argv[] = {"hako",
                    "dns-serve",
                    (char *)n->bridge,
                    "3",
                    "4",
                    (char *)(up && *up ? up : "-"),
                    n->internal ? "1" : "0",
                    NULL};
    execv("/proc/self/exe", argv);
    _exit(127);
}

static bool record_alive(const json_t *j)
{
    return j && ipam_entry_alive(j);
}

int dns_up(const struct network *n, int dfd, struct hk_error *err)
{
    json_t *j = ipam_entry_load(dfd, DNS_RECORD);
    bool alive = record_alive(j);
    json_decref(j);
    if (alive)
        return 0;
    _cleanup_close_ int udp = bound(SOCK_DGRAM, n->gw, err);
    if (udp < 0)
        return udp;
    _cleanup_close_ int tcp = bound(SOCK_STREAM, n->gw, err);
    if (tcp < 0)
        return tcp;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return hk_error_errno(err, -errno, "pipe");
    pid_t child = fork();
    if (child < 0) {
        int r = -errno;
        close(p[0]);
        close(p[1]);
        return hk_error_errno(err, r, "fork");
    }
    if (child == 0) { /* its own session, and not our child: init reaps it */
        setsid();
        pid_t g = fork();
        if (g == 0)
            serve_exec(n, udp, tcp);
        (void)!write(p[1], &g, sizeof(g));
        _exit(0);
    }
    close(p[1]);
    pid_t g = -1;
    ssize_t got = read(p[0], &g, sizeof(g));
    close(p[0]);
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
        ;
    if (got != (ssize_t)sizeof(g) || g <= 0)
        return hk_error_set(err, -ECHILD, "DNS: the responder did not start");
    unsigned long long start = 0;
    char st;
    proc_start_time(g, &start, &st);
    j = json_pack("{s:i,s:I}", "Pid", (int)g, "Start", (json_int_t)start);
    _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    _cleanup_free_ char *fdpath = xasprintf("/proc/self/fd/%d/%s", dfd, DNS_RECORD);
    return write_file_replace(fdpath, text, strlen(text), 0600, err);
}

void dns_down(int dfd)
{
    json_t *j = ipam_entry_load(dfd, DNS_RECORD);
    if (!j)
        return;
    pid_t pid = (pid_t)json_integer_value(json_object_get(j, "Pid"));
    /* the pidfd first, then the start time: the signal reaches the process checked */
    int pfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
    if (pfd >= 0 && record_alive(j)) {
        for (int sig = SIGTERM, i = 0; i < 2; i++, sig = SIGKILL) {
            if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
                break;
            struct pollfd pf = {.fd = pfd, .events = POLLIN};
            if (poll(&pf, 1, 2000) > 0)
                break;
        }
    }
    if (pfd >= 0)
        close(pfd);
    json_decref(j);
    unlinkat(dfd, DNS_RECORD, 0);
}

/* --- the responder --------------------------------------------------------------------- */

struct name {
    char name[256];
    struct in_addr a;
    struct in6_addr a6;
    bool has6;
};

/* A container whose --dns servers its other names go to (its entry's Dns). */
struct client {
    struct in_addr a;
    char *servers; /* "ip,ip" */
};

struct pending {
    int fd;  /* connected to the upstream server */
    int tcp; /* the TCP client's slot, or -1: a UDP client at client */
    struct sockaddr_storage client;
    socklen_t clen;
    uint16_t id, our_id;
    size_t upstream; /* the server tried */
    char *servers;   /* the client's --dns, or NULL: the network's upstreams */
    uint8_t *query;
    size_t qlen;
    long long deadline;
};

struct tconn {
    int fd;
    uint8_t buf[2 + MSG_MAX];
    size_t len;
    struct in_addr peer;
    bool waiting; /* for the upstream's answer */
    long long deadline;
};

struct srv {
    const char *dir;
    int dfd, udp, tcp;
    bool internal;
    const char *upstream;
    struct name *names;
    size_t n_names;
    struct client *clients;
    size_t n_clients;
    size_t live;
    struct timespec mtime;
    struct pending pend[MAX_PENDING];
    struct tconn tc[MAX_TCP];
};

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The live entries' names (ipam.h), read again when the directory changed or force. */
static void names_load(struct srv *s, bool force)
{
    struct stat st;
    if (fstat(s->dfd, &st) < 0)
        return;
    if (!force && st.st_mtim.tv_sec == s->mtime.tv_sec && st.st_mtim.tv_nsec == s->mtime.tv_nsec)
        return;
    s->mtime = st.st_mtim;
    free(s->names);
    s->names = NULL;
    for (size_t i = 0; i < s->n_clients; i++)
        free(s->clients[i].servers);
    free(s->clients);
    s->clients = NULL;
    s->n_names = s->n_clients = s->live = 0;
    DIR *d = opendir(s->dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        struct in_addr a;
        if (inet_pton(AF_INET, de->d_name, &a) != 1)
            continue;
        json_t *j = ipam_entry_load(s->dfd, de->d_name);
        if (!j || !ipam_entry_alive(j)) {
            json_decref(j);
            continue;
        }
        s->live++;
        const json_t *dns = json_object_get(j, "Dns");
        if (json_array_size(dns)) {
            char *list = NULL;
            size_t k;
            json_t *srv;
            json_array_foreach(dns, k, srv)
            {
                char *more = xasprintf("%s%s%s", list ? list : "", list ? "," : "",
                                       json_string_value(srv) ?: "");
                free(list);
                list = more;
            }
            s->clients = xrealloc(s->clients, (s->n_clients + 1) * sizeof(*s->clients));
            s->clients[s->n_clients++] = (struct client){a, list};
        }
        struct in6_addr a6;
        const char *ip6 = json_string_value(json_object_get(j, "IPv6"));
        bool has6 = ip6 && inet_pton(AF_INET6, ip6, &a6) == 1;
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(j, "Names"), i, v)
        {
            const char *nm = json_string_value(v);
            if (!nm || !*nm || strlen(nm) > 253)
                continue;
            s->names = xrealloc(s->names, (s->n_names + 1) * sizeof(*s->names));
            struct name *e = &s->names[s->n_names++];
            snprintf(e->name, sizeof(e->name), "%s", nm);
            e->a = a;
            e->has6 = has6;
            if (has6)
                e->a6 = a6;
        }
        json_decref(j);
    }
    closedir(d);
}

/* Upstream servers: list (a client's --dns) or s->upstream ("ip[:port]" or "[v6]:port",
 * comma-separated), or the host's resolv.conf nameservers (read at each forward: it may
 * change). */
static size_t upstreams(const struct srv *s, const char *list, struct sockaddr_storage *v,
                        socklen_t *lens)
{
    _cleanup_free_ char *text = NULL;
    size_t len, n = 0;
    if (!list)
        list = s->upstream;
    if (list)
        text = xstrdup(list);
    else if (read_file("/etc/resolv.conf", 1 << 16, &text, &len, NULL) < 0)
        return 0;
    const char *sep = list ? "," : "\n";
    for (char *save = NULL, *p = text, *t; n < MAX_UPSTREAM && (t = strtok_r(p, sep, &save));
         p = NULL) {
        if (!list) {
            if (strncmp(t, "nameserver", 10) != 0 || (t[10] != ' ' && t[10] != '\t'))
                continue;
            t += 10;
            t += strspn(t, " \t");
            t[strcspn(t, " \t#;%")] = '\0';
        }
        char host[64] = "";
        int port = 53;
        if (t[0] == '[') { /* [v6]:port */
            const char *e = strchr(t, ']');
            if (!e || (size_t)(e - t - 1) >= sizeof(host))
                continue;
            snprintf(host, sizeof(host), "%.*s", (int)(e - t - 1), t + 1);
            if (e[1] == ':')
                port = atoi(e + 2);
        } else if (strchr(t, ':') && strchr(t, ':') == strrchr(t, ':')) { /* v4:port */
            snprintf(host, sizeof(host), "%.*s", (int)(strchr(t, ':') - t), t);
            port = atoi(strchr(t, ':') + 1);
        } else {
            snprintf(host, sizeof(host), "%s", t);
        }
        if (port <= 0 || port > 65535)
            continue;
        struct sockaddr_in *a4 = (struct sockaddr_in *)&v[n];
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&v[n];
        memset(&v[n], 0, sizeof(v[n]));
        if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
            a4->sin_family = AF_INET;
            a4->sin_port = htons((uint16_t)port);
            lens[n++] = sizeof(*a4);
        } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
            a6->sin6_family = AF_INET6;
            a6->sin6_port = htons((uint16_t)port);
            lens[n++] = sizeof(*a6);
        }
    }
    return n;
}

static void tcp_close(struct tconn *c)
{
    close(c->fd);
    c->fd = -1;
}

/* The answer goes to the UDP client at addr, or to the TCP client tcp (then closed). */
static void reply(struct srv *s, int tcp, const struct sockaddr_storage *addr, socklen_t alen,
                  const uint8_t *msg, size_t len)
{
    if (tcp < 0) {
        sendto(s->udp, msg, len, MSG_DONTWAIT, (const struct sockaddr *)addr, alen);
        return;
    }
    struct tconn *c = &s->tc[tcp];
    uint8_t buf[2 + MSG_MAX];
    if (len > MSG_MAX) {
        tcp_close(c);
        return;
    }
    buf[0] = (uint8_t)(len >> 8);
    buf[1] = (uint8_t)len;
    memcpy(buf + 2, msg, len);
    (void)!send(c->fd, buf, len + 2, MSG_DONTWAIT | MSG_NOSIGNAL);
    tcp_close(c);
}

/* Send p's query to upstream server p->upstream onwards; false when none is left. */
static bool forward_next(struct srv *s, struct pending *p)
{
    struct sockaddr_storage ups[MAX_UPSTREAM];
    socklen_t lens[MAX_UPSTREAM];
    size_t n = upstreams(s, p->servers, ups, lens);
    for (; p->upstream < n; p->upstream++) {
        if (p->fd >= 0)
            close(p->fd);
        p->fd = socket(ups[p->upstream].ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (p->fd < 0)
            continue;
        if (connect(p->fd, (struct sockaddr *)&ups[p->upstream], lens[p->upstream]) == 0 &&
            send(p->fd, p->query, p->qlen, 0) == (ssize_t)p->qlen) {
            p->deadline = now_ms() + UPSTREAM_MS;
            return true;
        }
    }
    return false;
}

static void pending_end(struct pending *p)
{
    if (p->fd >= 0)
        close(p->fd);
    free(p->query);
    free(p->servers);
    memset(p, 0, sizeof(*p));
    p->fd = -1;
}

static void servfail(struct srv *s, struct pending *p)
{
    uint8_t out[DNS_HEADER];
    dns_error(p->query, DNS_RCODE_SERVFAIL, out);
    memcpy(out, &(uint16_t){htons(p->id)}, 2);
    reply(s, p->tcp, &p->client, p->clen, out, sizeof(out));
}

static void forward(struct srv *s, const uint8_t *msg, size_t len, uint16_t id, int tcp,
                    const struct sockaddr_storage *addr, socklen_t alen)
{
    struct pending *p = NULL;
    for (size_t i = 0; i < MAX_PENDING && !p; i++)
        if (!s->pend[i].query)
            p = &s->pend[i];
    if (!p) { /* too many at once: the client asks again */
        if (tcp >= 0)
            tcp_close(&s->tc[tcp]);
        return;
    }
    p->fd = -1;
    p->tcp = tcp;
    if (addr)
        memcpy(&p->client, addr, alen);
    p->clen = alen;
    p->id = id;
    if (getrandom(&p->our_id, sizeof(p->our_id), 0) != sizeof(p->our_id))
        p->our_id = (uint16_t)now_ms();
    p->query = xcalloc(1, len);
    memcpy(p->query, msg, len);
    memcpy(p->query, &(uint16_t){htons(p->our_id)}, 2);
    p->qlen = len;
    p->upstream = 0;
    struct in_addr from = tcp >= 0 ? s->tc[tcp].peer : ((const struct sockaddr_in *)addr)->sin_addr;
    for (size_t i = 0; i < s->n_clients; i++)
        if (s->clients[i].a.s_addr == from.s_addr)
            p->servers = xstrdup(s->clients[i].servers);
    if (tcp >= 0)
        s->tc[tcp].waiting = true;
    if (!forward_next(s, p)) {
        servfail(s, p);
        pending_end(p);
    }
}

static const struct name *lookup(const struct srv *s, const char *name, const struct name *after)
{
    for (size_t i = after ? (size_t)(after - s->names) + 1 : 0; i < s->n_names; i++)
        if (strcasecmp(s->names[i].name, name) == 0)
            return &s->names[i];
    return NULL;
}

/* One query from a container: answered from the names, refused, or forwarded. */
static void handle(struct srv *s, const uint8_t *msg, size_t len, int tcp,
                   const struct sockaddr_storage *addr, socklen_t alen)
{
    struct dns_query q;
    uint8_t out[MSG_MAX];
    int r = dns_parse_query(msg, len, &q);
    if (r < 0) {
        if (len >= DNS_HEADER && !(msg[2] & 0x80)) /* never answer an answer */
            reply(s, tcp, addr, alen, out,
                  dns_error(msg, r == -ENOTSUP ? DNS_RCODE_NOTIMP : DNS_RCODE_FORMERR, out));
        else if (tcp >= 0)
            tcp_close(&s->tc[tcp]);
        return;
    }
    names_load(s, false);
    const struct name *hit = q.plain ? lookup(s, q.name, NULL) : NULL;
    if (hit && q.qclass == DNS_CLASS_IN) {
        /* every address of the name (one per entry that has it), of the family asked */
        uint8_t addrs[16 * 16];
        size_t n = 0, al = q.qtype == DNS_TYPE_AAAA ? 16 : 4;
        for (const struct name *h = hit; h && n < 16; h = lookup(s, q.name, h)) {
            if (q.qtype == DNS_TYPE_A)
                memcpy(addrs + 4 * n++, &h->a, 4);
            else if (q.qtype == DNS_TYPE_AAAA && h->has6)
                memcpy(addrs + 16 * n++, &h->a6, 16);
        }
        size_t olen = dns_answer(msg, &q, 0, addrs, n, al, DNS_TTL, out, sizeof(out));
        if (olen)
            reply(s, tcp, addr, alen, out, olen);
        else if (tcp >= 0)
            tcp_close(&s->tc[tcp]);
        return;
    }
    if (!strchr(q.name, '.') || s->internal) {
        /* a single label is a name of the network's own, and nothing leaves --internal */
        size_t olen = dns_answer(
            msg, &q, s->internal && strchr(q.name, '.') ? DNS_RCODE_REFUSED : DNS_RCODE_NXDOMAIN,
            NULL, 0, 4, 0, out, sizeof(out));
        if (olen)
            reply(s, tcp, addr, alen, out, olen);
        else if (tcp >= 0)
            tcp_close(&s->tc[tcp]);
        return;
    }
    forward(s, msg, len, q.id, tcp, addr, alen);
}

static void upstream_answer(struct srv *s, struct pending *p)
{
    uint8_t buf[MSG_MAX];
    ssize_t n = recv(p->fd, buf, sizeof(buf), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n >= DNS_HEADER && (buf[2] & 0x80) && ((buf[0] << 8) | buf[1]) == p->our_id) {
        memcpy(buf, &(uint16_t){htons(p->id)}, 2);
        reply(s, p->tcp, &p->client, p->clen, buf, (size_t)n);
        pending_end(p);
        return;
    }
    if (n >= 0) /* not its answer (or an error from the socket: the next server) */
        return;
    p->upstream++;
    if (!forward_next(s, p)) {
        servfail(s, p);
        pending_end(p);
    }
}

static void tcp_read(struct srv *s, int i)
{
    struct tconn *c = &s->tc[i];
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        tcp_close(c);
        return;
    }
    c->len += (size_t)n;
    if (c->len < 2)
        return;
    size_t want = (size_t)c->buf[0] << 8 | c->buf[1];
    if (want > MSG_MAX || want < DNS_HEADER) {
        tcp_close(c);
        return;
    }
    if (c->len >= 2 + want)
        handle(s, c->buf + 2, want, i, NULL, 0);
}

/* No live container left, checked under the directory's lock (a starter holds it while it
 * decides): the record goes and the responder ends, the lock released by its exit. */
static bool idle(struct srv *s)
{
    names_load(s, true);
    if (s->live)
        return false;
    if (flock(s->dfd, LOCK_EX) < 0)
        return false;
    names_load(s, true);
    if (s->live) {
        flock(s->dfd, LOCK_UN);
        return false;
    }
    json_t *j = ipam_entry_load(s->dfd, DNS_RECORD);
    if (j && json_integer_value(json_object_get(j, "Pid")) == getpid())
        unlinkat(s->dfd, DNS_RECORD, 0);
    json_decref(j);
    return true;
}

int dns_serve(const char *bridge, int udp, int tcp, const char *upstream, bool internal)
{
    static struct srv s;
    _cleanup_free_ char *dir = xasprintf("%s/%s", NETWORK_RUN_DIR, bridge);
    s.dir = dir;
    s.dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s.dfd < 0)
        return -errno;
    s.udp = udp;
    s.tcp = tcp;
    s.upstream = upstream;
    s.internal = internal;
    fcntl(udp, F_SETFL, O_NONBLOCK);
    fcntl(tcp, F_SETFL, O_NONBLOCK);
    for (size_t i = 0; i < MAX_PENDING; i++)
        s.pend[i].fd = -1;
    for (size_t i = 0; i < MAX_TCP; i++)
        s.tc[i].fd = -1;
    long long tick = now_ms() + TICK_MS;
    for (;;) {
        struct pollfd pf[2 + MAX_PENDING + MAX_TCP];
        int who[2 + MAX_PENDING + MAX_TCP]; /* pending i: i, tcp i: MAX_PENDING + i */
        nfds_t n = 2;
        pf[0] = (struct pollfd){.fd = udp, .events = POLLIN};
        pf[1] = (struct pollfd){.fd = tcp, .events = POLLIN};
        long long now = now_ms(), next = tick;
        for (int i = 0; i < MAX_PENDING; i++)
            if (s.pend[i].query) {
                who[n] = i;
                pf[n++] = (struct pollfd){.fd = s.pend[i].fd, .events = POLLIN};
                next = s.pend[i].deadline < next ? s.pend[i].deadline : next;
            }
        for (int i = 0; i < MAX_TCP; i++)
            if (s.tc[i].fd >= 0) {
                who[n] = MAX_PENDING + i;
                pf[n++] = (struct pollfd){.fd = s.tc[i].fd, .events = s.tc[i].waiting ? 0 : POLLIN};
                next = s.tc[i].deadline < next ? s.tc[i].deadline : next;
            }
        int r = poll(pf, n, next > now ? (int)(next - now) : 0);
        if (r < 0 && errno != EINTR)
            return -errno;
        now = now_ms();
        if (r > 0 && (pf[0].revents & POLLIN)) {
            uint8_t buf[MSG_MAX];
            for (int k = 0; k < 64; k++) { /* a burst, then the others' turn */
                struct sockaddr_storage a;
                socklen_t al = sizeof(a);
                ssize_t got = recvfrom(udp, buf, sizeof(buf), 0, (struct sockaddr *)&a, &al);
                if (got < 0)
                    break;
                handle(&s, buf, (size_t)got, -1, &a, al);
            }
        }
        if (r > 0 && (pf[1].revents & POLLIN)) {
            struct sockaddr_in peer = {0};
            socklen_t plen = sizeof(peer);
            int c = accept4(tcp, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC | SOCK_NONBLOCK);
            int slot = -1;
            for (int i = 0; c >= 0 && i < MAX_TCP && slot < 0; i++)
                if (s.tc[i].fd < 0)
                    slot = i;
            if (slot >= 0) {
                s.tc[slot].fd = c;
                s.tc[slot].len = 0;
                s.tc[slot].peer = peer.sin_addr;
                s.tc[slot].waiting = false;
                s.tc[slot].deadline = now + TCP_MS;
            } else if (c >= 0) {
                close(c);
            }
        }
        for (nfds_t k = 2; k < n; k++) {
            if (who[k] < MAX_PENDING) {
                struct pending *p = &s.pend[who[k]];
                if (!p->query)
                    continue;
                if (pf[k].revents)
                    upstream_answer(&s, p);
                if (p->query && p->deadline <= now) {
                    p->upstream++;
                    if (!forward_next(&s, p)) {
                        servfail(&s, p);
                        pending_end(p);
                    }
                }
            } else {
                struct tconn *c = &s.tc[who[k] - MAX_PENDING];
                if (c->fd >= 0 && pf[k].revents && !c->waiting)
                    tcp_read(&s, who[k] - MAX_PENDING);
                if (c->fd >= 0 && !c->waiting && c->deadline <= now)
                    tcp_close(c);
            }
        }
        if (now >= tick) {
            tick = now + TICK_MS;
            if (idle(&s))
                return 0;
        }
    }
}
