/* monitor.c — spawning a container's monitor, its setup of the container, and the exec into
 * hako-monitor (see monitor.h for the life of a monitor). */
#include "engine/monitor.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/attach-proto.h"
#include "engine/create.h"
#include "engine/embedded.h"
#include "engine/events.h"
#include "engine/health.h"
#include "engine/monitor-internal.h"
#include "engine/net/attach.h"
#include "runtime/checkpoint.h"
#include "engine/net/later.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

extern char **environ;

int monitor_exit_code(int wait_status)
{
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return WEXITSTATUS(wait_status);
}

/* Put the container's stdio in place as our fds 0-2 for the create (the init inherits them),
 * keeping our ends in l. With a terminal the runtime gives us the pty master instead. */
static int stdio_prepare(bool tty, bool open_stdin, struct launched *l, struct hk_error *err)
{
    l->out = l->err = l->in = -1;
    if (tty)
        return 0;
    int o[2], e[2], i[2] = {-1, -1};
    if (pipe2(o, O_CLOEXEC) < 0)
        return hk_error_errno(err, -errno, "pipe");
    if (pipe2(e, O_CLOEXEC) < 0 || (open_stdin && pipe2(i, O_CLOEXEC) < 0)) {
        close(o[0]);
        close(o[1]);
        return hk_error_errno(err, -errno, "pipe");
    }
    l->out = o[0];
    l->err = e[0];
    l->in = i[1];
    if (i[0] >= 0)
        dup2(i[0], 0);
    dup2(o[1], 1);
    dup2(e[1], 2);
    close(o[1]);
    close(e[1]);
    if (i[0] >= 0)
        close(i[0]);
    return 0;
}

/* Back to /dev/null on 0-2 once the init has its copies. */
static void stdio_restore(void)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++)
        dup2(null, fd);
    if (null > 2)
        close(null);
}

static void launched_close(struct launched *l)
{
    int fds[] = {l->out, l->err, l->in};
    for (size_t i = 0; i < ELEMENTSOF(fds); i++)
        if (fds[i] >= 0 && (i == 0 || fds[i] != l->out))
            close(fds[i]);
    l->out = l->err = l->in = -1;
}

/* Record the container running under this monitor; restored: brought back from a checkpoint
 * (State.Restored, the "restore" event) rather than started. */
static int record_running(const struct engine *e, const char *id, int pid, bool restored,
                          struct hk_error *err)
{
    struct record *r = NULL;
    int rc = record_open(e, id, true, &r, err);
    if (rc < 0)
        return rc;
    unsigned long long start = 0;
    char st;
    proc_start_time(getpid(), &start, &st);
    record_set_running(r->j, pid);
    health_reset(r->j);
    json_t *hk = json_object_get(r->j, "Hako");
    json_object_set_new(hk, "MonitorPid", json_integer(getpid()));
    json_object_set_new(hk, "MonitorStart", json_integer((json_int_t)start));
    json_object_set_new(hk, "ManualStop", json_false());
    json_t *state = json_object_get(r->j, "State");
    json_object_set_new(state, "Checkpointed", json_false());
    json_object_set_new(state, "Restored", json_boolean(restored));
    if (restored) {
        char now[64];
        json_object_set_new(state, "RestoredAt", json_string(rfc3339_now(now, sizeof(now))));
    }
    rc = record_save(r, err);
    if (rc == 0)
        engine_event(e, r->j, restored ? "restore" : "start", NULL);
    record_free(r);
    return rc;
}

int monitor_launch(const struct engine *e, const char *id, struct launched *l,
                   struct hk_error *err)
{
    struct record *rec = NULL;
    int r = record_open(e, id, false, &rec, err);
    if (r < 0)
        return r;
    const json_t *cfg = json_object_get(rec->j, "Config");
    l->tty = json_is_true(json_object_get(cfg, "Tty"));
    r = create_rejoin(e, rec->dir, json_object_get(rec->j, "HostConfig"), err);
    if (r == 0)
        r = stdio_prepare(l->tty, json_is_true(json_object_get(cfg, "OpenStdin")), l, err);
    struct create_opts co = {.bundle = rec->dir, .keep_console = l->tty};
    struct create_result res = {.pid = -1, .console_master = -1};
    if (r == 0)
        r = container_create_ex(&e->rt, id, &co, &res, err);
    stdio_restore();
    record_free(rec);
    if (r < 0) {
        launched_close(l);
        return r;
    }
    l->pid = res.pid;
    if (l->tty)
        l->out = l->in = res.console_master;
    r = net_attach(e, id, res.pid, err);
    bool attached = r == 0;
    if (r == 0)
        r = container_start(&e->rt, id, err);
    if (r == 0)
        r = record_running(e, id, res.pid, false, err);
    if (r == 0)
        r = net_connect_pending(e, id, err);
    if (r < 0) {
        if (attached)
            net_release_id(e, id);
        container_delete(&e->rt, id, true, NULL);
        waitpid(res.pid, NULL, 0);
        launched_close(l);
    }
    return r;
}

