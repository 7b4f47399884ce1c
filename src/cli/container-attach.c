/* container-attach.c — the client end of a container's attach socket: our terminal or stdio
 * relayed to the container until it exits (`run` without -d, `start -a`, `attach`). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "engine/attach.h"
#include "engine/lifecycle.h"
#include "engine/options.h"
#include "util/fs.h"
#include "util/json.h"

struct relay {
    const struct engine *e;
    const char *id;
    int conn, sigfd;
    bool tty, with_stdin, stdin_open;
    size_t matched; /* how much of the detach sequence the last keys typed */
    int code;
    bool done, detached;
};

/* --detach-keys (docker's default ctrl-p,ctrl-q) and --sig-proxy, for the next relay. */
static unsigned char detach_keys[16] = {0x10, 0x11};
static size_t n_detach_keys = 2;
static bool sig_proxy = true;

int cli_attach_detach_keys(const char *spec)
{
    unsigned char keys[16];
    size_t n = 0;
    _cleanup_free_ char *copy = xstrdup(spec);
    char *save = NULL;
    bool ok = spec[0] != '\0';
    for (char *k = strtok_r(copy, ",", &save); ok && k; k = strtok_r(NULL, ",", &save)) {
        if (n >= sizeof(keys))
            ok = false;
        else if (strlen(k) == 1)
            keys[n++] = (unsigned char)k[0];
        else if (strncmp(k, "ctrl-", 5) == 0 && strlen(k) == 6) {
            static const char sym[] = "@[\\]^_";
            char c = k[5];
            if (c >= 'a' && c <= 'z')
                keys[n++] = (unsigned char)(c - 'a' + 1);
            else if (strchr(sym, c))
                keys[n++] = (unsigned char)(c == '@' ? 0 : 27 + (strchr(sym, c) - sym) - 1);
            else
                ok = false;
        } else
            ok = false;
    }
    if (!ok || !n) {
        cli_error("Invalid detach keys (%s) provided", spec);
        return 125;
    }
    memcpy(detach_keys, keys, n);
    n_detach_keys = n;
    return 0;
}

void cli_attach_sig_proxy(bool on)
{
    sig_proxy = on;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void send_size(struct relay *r)
{
    struct winsize ws;
    if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row)
        attach_resize(r->conn, ws.ws_row, ws.ws_col);
}

/* A message from the monitor. */
static void from_monitor(struct relay *r)
{
    char buf[ATTACH_MSG_MAX + 2];
    ssize_t n = recv(r->conn, buf, sizeof(buf) - 1, 0);
    if (n < 0 && errno == EINTR)
        return;
    if (n <= 0) {
        r->done = true; /* the monitor went away without a status */
        r->code = 125;
        fprintf(stderr, "hako: lost the connection to the container's monitor\n");
        return;
    }
    buf[n] = '\0';
    if (buf[0] == ATTACH_OUT)
        write_all(STDOUT_FILENO, buf + 1, (size_t)n - 1);
    else if (buf[0] == ATTACH_ERR)
        write_all(STDERR_FILENO, buf + 1, (size_t)n - 1);
    else if (buf[0] == ATTACH_EXIT) {
        r->code = atoi(buf + 1);
        r->done = true;
    }
}

/* Our stdin to the container; the detach keys on a terminal detach (what matches them is held
 * back until it is known not to be the sequence, as docker's escape proxy). */
static void from_stdin(struct relay *r)
{
    char buf[ATTACH_MSG_MAX];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        attach_send(r->conn, ATTACH_IN_EOF, NULL, 0);
        r->stdin_open = false;
        return;
    }
    if (!r->tty) {
        attach_send(r->conn, ATTACH_IN, buf, (size_t)n);
        return;
    }
    char out[ATTACH_MSG_MAX + sizeof(detach_keys)];
    size_t o = 0;
    for (ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == detach_keys[r->matched]) {
            if (++r->matched == n_detach_keys) {
                r->detached = r->done = true;
                return;
            }
            continue;
        }
        memcpy(out + o, detach_keys, r->matched); /* not the sequence: what was held goes */
        o += r->matched;
        r->matched = 0;
        if (c == detach_keys[0]) {
            r->matched = 1;
            continue;
        }
        out[o++] = (char)c;
        if (o >= ATTACH_MSG_MAX) {
            attach_send(r->conn, ATTACH_IN, out, o);
            o = 0;
        }
    }
    if (o)
        attach_send(r->conn, ATTACH_IN, out, o);
}

static void on_signal(struct relay *r)
{
    struct signalfd_siginfo si;
    if (read(r->sigfd, &si, sizeof(si)) != sizeof(si))
        return;
    if (si.ssi_signo == SIGWINCH)
        send_size(r);
    else /* sig-proxy: the container gets what we got */
        engine_kill(r->e, r->id, (int)si.ssi_signo, NULL);
}

