/* init.c — the container's init, from clone to execve of the user program.
 *
 * Setup is a list of steps carried out in order; the first failure is sent to the parent as
 * data ({code, text}) and the process exits. The steps, and why in this order:
 *   wait for the parent (id maps written) → become root of the user namespace → join
 *   namespaces given by path → hostname → rootfs and mounts (host paths still visible; the
 *   runtime makes our cgroup meanwhile, and we wait for it — then a new cgroup namespace
 *   rooted there — at the first cgroup mount, or after the mounts) → prestart/createRuntime hooks
 *   (parent) → createContainer hooks (here) → pivot_root → sysctls, masked and read-only paths
 *   → terminal → keyring, rlimits, oom score, cwd → seccomp (before dropping CAP_SYS_ADMIN
 *   unless no_new_privs) → user and capabilities → report ready → wait for start
 *   → startContainer hooks → seccomp (with no_new_privs) → execve. */
#include <fcntl.h>
#include <linux/keyctl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/creds.h"
#include "runtime/dmz.h"
#include "runtime/hooks.h"
#include "runtime/launch.h"
#include "runtime/sched.h"
#include "runtime/program.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"

_noreturn_ static void fail(struct launch *l, const struct hk_error *err)
{
    sync_send_error(l->sync_child, err);
    _exit(1);
}

static int join_namespaces(struct launch *l, struct hk_error *err)
{
    /* The user namespace first: it owns the others. */
    static const enum oci_ns_type order[] = {OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK,
                                             OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_MOUNT};
    for (size_t i = 0; i < ELEMENTSOF(order); i++) {
        int fd = l->ns_fds[order[i]];
        if (fd < 0)
            continue;
        if (setns(fd, oci_ns_clone_flag(order[i])) < 0)
            return hk_error_errno(err, -errno, "join %s namespace '%s'", oci_ns_name(order[i]),
                                  spec_namespace(l->spec, order[i])->path);
        close(fd);
        l->ns_fds[order[i]] = -1;
    }
    return 0;
}

/* With a joined user namespace, the new namespaces are made here so that it owns them; a
 * new pid namespace then needs one more fork (the parent learns the init's pid). */
