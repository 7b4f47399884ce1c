/* exec.c — a new process in a running container (`exec`).
 *
 * The runtime forks a helper that joins every namespace of the container's init at once
 * through its pidfd (setns(2) with a pidfd, Linux 5.8), then clones the process with
 * CLONE_PARENT so that the runtime, not the short-lived helper, is its parent and can wait
 * for it. The runtime puts it into the container's cgroup before it goes on; it then sets
 * itself up like the init does (program.c) and execs. Failures come back as data over a
 * socketpair; its close-on-exec end closing tells the runtime the program runs. */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/container.h"
#include "runtime/dmz.h"
#include "runtime/handle.h"
#include "runtime/lsm.h"
#include "runtime/program.h"
#include "runtime/sched.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"
#include "util/fs.h"
#include "util/json.h"

struct exec_ctx {
    const struct oci_process *p;
    const struct exec_opts *o;
    struct oci_spec *spec;
    struct seccomp_program *seccomp;
    struct cgroup_manager *cg;
    struct cgroup_entry cg_entry; /* the new process joins the cgroup through it */
    char *state_json;
    int pidfd;       /* the container's init */
    int ns_flags;    /* CLONE_NEW* of the namespaces to join */
    int sync[2];     /* [0] runtime, [1] process */
    pid_t pid;
    int master;
    int dmz_fd;
};

static void exec_ctx_done(struct exec_ctx *x)
{
    spec_free(x->spec);
    seccomp_program_free(x->seccomp);
    cgroup_entry_close(&x->cg_entry);
    cgroup_manager_free(x->cg);
    free(x->state_json);
    for (int i = 0; i < 2; i++)
        if (x->sync[i] >= 0)
            close(x->sync[i]);
    if (x->pidfd >= 0)
        close(x->pidfd);
    if (x->master >= 0)
        close(x->master);
    if (x->dmz_fd >= 0)
        close(x->dmz_fd);
}

/* Everything exec needs from the container, read under its lock (released before we run). */
static int exec_load(const struct runtime *rt, const char *id, const struct exec_opts *o,
                     struct exec_ctx *x, struct hk_error *err)
{
    struct handle h;
    int r = handle_open(rt, id, &h, err);
    if (r < 0)
        return r;
    json_t *j = state_to_oci_json(h.st, h.status);
    x->state_json = json_dump_compact(j);
    json_decref(j);
    if (h.status == STATUS_PAUSED && !o->ignore_paused) {
        r = hk_error_set(err, -EINVAL, "cannot exec in a paused container (use "
                                       "--ignore-paused to override)");
        goto out;
    }
    if (h.status != STATUS_RUNNING && h.status != STATUS_CREATED && h.status != STATUS_PAUSED) {
        r = hk_error_set(err, -EINVAL, "cannot exec in container '%s': it is %s", id,
                         status_name(h.status));
        goto out;
    }
    x->spec = handle_saved_spec(&h, err);
    if (!x->spec) {
        r = hk_error_prefix(err, err && err->code ? err->code : -EIO, "container '%s'", id);
        goto out;
    }
    r = state_pidfd(h.st, &x->pidfd);
    if (r < 0) {
        r = hk_error_set(err, -ESRCH, "container '%s' is not running", id);
        goto out;
    }
    if (h.st->cgroup && (r = cgroup_from_json(h.st->cgroup, &x->cg, err)) < 0)
        goto out;
    for (size_t i = 0; o->cgroups && o->cgroups[i]; i++) {
        r = x->cg ? cgroup_manager_descend(x->cg, o->cgroups[i], err)
                  : hk_error_set(err, -ENOENT, "--cgroup: container '%s' has no cgroup", id);
        if (r < 0)
            goto out;
    }
    if (x->spec->linux_.seccomp &&
        (r = seccomp_prepare(x->spec->linux_.seccomp, &x->spec->ctx, &x->seccomp, err)) < 0)
        goto out;
    /* Loads libapparmor/libselinux now, outside the container's mount namespace. */
    struct parse_ctx ctx = {.file = "exec"};
    if ((r = lsm_check_process(x->p, &ctx, "process", err)) < 0)
        goto out;
    x->dmz_fd = dmz_open(NULL); /* -1: exec directly (no dmz on this architecture) */
    for (size_t i = 0; i < x->spec->linux_.n_namespaces; i++)
        x->ns_flags |= oci_ns_clone_flag(x->spec->linux_.namespaces[i].type);
out:
    handle_close(&h);
    return r;
}

