#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"

/* In the forked child: stdin from the pipe, stdout/stderr kept, every other fd closed, cwd
 * cwd_fd when given. */
_noreturn_ static void exec_hook(const struct oci_hook *h, int in_fd, int cwd_fd)
{
    if (cwd_fd >= 0 && fchdir(cwd_fd) < 0) {
        dprintf(STDERR_FILENO, "hook '%s': chdir to the container's root: %s\n", h->path,
                strerror(errno));
        _exit(126);
    }
    if (dup2(in_fd, STDIN_FILENO) < 0)
        _exit(126);
    syscall(SYS_close_range, 3, ~0U, 0);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    char *const fallback[] = {h->path, NULL};
    /* no "env": the runtime's own environment, as runc (Go's exec with a nil Env) gives */
    execve(h->path, h->args && h->args[0] ? h->args : fallback, h->env ? h->env : environ);
    dprintf(STDERR_FILENO, "exec hook '%s': %s\n", h->path, strerror(errno));
    _exit(127);
}

/* Wait for the hook with an optional timeout (seconds, 0 = none); on timeout kill it. */
static int wait_hook(pid_t pid, int timeout, int *ret_status)
{
    _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd >= 0 && timeout > 0) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int n;
        do
            n = poll(&p, 1, timeout * 1000);
        while (n < 0 && errno == EINTR);
        if (n == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return -ETIMEDOUT;
        }
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    *ret_status = status;
    return 0;
}

static int run_one(const struct oci_hook *h, const char *state_json, int cwd_fd,
                   struct hk_error *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return hk_error_errno(err, -errno, "pipe");
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return hk_error_errno(err, -errno, "fork");
    }
    if (pid == 0) {
        close(p[1]);
        exec_hook(h, p[0], cwd_fd);
    }
    close(p[0]);
    /* A hook that does not read its stdin must not block us: ignore EPIPE. */
    size_t len = strlen(state_json);
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t w = write(p[1], state_json, len);
    (void)w;
    close(p[1]);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
        ;
    sigprocmask(SIG_SETMASK, &old, NULL);
    int status = 0;
    int r = wait_hook(pid, h->has_timeout ? h->timeout : 0, &status);
    if (r == -ETIMEDOUT)
        return hk_error_set(err, r, "'%s' timed out after %d s", h->path, h->timeout);
    if (r < 0)
        return hk_error_errno(err, r, "wait for '%s'", h->path);
    if (WIFSIGNALED(status))
        return hk_error_set(err, -ECHILD, "'%s' was killed by signal %d", h->path,
                            WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        return hk_error_set(err, -ECHILD, "'%s' exited with status %d", h->path,
                            WEXITSTATUS(status));
    return 0;
}

int hooks_run(const struct oci_hook *hooks, size_t n, enum oci_hook_kind kind,
              const char *state_json, struct hk_error *err)
{
    return hooks_run_at(hooks, n, kind, state_json, -1, err);
}

int hooks_run_at(const struct oci_hook *hooks, size_t n, enum oci_hook_kind kind,
                 const char *state_json, int cwd_fd, struct hk_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int r = run_one(&hooks[i], state_json, cwd_fd, err);
        if (r < 0)
            return hk_error_prefix(err, r, "%s hook %zu", oci_hook_name(kind), i);
    }
    return 0;
}

size_t hooks_run_each(const struct oci_hook *hooks, size_t n, enum oci_hook_kind kind,
                      const char *state_json, void (*failed)(const struct hk_error *, void *),
                      void *data)
{
    size_t n_failed = 0;
    for (size_t i = 0; i < n; i++) {
        struct hk_error err = {0};
        int r = run_one(&hooks[i], state_json, -1, &err);
        if (r < 0) {
            hk_error_prefix(&err, r, "%s hook %zu", oci_hook_name(kind), i);
            failed(&err, data);
            n_failed++;
        }
    }
    return n_failed;
}