/* monitor_launch's twin for a checkpoint: CRIU rebuilds the process tree from the images as
 * our child, its stdio handed our new pipes in place of the ones it had at the dump. */
static int launch_restored(const struct engine *e, const char *id, const char *images,
                           struct launched *l, struct hk_error *err)
{
    struct record *rec = NULL;
    int r = record_open(e, id, false, &rec, err);
    if (r < 0)
        return r;
    const json_t *cfg = json_object_get(rec->j, "Config");
    l->tty = false; /* a container with a terminal is never checkpointed */
    int pid = -1;
    /* a dump that kept established connections needs the same at restore */
    bool tcp = json_is_true(
        json_object_get(json_object_get(rec->j, "Hako"), "CheckpointTCPEstablished"));
    struct restore_opts ro = {.c = {.image_path = images, .tcp_established = tcp},
                              .bundle = rec->dir,
                              .detach = true,
                              .ret_pid = &pid};
    r = stdio_prepare(false, json_is_true(json_object_get(cfg, "OpenStdin")), l, err);
    if (r == 0)
        r = container_restore(&e->rt, id, &ro, NULL, err);
    stdio_restore();
    record_free(rec);
    if (r < 0) {
        launched_close(l);
        return r;
    }
    l->pid = pid;
    r = net_attach(e, id, pid, err);
    bool attached = r == 0;
    if (r == 0)
        r = record_running(e, id, pid, true, err);
    if (r < 0) {
        if (attached)
            net_release_id(e, id);
        container_delete(&e->rt, id, true, NULL);
        waitpid(pid, NULL, 0);
        launched_close(l);
    }
    return r;
}

/* The listening attach socket, <dir>/attach.sock (bound through the directory's fd: the
 * path may be longer than sun_path allows). */
