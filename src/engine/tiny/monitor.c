/* hako-monitor — the relay loop of a container's monitor, freestanding (see sys.h).
 *
 * hako sets the container up in the monitor process (engine/monitor.c), then execs this
 * program in the same process, so it stays the parent of the container's init while using a
 * few pages of memory. It:
 *   - reads the container's stdout/stderr (pipes) or its terminal (the pty master),
 *   - writes docker's json-file log lines ({"log":…,"stream":…,"time":…}) to the log fd,
 *   - serves attach clients on the listening unix socket (attach-proto.h),
 *   - passes client stdin and window sizes to the container,
 *   - runs the healthcheck: PROBE_ARGV (`hako health-probe ID`, engine/health.h) every
 *     interval after the last probe ended (the start interval while the status is starting in
 *     the start period); its exit status is the health status,
 *   - reaps the init (SIGCHLD through a signalfd) and, once its output is drained, execs hako
 *     again for what comes after the exit (recording, --rm, restart), handing over the wait
 *     status and the attached clients.
 *
 * argv: PID HAKO_FD OUT_FD ERR_FD IN_FD LISTEN_FD LOG_FD CLIENT_FD FLAGS INTERVAL_MS
 * START_INTERVAL_MS START_PERIOD_MS -- PROBE_ARGV... -- HAKO_ARGV... (fds are -1 when absent;
 * FLAGS bit 1: terminal; INTERVAL_MS 0 and no PROBE_ARGV: no healthcheck). hako is run as
 * HAKO_ARGV... STATUS CLIENTS where CLIENTS is a comma-separated fd list or "-". */
#include "engine/tiny/sys.h"

#include "engine/attach-proto.h"

#define MAX_CLIENTS 16
#define LINE_MAX_ 8192
#define FLAG_TTY 1

struct stream {
    int fd;
    const char *name;  /* "stdout" / "stderr" */
    char type;         /* ATTACH_OUT / ATTACH_ERR */
    size_t n;          /* bytes in line */
    char line[LINE_MAX_];
};

struct client {
    int fd;
    int want;
};

static struct stream streams[2];
static struct client clients[MAX_CLIENTS];
static int log_fd = -1, in_fd = -1, listen_fd = -1, tty;
static char pending[ATTACH_MSG_MAX + 1];
static size_t pending_n, pending_off;
static int in_eof_requested;
static char msg[ATTACH_MSG_MAX + 1];
static char enc[LINE_MAX_ * 6 + 128];

/* the healthcheck (times in CLOCK_MONOTONIC milliseconds) */
static long h_interval, h_start_interval, h_start_period, h_started, h_next = -1;
static int h_status, h_pid = -1, hako_fd;
static char **probe_argv, **envp_;

/* --- json-file log ---------------------------------------------------------------------- */

/* days since 1970-01-01 → civil date (Howard Hinnant's algorithm). */
static void civil(long z, long *y, unsigned *m, unsigned *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long yy = (long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static size_t pad(char *p, unsigned long v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return (size_t)width;
}

/* "2006-01-02T15:04:05.000000000Z" (30 characters). */
static size_t fmt_time(char *p)
{
    struct timespec_ ts;
    sys2(NR_clock_gettime, 0, &ts);
    long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400, y;
    unsigned m, d;
    civil(days, &y, &m, &d);
    char *s = p;
    s += pad(s, (unsigned long)y, 4);
    *s++ = '-';
    s += pad(s, m, 2);
    *s++ = '-';
    s += pad(s, d, 2);
    *s++ = 'T';
    s += pad(s, (unsigned long)secs / 3600, 2);
    *s++ = ':';
    s += pad(s, (unsigned long)secs / 60 % 60, 2);
    *s++ = ':';
    s += pad(s, (unsigned long)secs % 60, 2);
    *s++ = '.';
    s += pad(s, (unsigned long)ts.tv_nsec, 9);
    *s++ = 'Z';
    return (size_t)(s - p);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (p[0] >= 0xf5 || len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((len == 3 && p[0] == 0xe0 && p[1] < 0xa0) || (len == 3 && p[0] == 0xed && p[1] >= 0xa0) ||
        (len == 4 && p[0] == 0xf0 && p[1] < 0x90) || (len == 4 && p[0] == 0xf4 && p[1] >= 0x90))
        return 0;
    return len;
}

/* JSON string body of data (invalid UTF-8 becomes U+FFFD, as Go's encoder does). */
static size_t json_escape(char *o, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *p = o;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            *p++ = '\\';
            *p++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
        } else if (c >= 0x80) {
            size_t l = utf8_len(s + i, n - i);
            if (l == 0) {
                memcpy(p, "\\ufffd", 6);
                p += 6;
                i++;
                continue;
            }
            memcpy(p, s + i, l);
            p += l;
            i += l;
            continue;
        } else {
            *p++ = (char)c;
        }
        i++;
    }
    return (size_t)(p - o);
}

static void log_line(struct stream *st)
{
    if (st->n == 0)
        return;
    if (log_fd >= 0) {
        char *p = enc;
        memcpy(p, "{\"log\":\"", 8);
        p += 8;
        p += json_escape(p, (const unsigned char *)st->line, st->n);
        memcpy(p, "\",\"stream\":\"", 12);
        p += 12;
        memcpy(p, st->name, 6);
        p += 6;
        memcpy(p, "\",\"time\":\"", 10);
        p += 10;
        p += fmt_time(p);
        memcpy(p, "\"}\n", 3);
        p += 3;
        write_all(log_fd, enc, (size_t)(p - enc));
    }
    st->n = 0;
}

static void log_data(struct stream *st, const char *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        st->line[st->n++] = data[i];
        if (data[i] == '\n' || st->n == LINE_MAX_)
            log_line(st);
    }
}