_noreturn_ static void child_fail(int fd, const struct hk_error *err)
{
    sync_send_error(fd, err);
    _exit(1);
}

/* The new process, inside the container's namespaces: never returns. */
_noreturn_ static void exec_child(struct exec_ctx *x)
{
    struct hk_error err = {0};
    int fd = x->sync[1];
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_DUMPABLE, 0); /* keep /proc/<pid>/exe out of reach (CVE-2019-5736) */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (cgroup_entry_self(&x->cg_entry, &err) < 0)
        child_fail(fd, &err);
    cgroup_entry_close(&x->cg_entry);
    /* The helper shares our end of the socket: let its SYNC_CHILD_PID come first. */
    struct sync_msg m;
    if (sync_expect(fd, SYNC_GO, &m, NULL, &err) < 0)
        _exit(1);
    /* The cgroup namespace last, once we are in the container's cgroup: a clone into a
     * cgroup outside the cloner's cgroup namespace is refused (ENOENT), so the helper stayed
     * in ours, and joining before the move would root our view at the wrong cgroup. */
    if ((x->ns_flags & CLONE_NEWCGROUP) && setns(x->pidfd, CLONE_NEWCGROUP) < 0) {
        hk_error_errno(&err, -errno, "join the container's cgroup namespace");
        child_fail(fd, &err);
    }
    const struct oci_process *p = x->p;
    if (p->terminal) {
        _cleanup_close_ int master = -1, slave = -1;
        if (setsid() < 0 || console_open_pty(p, &master, &slave, &err) < 0 ||
            sync_send(fd, SYNC_CONSOLE, 0, NULL, master) < 0 ||
            console_attach_slave(slave, p->user.uid, &err) < 0)
            child_fail(fd, &err);
    }
    char **env = program_env(p);
    char *exe = NULL;
    bool seccomp_done = false;
    if (program_find(p->args[0], env, &exe, &err) < 0 ||
        sched_apply_memory_policy(&x->spec->linux_.memory_policy, &err) < 0 ||
        program_setup(p, x->seccomp, fd, &seccomp_done, &err) < 0)
        child_fail(fd, &err);
    if (x->seccomp && !seccomp_done && program_install_seccomp(x->seccomp, fd, &err) < 0)
        child_fail(fd, &err);
    syscall(SYS_close_range, 3 + x->o->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
    prctl(PR_SET_PDEATHSIG, 0);
    int e = dmz_exec(x->dmz_fd, exe, p->args, env);
    hk_error_errno(&err, e, "exec \"%s\"", exe);
    child_fail(fd, &err);
}

/* The helper: join the namespaces, clone the process as the runtime's child, report its pid. */
_noreturn_ static void exec_helper(struct exec_ctx *x)
{
    struct hk_error err = {0};
    close(x->sync[0]);
    x->sync[0] = -1;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (setns(x->pidfd, x->ns_flags & ~CLONE_NEWCGROUP) < 0) {
        hk_error_errno(&err, -errno, "join the container's namespaces");
        child_fail(x->sync[1], &err);
    }
    /* With CLONE_PARENT the exit signal is the helper's own (SIGCHLD): clone3 wants 0. */
    struct clone_args args = {.flags = CLONE_PARENT};
    if (x->cg_entry.clone_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)x->cg_entry.clone_fd;
    }
    long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0)
        exec_child(x);
    if (pid < 0) {
        hk_error_errno(&err, -errno, "clone into the container");
        child_fail(x->sync[1], &err);
    }
    sync_send(x->sync[1], SYNC_CHILD_PID, (int32_t)pid, NULL, -1);
    _exit(0);
}