static int enter_new_namespaces(struct launch *l, struct hk_error *err)
{
    if (l->ns_fds[OCI_NS_USER] < 0 || !l->new_ns)
        return join_namespaces(l, err);
    int r = join_namespaces(l, err);
    if (r < 0)
        return r;
    if (unshare((int)l->new_ns) < 0)
        return hk_error_errno(err, -errno, "unshare new namespaces");
    if (l->new_ns & CLONE_NEWPID) {
        pid_t pid = fork();
        if (pid < 0)
            return hk_error_errno(err, -errno, "fork into the pid namespace");
        if (pid > 0) {
            sync_send(l->sync_child, SYNC_CHILD_PID, pid, NULL, -1);
            _exit(0);
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    }
    return 0;
}

/* The runtime's fd of the rootfs belongs to its mount namespace, which open_tree() refuses;
 * reopen it in ours. Done before becoming root of a new user namespace: until then we are
 * still the host's root for permission checks on the bundle's path. */
static int reopen_rootfs(struct launch *l, struct hk_error *err)
{
    int fd = open(l->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(err, -errno, "open rootfs '%s'", l->rootfs);
    close(l->rootfs_fd);
    l->rootfs_fd = fd;
    return 0;
}

/* A new network namespace's lo is down; runc and crun bring it up. We are inside it here. */
static int loopback_up(struct hk_error *err)
{
    _cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return hk_error_errno(err, -errno, "loopback: socket");
    struct ifreq ifr = {.ifr_name = "lo"};
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return hk_error_errno(err, -errno, "loopback: flags of lo");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
        return hk_error_errno(err, -errno, "loopback: set lo up");
    return 0;
}

static int setup_identity(struct launch *l, struct hk_error *err)
{
    bool mnt_joined = l->ns_fds[OCI_NS_MOUNT] >= 0;
    if (!mnt_joined && reopen_rootfs(l, err) < 0)
        return err->code;
    if (l->new_userns) {
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
            return hk_error_errno(err, -errno, "become root in the user namespace "
                                               "(is uid/gid 0 mapped?)");
    }
    int r = enter_new_namespaces(l, err);
    if (r == 0 && mnt_joined)
        r = reopen_rootfs(l, err);
    if (r < 0)
        return r;
    if (setsid() < 0)
        return hk_error_errno(err, -errno, "setsid");
    const struct oci_spec *s = l->spec;
    if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
        return hk_error_errno(err, -errno, "hostname '%s'", s->hostname);
    if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
        return hk_error_errno(err, -errno, "domainname '%s'", s->domainname);
    if (l->new_ns & CLONE_NEWNET)
        return loopback_up(err);
    return 0;
}

struct init_cgroup {
    struct cgroup_access base;
    struct launch *l;
    bool placed;
};

/* The new cgroup namespace (once), rooted at the cgroup the init joined as it started. */
static int init_cgroup_get(struct cgroup_access *a, const struct cgroup_manager **ret,
                           struct hk_error *err)
{
    struct init_cgroup *c = (struct init_cgroup *)a;
    struct launch *l = c->l;
    if (!c->placed) {
        if (l->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
            return hk_error_errno(err, -errno, "unshare the cgroup namespace");
        c->placed = true;
    }
    if (ret)
        *ret = l->cg;
    return 0;
}

static int setup_rootfs(struct launch *l, struct hk_error *err)
{
    const struct oci_spec *s = l->spec;
    _cleanup_close_ int rootfd = -1;
    struct init_cgroup cg = {.base = {.get = init_cgroup_get}, .l = l};
    int r = rootfs_prepare(s, l->rootfs_fd, &rootfd, err);
    if (r == 0)
        r = rootfs_mount_all(s, rootfd, l->mount_fds, l->bundle, &cg.base,
                             l->new_userns, err);
    if (r == 0)
        r = init_cgroup_get(&cg.base, NULL, err); /* in our cgroup before any hook runs */
    if (r < 0)
        return r;
    /* The working directory exists before we drop privileges (created like runc does). */
    _cleanup_close_ int cwd = -1;
    r = mkdir_p_in_root(rootfd, s->process->cwd, 0755, &cwd, err);
    if (r < 0)
        return hk_error_prefix(err, r, "process.cwd");
    struct sync_msg m;
    r = sync_send(l->sync_child, SYNC_HOOKS, 0, NULL, -1);
    if (r == 0)
        r = sync_expect(l->sync_child, SYNC_HOOKS_DONE, &m, NULL, err);
    if (r < 0)
        return r;
    const struct oci_hooks *h = &s->hooks;
    if (h->n[OCI_HOOK_CREATE_CONTAINER]) {
        _cleanup_free_ char *state = xstrdup(m.text);
        r = hooks_run_at(h->list[OCI_HOOK_CREATE_CONTAINER], h->n[OCI_HOOK_CREATE_CONTAINER],
                         OCI_HOOK_CREATE_CONTAINER, state, rootfd, err);
        if (r < 0)
            return r;
    }
    log_debug("init: mounts done, hooks run");
    r = rootfs_pivot(rootfd, l->opts->no_pivot, err);
    if (r == 0)
        r = rootfs_finalize(s, err);
    return r;
}

static int setup_terminal(struct launch *l, struct hk_error *err)
{
    if (!l->spec->process->terminal)
        return 0;
    _cleanup_close_ int master = -1, slave = -1;
    int r = console_create(l->spec->process, &master, &slave, err);
    if (r < 0)
        return r;
    r = sync_send(l->sync_child, SYNC_CONSOLE, 0, NULL, master);
    if (r < 0)
        return hk_error_errno(err, r, "send the pty to the runtime");
    return console_attach_slave(slave, l->spec->process->user.uid, err);
}

static int setup_process(struct launch *l, bool *ret_seccomp_done, struct hk_error *err)
{
    if (!l->opts->no_new_keyring &&
        syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
        return hk_error_errno(err, -errno, "create a session keyring");
    int r = sched_apply_memory_policy(&l->spec->linux_.memory_policy, err);
    if (r < 0)
        return r;
    return program_setup(l->spec->process, l->seccomp, l->sync_child, ret_seccomp_done, err);
}

/* Block until `start` connects to the exec socket; the accepted connection stays open (close
 * on exec) so start learns the outcome: EOF means execve happened, a message is an error. */
static int wait_for_start(struct launch *l, int *ret_conn)
{
    int c;
    do
        c = accept4(l->exec_sock, NULL, NULL, SOCK_CLOEXEC);
    while (c < 0 && errno == EINTR);
    if (c < 0)
        return -errno;
    close(l->exec_sock);
    *ret_conn = c;
    return 0;
}

_noreturn_ void init_main(struct launch *l)
{
    struct hk_error err = {0};
    struct sync_msg m;
    /* Until ready, die with the runtime; and keep /proc/<pid>/exe (the host binary) out of
     * reach of other container processes (CVE-2019-5736). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_DUMPABLE, 0);
    /* A foreground run blocks the signals it forwards; the container starts with none. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    close(l->sync_parent);
    /* The state directory's flock belongs to the runtime's open file: drop our copy. */
    close(l->state_fd);
    /* Into the cgroup first: everything from here on (and every child) is accounted there. */
    if (cgroup_entry_self(&l->cg_entry, &err) < 0)
        fail(l, &err);
    cgroup_entry_close(&l->cg_entry);
    log_debug("init: in the cgroup");
    if (sync_expect(l->sync_child, SYNC_GO, &m, NULL, &err) < 0)
        _exit(1);
    const struct oci_process *p = l->spec->process;
    bool seccomp_done = false;
    _cleanup_free_ char *exe = NULL;
    log_debug("init: go");
    if (setup_identity(l, &err) < 0 || setup_rootfs(l, &err) < 0 ||
        setup_terminal(l, &err) < 0)
        fail(l, &err);
    log_debug("init: rootfs done");
    char **env = program_env(p);
    if (program_find(p->args[0], env, &exe, &err) < 0 ||
        setup_process(l, &seccomp_done, &err) < 0)
        fail(l, &err);
    /* Only stdio and the preserved fds may cross into the container (CVE-2024-21626): mark
     * everything else close-on-exec. */
    syscall(SYS_close_range, 3 + l->opts->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
    prctl(PR_SET_PDEATHSIG, 0);
    if (sync_send(l->sync_child, SYNC_READY, 0, NULL, -1) < 0)
        _exit(1);
    close(l->sync_child);
    int conn = -1;
    if (wait_for_start(l, &conn) < 0)
        _exit(1);
    const struct oci_hooks *h = &l->spec->hooks;
    if (h->n[OCI_HOOK_START_CONTAINER]) {
        char buf[512];
        snprintf(buf, sizeof(buf), "{\"ociVersion\":\"%s\",\"id\":\"%s\",\"status\":\"running\","
                                   "\"pid\":%d}", OCI_VERSION, l->id, (int)getpid());
        if (hooks_run(h->list[OCI_HOOK_START_CONTAINER], h->n[OCI_HOOK_START_CONTAINER],
                      OCI_HOOK_START_CONTAINER, buf, &err) < 0) {
            sync_send_error(conn, &err);
            _exit(1);
        }
    }
    if (l->seccomp && !seccomp_done) {
        int listener = -1;
        if (seccomp_install(l->seccomp, &listener, &err) < 0) {
            sync_send_error(conn, &err);
            _exit(1);
        }
        if (listener >= 0)
            sync_send(conn, SYNC_SECCOMP_FD, 0, NULL, listener);
    }
    int e = dmz_exec(l->dmz_fd, exe, p->args, env);
    hk_error_errno(&err, e, "exec \"%s\"", exe);
    sync_send_error(conn, &err);
    _exit(127);
}
