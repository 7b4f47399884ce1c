#include "runtime/console.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/sync.h"
#include "util/fs.h"
#include "util/path.h"

int console_open_pty(const struct oci_process *p, int *ret_master, int *ret_slave,
                     struct hk_error *err)
{
    _cleanup_close_ int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 && errno == ENOENT)
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return hk_error_errno(err, -errno, "open the container's /dev/pts/ptmx");
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
        return hk_error_errno(err, -errno, "unlock pty");
    /* TIOCGPTPEER opens the slave through the master, with no path lookup to race. */
    _cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return hk_error_errno(err, -errno, "open pty slave");
    if (p->has_console_size) {
        struct winsize ws = {.ws_row = (unsigned short)p->console_height,
                             .ws_col = (unsigned short)p->console_width};
        if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
            return hk_error_errno(err, -errno, "process.consoleSize: set window size");
    }
    *ret_master = TAKE_FD(master);
    *ret_slave = TAKE_FD(slave);
    return 0;
}

/* /dev/console: an empty file bind-mounted from the slave. The image's /dev is untrusted: a
 * symlink anywhere on the path is refused (CVE-2025-52565). */
static int bind_dev_console(int slave, struct hk_error *err)
{
    _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int dst = open_in_root(root, "/dev/console", O_PATH, 0, RESOLVE_NO_SYMLINKS);
    if (dst == -ENOENT) {
        _cleanup_close_ int dev = open_in_root(root, "/dev", O_RDONLY | O_DIRECTORY, 0,
                                               RESOLVE_NO_SYMLINKS);
        if (dev < 0)
            return hk_error_errno(err, dev, "/dev/console: open /dev");
        _cleanup_close_ int f = openat(dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
                                                           O_CLOEXEC, 0600);
        if (f < 0)
            return hk_error_errno(err, -errno, "create /dev/console");
        dst = open_in_root(root, "/dev/console", O_PATH, 0, RESOLVE_NO_SYMLINKS);
    }
    if (dst == -ELOOP)
        return hk_error_set(err, -ELOOP, "'/dev/console' is a symlink in the rootfs: refusing to "
                                         "bind the terminal there");
    if (dst < 0)
        return hk_error_errno(err, dst, "/dev/console");
    _cleanup_close_ int tree = open_tree(slave, "", OPEN_TREE_CLONE | AT_EMPTY_PATH |
                                                        OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return hk_error_errno(err, -errno, "/dev/console: open_tree of the pty");
    if (move_mount(tree, "", dst, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return hk_error_errno(err, -errno, "/dev/console: bind the pty");
    return 0;
}

int console_create(const struct oci_process *p, int *ret_master, int *ret_slave,
                   struct hk_error *err)
{
    _cleanup_close_ int master = -1, slave = -1;
    int r = console_open_pty(p, &master, &slave, err);
    if (r == 0)
        r = bind_dev_console(slave, err);
    if (r < 0)
        return r;
    *ret_master = TAKE_FD(master);
    *ret_slave = TAKE_FD(slave);
    return 0;
}

int console_attach_slave(int slave, uid_t uid, struct hk_error *err)
{
    /* The process's user owns its terminal, the group stays devpts' (runc's
     * fixStdioPermissions); an unmapped id is left as it is. */
    struct stat st;
    if (fstat(slave, &st) == 0 && st.st_uid != uid && fchown(slave, uid, (gid_t)-1) < 0 &&
        errno != EINVAL && errno != EPERM)
        return hk_error_errno(err, -errno, "give the pty to uid %u", (unsigned)uid);
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return hk_error_errno(err, -errno, "make the pty the controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            return hk_error_errno(err, -errno, "dup the pty to fd %d", fd);
    return 0;
}

int console_send(const char *socket_path, int master, struct hk_error *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof(addr.sun_path))
        return hk_error_set(err, -ENAMETOOLONG, "--console-socket '%s': path too long",
                            socket_path);
    strcpy(addr.sun_path, socket_path);
    _cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return hk_error_errno(err, -errno, "socket");
    if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return hk_error_errno(err, -errno, "--console-socket '%s': connect", socket_path);
    static const char name[] = "/dev/ptmx";
    int r = send_fd(s, master, name, sizeof(name) - 1);
    if (r < 0)
        return hk_error_errno(err, r, "--console-socket '%s': send the pty", socket_path);
    return 0;
}

/* Signals a foreground runtime forwards to the container (everything a user or supervisor
 * sends, except those that stop or are about children). */
void console_forward_set(sigset_t *set)
{
    sigfillset(set);
    sigdelset(set, SIGKILL);
    sigdelset(set, SIGSTOP);
    sigdelset(set, SIGSEGV);
    sigdelset(set, SIGBUS);
    sigdelset(set, SIGILL);
    sigdelset(set, SIGFPE);
    sigdelset(set, SIGTSTP);
    sigdelset(set, SIGTTIN);
    sigdelset(set, SIGTTOU);
}

static int reap(pid_t child, int *ret_status)
{
    int status;
    pid_t r = waitpid(child, &status, WNOHANG);
    if (r == child) {
        *ret_status = status;
        return 1;
    }
    return 0;
}

static int copy_some(int from, int to)
{
    char buf[16384];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n <= 0)
        return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        off += w;
    }
    return 1;
}

static void sync_winsize(int from, int to)
{
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        ioctl(to, TIOCSWINSZ, &ws);
}

/* $HAKO_WINSIZE_FILE: "ROWS COLS", for a caller whose stdin is not a terminal but a socket
 * (the API service's exec: it rewrites the file and sends SIGWINCH on each resize). */
static void winsize_from_file(const char *path, int to)
{
    char buf[64];
    unsigned rows, cols;
    if (read_str_at(AT_FDCWD, path, buf, sizeof(buf)) < 0 ||
        sscanf(buf, "%u %u", &rows, &cols) != 2 || !rows || !cols || rows > 65535 ||
        cols > 65535)
        return;
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    ioctl(to, TIOCSWINSZ, &ws);
}

int console_relay(int master, pid_t child, int *ret_status, struct hk_error *err)
{
    sigset_t set, old;
    console_forward_set(&set);
    sigprocmask(SIG_BLOCK, &set, &old);
    _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        return hk_error_errno(err, -errno, "signalfd");
    }
    struct termios saved;
    bool raw = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);
        t.c_oflag |= OPOST; /* keep output processing, as runc does */
        tcsetattr(STDIN_FILENO, TCSANOW, &t);
        sync_winsize(STDIN_FILENO, master);
    }
    const char *wsfile = raw ? NULL : getenv("HAKO_WINSIZE_FILE");
    if (wsfile)
        winsize_from_file(wsfile, master);
    bool in_open = true, exited = false;
    int status = 0;
    while (!exited) {
        struct pollfd p[3] = {{sfd, POLLIN, 0}, {master, POLLIN, 0},
                              {in_open ? STDIN_FILENO : -1, POLLIN, 0}};
        if (poll(p, 3, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents & (POLLIN | POLLHUP))
            if (copy_some(master, STDOUT_FILENO) < 0)
                p[1].fd = -1;
        if (p[2].revents & (POLLIN | POLLHUP))
            if (copy_some(STDIN_FILENO, master) < 0)
                in_open = false; /* EOF on our stdin: stop feeding, keep relaying output */
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGCHLD)
                    exited = reap(child, &status);
                else if (si.ssi_signo == SIGWINCH && wsfile)
                    winsize_from_file(wsfile, master);
                else if (si.ssi_signo == SIGWINCH)
                    sync_winsize(STDIN_FILENO, master);
                else
                    kill(child, (int)si.ssi_signo);
            }
        }
    }
    /* Drain what the container wrote before it exited. */
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    while (copy_some(master, STDOUT_FILENO) > 0)
        ;
    if (raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    sigprocmask(SIG_SETMASK, &old, NULL);
    *ret_status = status;
    return 0;
}

int wait_forwarding_signals(pid_t child, int *ret_status, struct hk_error *err)
{
    sigset_t set, old;
    console_forward_set(&set);
    sigprocmask(SIG_BLOCK, &set, &old);
    /* The child may have exited before we blocked SIGCHLD. */
    int status = 0;
    if (reap(child, &status)) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        *ret_status = status;
        return 0;
    }
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&set, &si);
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            sigprocmask(SIG_SETMASK, &old, NULL);
            return hk_error_errno(err, -errno, "wait for signals");
        }
        if (sig == SIGCHLD) {
            if (reap(child, &status))
                break;
        } else {
            kill(child, sig);
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    *ret_status = status;
    return 0;
}