/* --- clients ------------------------------------------------------------------------------ */

static void drop_client(int i)
{
    sys1(NR_close, clients[i].fd);
    clients[i].fd = -1;
}

static void add_client(int fd)
{
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].fd < 0) {
            clients[i].fd = fd;
            clients[i].want = ATTACH_STDIN | ATTACH_STDOUT | ATTACH_STDERR;
            return;
        }
    sys1(NR_close, fd);
}

/* One message to one client; a client that cannot take it within a second is dropped. */
static void send_to(int i, const char *m, size_t n)
{
    for (int tries = 0; tries < 2; tries++) {
        long r = sys6(NR_sendto, clients[i].fd, (long)m, (long)n, MSG_DONTWAIT_ | MSG_NOSIGNAL_, 0, 0);
        if (r >= 0)
            return;
        if (r != -E_AGAIN)
            break;
        struct pollfd_ p = {.fd = clients[i].fd, .events = POLLOUT_};
        struct timespec_ t = {1, 0};
        sys5(NR_ppoll, &p, 1, &t, 0, 8);
    }
    drop_client(i);
}

static void broadcast(char type, const char *data, size_t n)
{
    int want = type == ATTACH_OUT ? ATTACH_STDOUT : ATTACH_STDERR;
    msg[0] = type;
    memcpy(msg + 1, data, n);
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].fd >= 0 && (clients[i].want & want))
            send_to(i, msg, n + 1);
}

static void close_stdin(void)
{
    if (in_fd >= 0 && !tty) {
        sys1(NR_close, in_fd);
        in_fd = -1;
    }
    pending_n = pending_off = 0;
}

static void client_message(int i)
{
    long n = sys6(NR_recvfrom, clients[i].fd, (long)msg, sizeof(msg), MSG_DONTWAIT_, 0, 0);
    if (n == -E_AGAIN || n == -E_INTR)
        return;
    if (n <= 0) {
        drop_client(i);
        return;
    }
    switch (msg[0]) {
    case ATTACH_HELLO:
        if (n >= 2)
            clients[i].want = msg[1];
        break;
    case ATTACH_IN:
        if (in_fd >= 0 && (clients[i].want & ATTACH_STDIN) && n > 1) {
            memcpy(pending, msg + 1, (size_t)n - 1);
            pending_n = (size_t)n - 1;
            pending_off = 0;
        }
        break;
    case ATTACH_IN_EOF:
        if (clients[i].want & ATTACH_STDIN) {
            if (pending_n)
                in_eof_requested = 1;
            else
                close_stdin();
        }
        break;
    case ATTACH_RESIZE:
        if (tty && in_fd >= 0 && n >= 5) {
            unsigned short ws[4] = {0};
            ws[0] = (unsigned short)((unsigned char)msg[1] | (unsigned char)msg[2] << 8);
            ws[1] = (unsigned short)((unsigned char)msg[3] | (unsigned char)msg[4] << 8);
            sys3(NR_ioctl, in_fd, TIOCSWINSZ_, ws);
        }
        break;
    }
}

static void flush_stdin(void)
{
    long w = sys3(NR_write, in_fd, pending + pending_off, pending_n - pending_off);
    if (w == -E_AGAIN || w == -E_INTR)
        return;
    if (w < 0) {
        close_stdin();
        return;
    }
    pending_off += (size_t)w;
    if (pending_off == pending_n) {
        pending_n = pending_off = 0;
        if (in_eof_requested)
            close_stdin();
    }
}

/* --- the healthcheck ---------------------------------------------------------------------- */