/* Start the process; returns once it exec'd (or failed, with the reason). */
static int exec_spawn(struct exec_ctx *x, struct hk_error *err)
{
    int r = x->cg ? cgroup_entry_open(x->cg, &x->cg_entry, err) : 0;
    if (r < 0)
        return r;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sync) < 0)
        return hk_error_errno(err, -errno, "socketpair");
    pid_t helper = fork();
    if (helper < 0)
        return hk_error_errno(err, -errno, "fork");
    if (helper == 0)
        exec_helper(x);
    cgroup_entry_close(&x->cg_entry);
    close(x->sync[1]);
    x->sync[1] = -1;
    struct sync_msg m;
    r = sync_expect(x->sync[0], SYNC_CHILD_PID, &m, NULL, err);
    waitpid(helper, NULL, 0);
    if (r < 0)
        return r;
    x->pid = m.code;
    if (sync_send(x->sync[0], SYNC_GO, 0, NULL, -1) < 0)
        return hk_error_set(err, -EPIPE, "the new process exited during setup");
    for (;;) {
        int fd = -1;
        r = sync_recv(x->sync[0], &m, &fd);
        if (r == -EPIPE)
            return 0; /* its end closed on exec: the program runs */
        if (r < 0)
            return hk_error_errno(err, r, "read from the new process");
        if (m.type == SYNC_ERROR)
            return hk_error_set(err, m.code ? m.code : -EIO, "%s", m.text);
        if (m.type == SYNC_CONSOLE && fd >= 0) {
            if (x->o->console_socket) {
                r = console_send(x->o->console_socket, fd, err);
                close(fd);
                if (r < 0)
                    return r;
            } else {
                x->master = fd;
            }
        } else if (m.type == SYNC_SECCOMP_FD && fd >= 0) {
            r = seccomp_send_listener(x->seccomp, fd, x->state_json, err);
            close(fd);
            if (r < 0 || (r = sync_send(x->sync[0], SYNC_SECCOMP_DONE, 0, NULL, -1)) < 0)
                return r;
        } else if (fd >= 0) {
            close(fd);
        }
    }
}

static int exit_code_of(int status)
{
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

static int exec_finish(struct exec_ctx *x, struct exec_result *ret, struct hk_error *err)
{
    const struct exec_opts *o = x->o;
    ret->pid = x->pid;
    if (o->pid_file) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", (int)x->pid);
        int r = write_file_replace(o->pid_file, buf, (size_t)n, 0644, err);
        if (r < 0)
            return hk_error_prefix(err, r, "--pid-file");
    }
    if (o->detach) {
        if (o->keep_console) {
            ret->console_master = x->master;
            x->master = -1;
        }
        return 0;
    }
    int status = 0;
    int r = x->master >= 0 ? console_relay(x->master, x->pid, &status, err)
                           : wait_forwarding_signals(x->pid, &status, err);
    ret->exit_code = exit_code_of(status);
    return r;
}

int container_exec(const struct runtime *rt, const char *id, const struct oci_process *p,
                   const struct exec_opts *o, struct exec_result *ret, struct hk_error *err)
{
    struct exec_ctx x = {.p = p, .o = o, .pidfd = -1, .sync = {-1, -1}, .master = -1,
                         .cg_entry = {.clone_fd = -1},
                         .dmz_fd = -1};
    *ret = (struct exec_result){.pid = -1, .console_master = -1};
    if (p->terminal && o->detach && !o->console_socket && !o->keep_console)
        return hk_error_set(err, -EINVAL, "a detached exec with a terminal needs "
                                          "--console-socket");
    /* Signals for a foreground exec are held from now on and forwarded once it runs. */
    sigset_t fwd, old;
    if (o->detach)
        sigemptyset(&fwd);
    else
        console_forward_set(&fwd);
    sigprocmask(SIG_BLOCK, &fwd, &old);
    int r = exec_load(rt, id, o, &x, err);
    if (r == 0)
        r = exec_spawn(&x, err);
    if (r < 0 && x.pid > 0) {
        kill(x.pid, SIGKILL);
        waitpid(x.pid, NULL, 0);
    }
    if (r == 0)
        r = exec_finish(&x, ret, err);
    sigprocmask(SIG_SETMASK, &old, NULL);
    exec_ctx_done(&x);
    return r;
}

int container_process(const struct runtime *rt, const char *id, struct oci_process **ret,
                      struct hk_error *err)
{
    struct handle h;
    int r = handle_open(rt, id, &h, err);
    if (r < 0)
        return r;
    struct oci_spec *s = handle_saved_spec(&h, err);
    if (!s) {
        r = hk_error_prefix(err, err && err->code ? err->code : -EIO, "container '%s'", id);
    } else if (!s->process) {
        r = hk_error_set(err, -ENOENT, "container '%s' has no process in its config", id);
    } else {
        *ret = s->process;
        s->process = NULL;
    }
    spec_free(s);
    handle_close(&h);
    return r;
}

bool container_process_can_ptrace(const struct runtime *rt, const char *id,
                                  const struct oci_process *p)
{
    struct handle h;
    if (handle_open(rt, id, &h, NULL) < 0)
        return true;
    struct oci_spec *s = handle_saved_spec(&h, NULL);
    bool can = !s || spec_process_can_ptrace(s, p);
    spec_free(s);
    handle_close(&h);
    return can;
}
