/* run.c — `run`: create, start, and (in the foreground) stay the container's parent until it
 * exits — relaying its terminal, forwarding signals — then delete it. */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/launch.h"
#include "runtime/state.h"

static int exit_code_of(int status)
{
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

static int run_blocked(const struct runtime *rt, const char *id, const struct create_opts *o,
                       bool detach, int *ret_exit_code, struct hk_error *err);

int container_run(const struct runtime *rt, const char *id, const struct create_opts *o,
                  bool detach, int *ret_exit_code, struct hk_error *err)
{
    int r = state_check_id(id, err);
    if (r < 0)
        return r;
    if (rt->systemd_cgroup)
        return hk_error_set(err, -EOPNOTSUPP, "--systemd-cgroup is not supported yet");
    /* Signals that arrive while the container is being created and started are held, and
     * forwarded once it runs (the init clears its mask before exec). */
    sigset_t fwd, old;
    if (detach)
        sigemptyset(&fwd);
    else
        console_forward_set(&fwd);
    sigprocmask(SIG_BLOCK, &fwd, &old);
    r = run_blocked(rt, id, o, detach, ret_exit_code, err);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}

static int run_blocked(const struct runtime *rt, const char *id, const struct create_opts *o,
                       bool detach, int *ret_exit_code, struct hk_error *err)
{
    int r;
    struct create_opts co = *o;
    co.keep_console = !detach && !o->console_socket;
    /* A joined user namespace with a new pid namespace makes the init our grandchild: stay
     * its parent anyway so we can reap it. */
    if (!detach)
        prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct launch l;
    launch_init(&l, rt, id, &co);
    r = launch_run(&l, err);
    if (r < 0) {
        launch_done(&l);
        return r;
    }
    if (detach && l.spec->process->terminal && !o->console_socket) {
        launch_done(&l);
        struct hk_error ignored = {0};
        container_delete(rt, id, true, &ignored);
        return hk_error_set(err, -EINVAL, "a detached container with a terminal needs "
                                          "--console-socket");
    }
    pid_t pid = l.pid;
    int master = l.console_master;
    l.console_master = -1;
    launch_done(&l);
    r = container_start(rt, id, err);
    if (r < 0 || detach) {
        if (master >= 0)
            close(master);
        if (r < 0) {
            struct hk_error ignored = {0};
            container_delete(rt, id, true, &ignored);
            if (!detach)
                waitpid(pid, NULL, 0);
        }
        *ret_exit_code = 0;
        return r;
    }
    int status = 0;
    if (master >= 0) {
        r = console_relay(master, pid, &status, err);
        close(master);
    } else {
        r = wait_forwarding_signals(pid, &status, err);
    }
    struct hk_error derr = {0};
    int d = o->keep ? 0 : container_delete(rt, id, true, &derr);
    if (r == 0 && d < 0) {
        *err = derr;
        r = d;
    }
    *ret_exit_code = exit_code_of(status);
    return r;
}