static long now_ms(void)
{
    struct timespec_ ts;
    sys2(NR_clock_gettime, CLOCK_MONOTONIC_, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void probe_schedule(void)
{
    long now = now_ms();
    int starting = h_status == 0 && now - h_started < h_start_period;
    h_next = now + (starting ? h_start_interval : h_interval);
}

/* Run PROBE_ARGV as our child with no fd of ours but 0-2 and an empty signal mask. */
static void probe_spawn(void)
{
    h_next = -1;
    long pid = sys2(NR_clone, SIG_CHLD, 0);
    if (pid == 0) {
        u64 none = 0;
        sys4(NR_rt_sigprocmask, SIG_SETMASK_, &none, 0, 8);
        if (hako_fd > 3)
            sys3(NR_close_range, 3, hako_fd - 1, 0);
        sys3(NR_close_range, hako_fd + 1, ~0U, 0);
        sys5(NR_execveat, hako_fd, "", probe_argv, envp_, AT_EMPTY_PATH_);
        die(127);
    }
    h_pid = pid > 0 ? (int)pid : -1;
    if (pid < 0)
        probe_schedule();
}

/* A probe exited with wait status s: 0 starting, 1 healthy, 2 unhealthy (else unchanged). */
static void probe_done(int s)
{
    int code = (s & 0x7f) == 0 ? (s >> 8) & 0xff : -1;
    if (code >= 0 && code <= 2)
        h_status = code;
    h_pid = -1;
    probe_schedule();
}

/* --- the loop ----------------------------------------------------------------------------- */

static char buf[ATTACH_MSG_MAX];

/* Read what a stream has; on its end (EOF, or EIO from a pty whose slave is closed) close it. */
static int pump(struct stream *st)
{
    long n = sys3(NR_read, st->fd, buf, sizeof(buf));
    if (n == -E_AGAIN || n == -E_INTR)
        return 0;
    if (n <= 0) {
        log_line(st);
        if (st->fd != in_fd)
            sys1(NR_close, st->fd);
        st->fd = -1;
        return 0;
    }
    log_data(st, buf, (size_t)n);
    broadcast(st->type, buf, (size_t)n);
    return 1;
}

static int reap(int pid, int *status)
{
    int exited = 0;
    for (;;) {
        int s = 0;
        long r = sys4(NR_wait4, -1, &s, WNOHANG_, 0);
        if (r <= 0)
            return exited;
        if (r == pid) {
            *status = s;
            exited = 1;
        } else if (r == h_pid) {
            probe_done(s);
        }
    }
}

/* Poll until the init exits and its output is drained. Returns its wait status. */
static int relay(int pid, int sigfd)
{
    struct pollfd_ p[4 + MAX_CLIENTS];
    int status = 0, exited = 0;
    for (;;) {
        int n = 0, idx_sig = -1, idx_listen = -1, idx_in = -1, idx_st[2] = {-1, -1};
        int idx_cl[MAX_CLIENTS];
        if (!exited) {
            idx_sig = n;
            p[n++] = (struct pollfd_){.fd = sigfd, .events = POLLIN_};
        }
        for (int s = 0; s < 2; s++)
            if (streams[s].fd >= 0) {
                idx_st[s] = n;
                p[n++] = (struct pollfd_){.fd = streams[s].fd, .events = POLLIN_};
            }
        if (!exited && listen_fd >= 0) {
            idx_listen = n;
            p[n++] = (struct pollfd_){.fd = listen_fd, .events = POLLIN_};
        }
        if (pending_n && in_fd >= 0) {
            idx_in = n;
            p[n++] = (struct pollfd_){.fd = in_fd, .events = POLLOUT_};
        }
        for (int i = 0; i < MAX_CLIENTS; i++) {
            idx_cl[i] = -1;
            if (clients[i].fd >= 0 && !exited && !pending_n) {
                idx_cl[i] = n;
                p[n++] = (struct pollfd_){.fd = clients[i].fd, .events = POLLIN_};
            }
        }
        if (exited && idx_st[0] < 0 && idx_st[1] < 0)
            return status;
        /* After the exit, output still buffered is drained; a pty whose last holder is gone
         * reports EIO at once, but a pipe kept open by a stray process must not hold us. */
        struct timespec_ t = {0, 300 * 1000 * 1000};
        struct timespec_ *tp = exited ? &t : 0;
        if (!exited && h_next >= 0) {
            long left = h_next - now_ms();
            t = (struct timespec_){left > 0 ? left / 1000 : 0, left > 0 ? left % 1000 * 1000000 : 0};
            tp = &t;
        }
        long r = sys5(NR_ppoll, p, n, tp, 0, 8);
        if (r == 0 && exited)
            return status;
        if (!exited && h_next >= 0 && now_ms() >= h_next)
            probe_spawn();
        if (r <= 0)
            continue;
        int got = 0;
        for (int s = 0; s < 2; s++)
            if (idx_st[s] >= 0 && p[idx_st[s]].revents)
                got |= pump(&streams[s]);
        if (idx_sig >= 0 && p[idx_sig].revents) {
            struct signalfd_siginfo_ si;
            sys3(NR_read, sigfd, &si, sizeof(si));
            exited = reap(pid, &status);
        }
        if (idx_listen >= 0 && (p[idx_listen].revents & POLLIN_)) {
            long c = sys4(NR_accept4, listen_fd, 0, 0, 0);
            if (c >= 0)
                add_client((int)c);
        }
        if (idx_in >= 0 && p[idx_in].revents)
            flush_stdin();
        for (int i = 0; i < MAX_CLIENTS; i++)
            if (idx_cl[i] >= 0 && p[idx_cl[i]].revents && clients[i].fd >= 0)
                client_message(i);
        (void)got;
    }
}

static long arg(char **argv, int i)
{
    int ok;
    long v = parse_long(argv[i], &ok);
    if (!ok) {
        say("hako-monitor: bad argument\n");
        die(125);
    }
    return v;
}

/* Exec hako for the rest: HAKO_ARGV... STATUS CLIENTS. */
_Noreturn static void hand_over(int hako_fd, char **rest, char **envp, int status)
{
    static char st[24], cl[MAX_CLIENTS * 12 + 2];
    static char *argv[64];
    int n = 0;
    for (; rest[n] && n < 60; n++)
        argv[n] = rest[n];
    st[fmt_ulong(st, (unsigned long)(unsigned)status)] = 0;
    size_t k = 0;
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].fd >= 0) {
            if (k)
                cl[k++] = ',';
            k += fmt_ulong(cl + k, (unsigned long)clients[i].fd);
        }
    if (!k)
        cl[k++] = '-';
    cl[k] = 0;
    argv[n++] = st;
    argv[n++] = cl;
    argv[n] = 0;
    sys5(NR_execveat, hako_fd, "", argv, envp, AT_EMPTY_PATH_);
    say("hako-monitor: cannot exec hako for the exit\n");
    die(125);
}