static int attach_listen(const char *dir)
{
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/attach.sock", dfd);
    unlink(a.sun_path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    if (fd < 0)
        return -errno;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

static void clear_cloexec(int fd)
{
    if (fd >= 0)
        fcntl(fd, F_SETFD, 0);
}

/* The healthcheck's intervals for hako-monitor, in milliseconds: interval, start interval,
 * start period (all 0: no healthcheck). */
static void health_args(const struct engine *e, const char *id, long ms[3])
{
    struct record *rec = NULL;
    struct health_config hc;
    ms[0] = ms[1] = ms[2] = 0;
    if (record_open(e, id, false, &rec, NULL) < 0)
        return;
    if (health_config_of(json_object_get(rec->j, "Config"), &hc)) {
        ms[0] = (long)(hc.interval / 1000000);
        ms[1] = (long)(hc.start_interval / 1000000);
        ms[2] = (long)(hc.start_period / 1000000);
        for (int i = 0; i < 2; i++)
            ms[i] = ms[i] > 0 ? ms[i] : 1;
    }
    record_free(rec);
}

_noreturn_ void monitor_relay(const struct engine *e, const char *id, struct launched *l,
                              int client)
{
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_free_ char *log = xasprintf("%s/%s-json.log", dir, id);
    int log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0640);
    int listen_fd = attach_listen(dir);
    int hako_fd = open("/proc/self/exe", O_RDONLY);
    int tiny = embedded_monitor_fd(NULL);
    int fds[] = {l->out, l->err, l->in, client};
    for (size_t i = 0; i < ELEMENTSOF(fds); i++)
        clear_cloexec(fds[i]);
    long health[3];
    health_args(e, id, health);
    char a[12][24];
    long v[] = {l->pid, hako_fd, l->out, l->err, l->in, listen_fd, log_fd, client, l->tty ? 1 : 0,
                health[0], health[1], health[2]};
    char *argv[40] = {"hako-monitor"};
    size_t n = 1;
    for (size_t i = 0; i < ELEMENTSOF(v); i++) {
        snprintf(a[i], sizeof(a[i]), "%ld", v[i]);
        argv[n++] = a[i];
    }
    /* -- the probe's command (when there is a healthcheck) -- the exit's */
    char *common[] = {"hako", "--root", e->root, "--runroot", e->runroot};
    argv[n++] = "--";
    if (health[0]) {
        memcpy(argv + n, common, sizeof(common));
        n += ELEMENTSOF(common);
        argv[n++] = "health-probe";
        argv[n++] = (char *)id;
    }
    argv[n++] = "--";
    memcpy(argv + n, common, sizeof(common));
    n += ELEMENTSOF(common);
    argv[n++] = "monitor-exit";
    argv[n++] = (char *)id;
    argv[n] = NULL;
    if (tiny >= 0 && hako_fd >= 0)
        syscall(SYS_execveat, tiny, "", argv, environ, AT_EMPTY_PATH);
    /* No relay: the container must not run unwatched. */
    log_error("monitor: cannot run hako-monitor: %m");
    container_kill(&e->rt, id, SIGKILL, true, NULL);
    _exit(125);
}

/* The monitor process: set the container up, report to the starter over conn, relay. It
 * holds the start lock (lock, or -1) until the record says how the launch went, so a starter
 * killed meanwhile does not let an rm or another start in on a half-started container. */
_noreturn_ static void monitor_main(const struct engine *e, const char *id, int conn, int lock,
                                    bool attach, const char *images)
{
    struct hk_error err = {0};
    struct launched l = {0};
    int r = images ? launch_restored(e, id, images, &l, &err) : monitor_launch(e, id, &l, &err);
    if (r < 0)
        monitor_record_failure(e, id, &err);
    if (lock >= 0)
        close(lock);
    if (r < 0) {
        char buf[ATTACH_MSG_MAX];
        int n = snprintf(buf, sizeof(buf), "%c%d %s", ATTACH_FAIL, -r, hk_error_msg(&err));
        send(conn, buf, (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1), MSG_NOSIGNAL);
        _exit(1);
    }
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%c%d", ATTACH_STARTED, l.pid);
    send(conn, buf, (size_t)n, MSG_NOSIGNAL);
    if (!attach) {
        close(conn);
        conn = -1;
    }
    monitor_relay(e, id, &l, conn);
    _exit(125);
}

/* The monitor's process setup: own session, /dev/null stdio, no fd of the starter but conn
 * (moved to 3) and the start lock (moved to 4, when lock >= 0), SIGCHLD and SIGPIPE blocked
 * (hako-monitor takes SIGCHLD from a signalfd; the runtime's init clears its mask before the
 * container's program runs). */
static int detach_self(int conn, int lock)
{
    setsid();
    if (chdir("/") < 0)
        return -errno;
    stdio_restore();
    if (lock >= 0 && (lock = fcntl(lock, F_DUPFD_CLOEXEC, 10)) < 0)
        return -errno;
    if (conn != 3) {
        if (dup3(conn, 3, O_CLOEXEC) < 0)
            return -errno;
    }
    if (lock >= 0 && dup3(lock, 4, O_CLOEXEC) < 0)
        return -errno;
    syscall(SYS_close_range, lock >= 0 ? 5 : 4, ~0U, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGPIPE);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    prctl(PR_SET_DUMPABLE, 0);
    return 0;
}

static int read_report(int fd, int *ret_pid, struct hk_error *err)
{
    char buf[ATTACH_MSG_MAX + 1];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return hk_error_set(err, -EPIPE, "the container's monitor exited during setup");
    buf[n] = '\0';
    if (buf[0] == ATTACH_STARTED) {
        *ret_pid = atoi(buf + 1);
        return 0;
    }
    if (buf[0] != ATTACH_FAIL)
        return hk_error_set(err, -EPROTO, "unexpected message from the monitor");
    char *sp = strchr(buf + 1, ' ');
    int code = atoi(buf + 1);
    return hk_error_set(err, code > 0 ? -code : -EIO, "%s", sp ? sp + 1 : "unknown error");
}

/* Spawn the monitor, which launches the container (images NULL) or restores it. */
static int spawn(const struct engine *e, const char *id, int start_lock, const char *images,
                 int *ret_conn, int *ret_pid, struct hk_error *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return hk_error_errno(err, -errno, "socketpair");
    fflush(stdout);
    fflush(stderr);
    pid_t mid = fork();
    if (mid < 0) {
        close(sv[0]);
        close(sv[1]);
        return hk_error_errno(err, -errno, "fork");
    }
    if (mid == 0) {
        close(sv[0]);
        if (fork() != 0)
            _exit(0);
        if (detach_self(sv[1], start_lock) < 0)
            _exit(125);
        monitor_main(e, id, 3, start_lock >= 0 ? 4 : -1, ret_conn != NULL, images);
    }
    close(sv[1]);
    waitpid(mid, NULL, 0);
    int pid = 0;
    int r = read_report(sv[0], &pid, err);
    if (r < 0 || !ret_conn)
        close(sv[0]);
    else
        *ret_conn = sv[0];
    if (r == 0 && ret_pid)
        *ret_pid = pid;
    return r;
}

int monitor_start(const struct engine *e, const char *id, int start_lock, int *ret_conn,
                  int *ret_pid, struct hk_error *err)
{
    return spawn(e, id, start_lock, NULL, ret_conn, ret_pid, err);
}

int monitor_restore(const struct engine *e, const char *id, int start_lock, const char *images,
                    int *ret_pid, struct hk_error *err)
{
    return spawn(e, id, start_lock, images, NULL, ret_pid, err);
}