static void relay_loop(struct relay *r)
{
    while (!r->done) {
        struct pollfd p[3] = {{.fd = r->conn, .events = POLLIN},
                              {.fd = r->sigfd, .events = POLLIN},
                              {.fd = r->stdin_open ? STDIN_FILENO : -1, .events = POLLIN}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents)
            from_monitor(r);
        else if (p[1].revents)
            on_signal(r);
        else if (p[2].revents)
            from_stdin(r);
    }
}

int cli_attach_relay(const struct engine *e, const char *id, int conn, bool tty, bool with_stdin,
                     int *ret_code)
{
    struct relay r = {.e = e, .id = id, .conn = conn, .tty = tty, .with_stdin = with_stdin,
                      .stdin_open = with_stdin, .sigfd = -1};
    unsigned char want = ATTACH_STDOUT | ATTACH_STDERR | (with_stdin ? ATTACH_STDIN : 0);
    attach_send(conn, ATTACH_HELLO, &want, 1);
    sigset_t set, old;
    sigemptyset(&set);
    if (tty) {
        sigaddset(&set, SIGWINCH);
    } else if (sig_proxy) {
        int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
        for (size_t i = 0; i < ELEMENTSOF(fwd); i++)
            sigaddset(&set, fwd[i]);
    }
    sigprocmask(SIG_BLOCK, &set, &old);
    r.sigfd = signalfd(-1, &set, SFD_CLOEXEC);
    struct termios saved;
    bool raw = tty && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
    }
    if (tty)
        send_size(&r);
    relay_loop(&r);
    if (raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (r.sigfd >= 0)
        close(r.sigfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(conn);
    *ret_code = r.detached ? 0 : r.code;
    return 0;
}

int cmd_attach(int argc, char **argv)
{
    static const struct option opts[] = {
        {"no-stdin", no_argument, NULL, 'n'}, {"sig-proxy", required_argument, NULL, 's'},
        {"detach-keys", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
    };
    bool no_stdin = false, proxy = true;
    int c, krc;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+", opts)) != -1) {
        if (c == 'n')
            no_stdin = true;
        else if (c == 'k' && (krc = cli_attach_detach_keys(optarg)))
            return krc;
        else if (c == 's' && opt_parse_bool(optarg, &proxy) < 0)
            return cli_usage_error("attach", "invalid argument \"%s\" for \"--sig-proxy\" "
                                             "flag: strconv.ParseBool: parsing \"%s\": invalid "
                                             "syntax", optarg, optarg);
        else if (c == 's')
            cli_attach_sig_proxy(proxy);
        else if (c == 'h') {
            printf("Usage: hako attach [OPTIONS] CONTAINER\n\n"
                   "Attach local standard input, output, and error streams to a running "
                   "container\n\n"
                   "Options:\n"
                   "      --detach-keys KEYS  Override the key sequence for detaching a "
                   "container (ctrl-p,ctrl-q)\n"
                   "      --no-stdin          Do not attach STDIN\n"
                   "      --sig-proxy BOOL    Proxy all received signals to the process "
                   "(default true)\n");
            return 0;
        } else if (c != 'k')
            return cli_unknown_flag("attach", argc, argv);
    }
    if (argc - optind != 1)
        return cli_usage_error("attach", "\"hako attach\" requires exactly 1 argument.");
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    _cleanup_free_ char *id = NULL;
    if (rc == 0)
        rc = cli_resolve(e, argv[optind], &id);
    struct record *rec = NULL;
    struct hk_error err = {0};
    if (rc == 0 && record_open(e, id, true, &rec, &err) < 0)
        rc = cli_fail(&err, 125);
    if (rc == 0) {
        record_refresh(e, rec);
        const json_t *cfg = json_object_get(rec->j, "Config");
        bool tty = json_is_true(json_object_get(cfg, "Tty"));
        bool in = !no_stdin && json_is_true(json_object_get(cfg, "OpenStdin"));
        bool running = strcmp(record_status(rec->j), "running") == 0;
        _cleanup_free_ char *dir = xstrdup(rec->dir);
        rec = record_free(rec);
        int conn = -1;
        if (!running) {
            fprintf(stderr, "hako: You cannot attach to a stopped container, start it first\n");
            rc = cli_op_error();
        } else if (attach_connect(dir, &conn, &err) < 0) {
            rc = cli_fail(&err, 125);
        } else if (cli_attach_relay(e, id, conn, tty, in, &rc) < 0) {
            rc = 125;
        }
    }
    record_free(rec);
    engine_free(e);
    return rc;
}