void tiny_main(long *sp);
__attribute__((used)) void tiny_main(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    if (argc < 16 || !sprefix(argv[13], "--")) {
        say("hako-monitor: started by hand? it is run by hako\n");
        die(125);
    }
    int pid = (int)arg(argv, 1);
    hako_fd = (int)arg(argv, 2);
    int out_fd = (int)arg(argv, 3), err_fd = (int)arg(argv, 4);
    in_fd = (int)arg(argv, 5);
    listen_fd = (int)arg(argv, 6);
    log_fd = (int)arg(argv, 7);
    int client = (int)arg(argv, 8);
    tty = (int)arg(argv, 9) & FLAG_TTY;
    h_interval = arg(argv, 10);
    h_start_interval = arg(argv, 11);
    h_start_period = arg(argv, 12);
    int rest = 14;
    while (rest < argc && !(argv[rest][0] == '-' && argv[rest][1] == '-' && !argv[rest][2]))
        rest++;
    if (rest >= argc) {
        say("hako-monitor: bad argument\n");
        die(125);
    }
    argv[rest++] = 0; /* PROBE_ARGV ends here */
    probe_argv = argv + 14;
    envp_ = envp;
    for (int i = 0; i < MAX_CLIENTS; i++)
        clients[i].fd = -1;
    if (client >= 0)
        add_client(client);
    streams[0] = (struct stream){.fd = out_fd, .name = "stdout", .type = ATTACH_OUT};
    streams[1] = (struct stream){.fd = err_fd, .name = "stderr", .type = ATTACH_ERR};
    int fds[] = {out_fd, err_fd, in_fd};
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            sys3(NR_fcntl, fds[i], F_SETFL_, sys2(NR_fcntl, fds[i], F_GETFL_) | O_NONBLOCK_);
    u64 mask = sigbit(SIG_CHLD);
    sys4(NR_rt_sigprocmask, SIG_BLOCK_, &mask, 0, 8);
    long sigfd = sys4(NR_signalfd4, -1, &mask, 8, O_CLOEXEC_);
    if (sigfd < 0) {
        say("hako-monitor: signalfd failed\n");
        die(125);
    }
    if (h_interval > 0 && probe_argv[0]) {
        h_started = now_ms();
        probe_schedule();
    }
    int status = relay(pid, (int)sigfd);
    sys1(NR_close, sigfd);
    for (int s = 0; s < 2; s++)
        log_line(&streams[s]);
    if (listen_fd >= 0)
        sys1(NR_close, listen_fd);
    if (in_fd >= 0)
        sys1(NR_close, in_fd);
    if (log_fd >= 0)
        sys1(NR_close, log_fd);
    hand_over(hako_fd, argv + rest, envp, status);
}
