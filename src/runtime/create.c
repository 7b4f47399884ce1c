/* create.c — the runtime side of `create`: validate, make the state, cgroup and namespaces,
 * clone the init, answer its requests (id maps, hooks, pty), and record the container.
 *
 * On any failure everything made so far is undone — the init is killed, the cgroup and the
 * state directory removed — so a failed create leaves nothing behind. */
#include <fcntl.h>
#include <poll.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/dmz.h"
#include "runtime/lsm.h"
#include "runtime/hooks.h"
#include "runtime/idmap.h"
#include "runtime/rootfs.h"
#include "runtime/launch.h"
#include "runtime/seccomp.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "util/failpoint.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif

static int resolve_bundle(struct launch *l, struct hk_error *err)
{
    const char *b = l->opts->bundle ? l->opts->bundle : ".";
    l->bundle = realpath(b, NULL);
    if (!l->bundle)
        return hk_error_errno(err, -errno, "bundle '%s'", b);
    int r = spec_load(l->bundle, &l->spec, err);
    if (r < 0)
        return r;
    if (!l->spec->process)
        return parse_error(&l->spec->ctx, err, "process", "required to create a container");
    const char *root = l->spec->root_path;
    _cleanup_free_ char *joined = root[0] == '/' ? xstrdup(root)
                                                 : xasprintf("%s/%s", l->bundle, root);
    l->rootfs = realpath(joined, NULL);
    struct stat st;
    if (!l->rootfs || stat(l->rootfs, &st) < 0)
        return hk_error_errno(err, -errno, "root.path: rootfs '%s'", joined);
    if (!S_ISDIR(st.st_mode))
        return hk_error_set(err, -ENOTDIR, "root.path: rootfs '%s' is not a directory", joined);
    l->rootfs_fd = open(l->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (l->rootfs_fd < 0)
        return hk_error_errno(err, -errno, "root.path: open '%s'", l->rootfs);
    if (!spec_namespace(l->spec, OCI_NS_MOUNT))
        return parse_error(&l->spec->ctx, err, "linux.namespaces",
                           "a mount namespace is required (the rootfs is set up in one)");
    return lsm_check_spec(l->spec, err);
}

/* Whether the spec writes into a namespace of this type: sysctls of its group, and for uts
 * hostname and domainname. */
static bool spec_writes_into(const struct oci_spec *s, enum oci_ns_type t)
{
    if (t == OCI_NS_UTS && ((s->hostname && s->hostname[0]) || (s->domainname && s->domainname[0])))
        return true;
    for (size_t i = 0; i < s->linux_.n_sysctl; i++)
        if (spec_sysctl_namespace(s->linux_.sysctl[i].key) == t)
            return true;
    return false;
}

/* A namespace joined by path that is our own is the host's as far as sysctls, hostname and
 * domainname go: writing them would change it (runc checks this for the network). */
static int refuse_own_namespace(const struct oci_spec *s, size_t i, int fd,
                                struct hk_error *err)
{
    const struct oci_namespace *ns = &s->linux_.namespaces[i];
    if (!spec_writes_into(s, ns->type))
        return 0;
    char own[64];
    snprintf(own, sizeof(own), "/proc/self/ns/%s", oci_ns_proc_name(ns->type));
    struct stat a, b;
    if (fstat(fd, &a) < 0 || stat(own, &b) < 0)
        return hk_error_errno(err, -errno, "linux.namespaces[%zu]: stat '%s'", i, ns->path);
    if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return hk_error_set(err, -EINVAL,
                            "linux.namespaces[%zu]: '%s' is the hosts %s namespace: its sysctls%s "
                            "cannot be set from a container",
                            i, ns->path, oci_ns_name(ns->type),
                            ns->type == OCI_NS_UTS ? ", hostname and domainname" : "");
    return 0;
}

/* Open the namespaces to join and work out the clone flags for the new ones. */
static int plan_namespaces(struct launch *l, struct hk_error *err)
{
    for (int t = 0; t < OCI_NS_COUNT; t++)
        l->ns_fds[t] = -1;
    const struct oci_linux *lx = &l->spec->linux_;
    for (size_t i = 0; i < lx->n_namespaces; i++) {
        const struct oci_namespace *ns = &lx->namespaces[i];
        int flag = oci_ns_clone_flag(ns->type);
        if (!ns->path) {
            if (ns->type == OCI_NS_CGROUP)
                l->new_cgroupns = true;
            else if (ns->type != OCI_NS_TIME)
                l->new_ns |= (unsigned long)flag;
            if (ns->type == OCI_NS_USER)
                l->new_userns = true;
            continue;
        }
        int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return hk_error_errno(err, -errno, "linux.namespaces[%zu]: '%s'", i, ns->path);
        l->ns_fds[ns->type] = fd;
        int type = ioctl(fd, NS_GET_NSTYPE);
        if (type != flag)
            return hk_error_set(err, -EINVAL, "linux.namespaces[%zu]: '%s' is not a %s namespace",
                                i, ns->path, oci_ns_name(ns->type));
        int r = refuse_own_namespace(l->spec, i, fd, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int write_map(pid_t pid, const char *file, const struct oci_idmap *m, size_t n,
                     struct hk_error *err)
{
    int r = idmap_write(pid, file, m, n);
    if (r < 0)
        return hk_error_errno(err, r, "linux.%s: write /proc/%d/%s",
                              strcmp(file, "uid_map") == 0 ? "uidMappings" : "gidMappings",
                              (int)pid, file);
    return 0;
}

/* The time namespace is made here and entered by the child at clone: its offsets can only be
 * written before any process is in it. */
static int prepare_timens(struct launch *l, int *ret_saved, struct hk_error *err)
{
    *ret_saved = -1;
    const struct oci_namespace *ns = spec_namespace(l->spec, OCI_NS_TIME);
    if (!ns || ns->path)
        return 0;
    int saved = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
    if (saved < 0)
        return hk_error_errno(err, -errno, "open our time namespace");
    if (unshare(CLONE_NEWTIME) < 0) {
        close(saved);
        return hk_error_errno(err, -errno, "new time namespace");
    }
    *ret_saved = saved;
    const struct oci_linux *lx = &l->spec->linux_;
    char buf[128];
    snprintf(buf, sizeof(buf), "monotonic %lld %u\nboottime %lld %u\n",
             (long long)lx->monotonic.secs, lx->monotonic.nanosecs,
             (long long)lx->boottime.secs, lx->boottime.nanosecs);
    int r = write_str("/proc/self/timens_offsets", buf);
    if (r < 0)
        return hk_error_errno(err, r, "linux.timeOffsets");
    return 0;
}

/* clone3 the init into its new namespaces (and cgroup, on v2). Joined pid and time
 * namespaces are entered "for children" around the call, then restored. */
static int spawn_init(struct launch *l, struct hk_error *err)
{
    _cleanup_close_ int saved_pid = -1, saved_time = -1;
    int r = prepare_timens(l, &saved_time, err);
    if (r < 0)
        return r;
    if (l->ns_fds[OCI_NS_PID] >= 0) {
        saved_pid = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
        if (saved_pid < 0 || setns(l->ns_fds[OCI_NS_PID], CLONE_NEWPID) < 0)
            return hk_error_errno(err, -errno, "join pid namespace '%s'",
                                  spec_namespace(l->spec, OCI_NS_PID)->path);
    }
    /* With a joined user namespace the child makes the new namespaces itself (init.c). */
    bool user_joined = l->ns_fds[OCI_NS_USER] >= 0;
    struct clone_args args = {
        .flags = user_joined ? 0 : l->new_ns,
        .exit_signal = SIGCHLD,
    };
    if (l->cg_entry.clone_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)l->cg_entry.clone_fd;
    }
    long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0)
        init_main(l);
    int e = errno;
    cgroup_entry_close(&l->cg_entry);
    if (saved_pid >= 0)
        setns(saved_pid, CLONE_NEWPID);
    if (saved_time >= 0)
        setns(saved_time, CLONE_NEWTIME);
    if (pid < 0)
        return hk_error_errno(err, -e, "clone the container process");
    l->pid = (pid_t)pid;
    return 0;
}

char *launch_state_json(const struct launch *l, const char *status, pid_t pid)
{
    _cleanup_json_ json_t *j = json_pack("{s:s,s:s,s:s,s:i,s:s}", "ociVersion", OCI_VERSION, "id",
                                         l->id, "status", status, "pid", (int)pid, "bundle",
                                         l->bundle);
    if (l->spec->annotations)
        json_object_set(j, "annotations", l->spec->annotations);
    return json_dump_compact(j);
}

/* When talking to the init failed, it may have failed first: prefer its own report, if one
 * is already waiting (never block: a healthy init is waiting for us). */
static int prefer_child_error(struct launch *l, int r, struct hk_error *err)
{
    struct pollfd p = {.fd = l->sync_parent, .events = POLLIN};
    struct sync_msg m;
    if (poll(&p, 1, 0) == 1 && sync_recv(l->sync_parent, &m, NULL) == 0 && m.type == SYNC_ERROR)
        return hk_error_set(err, m.code ? m.code : -EIO, "%s", m.text);
    return r;
}

/* Let the init go once its id maps are written (it is in its cgroup already). */
static int release_child(struct launch *l, struct hk_error *err)
{
    if (l->new_userns && l->ns_fds[OCI_NS_USER] < 0) {
        const struct oci_linux *lx = &l->spec->linux_;
        int r = write_map(l->pid, "uid_map", lx->uid_mappings, lx->n_uid_mappings, err);
        if (r == 0)
            r = write_map(l->pid, "gid_map", lx->gid_mappings, lx->n_gid_mappings, err);
        if (r < 0)
            return r;
    }
    if (sync_send(l->sync_parent, SYNC_GO, 0, NULL, -1) < 0)
        return prefer_child_error(
            l, hk_error_set(err, -EPIPE, "the container process exited during setup"), err);
    return 0;
}

static int run_create_hooks(struct launch *l, int conn, struct hk_error *err)
{
    _cleanup_free_ char *state = launch_state_json(l, "creating", l->pid);
    const struct oci_hooks *h = &l->spec->hooks;
    int r = hooks_run(h->list[OCI_HOOK_PRESTART], h->n[OCI_HOOK_PRESTART], OCI_HOOK_PRESTART,
                      state, err);
    if (r == 0)
        r = hooks_run(h->list[OCI_HOOK_CREATE_RUNTIME], h->n[OCI_HOOK_CREATE_RUNTIME],
                      OCI_HOOK_CREATE_RUNTIME, state, err);
    if (r < 0)
        return r;
    return sync_send(conn, SYNC_HOOKS_DONE, 0, state, -1);
}

static int handle_listener(struct launch *l, int fd, struct hk_error *err)
{
    _cleanup_free_ char *state = launch_state_json(l, "creating", l->pid);
    int r = seccomp_send_listener(l->seccomp, fd, state, err);
    close(fd);
    if (r < 0)
        return r;
    return sync_send(l->sync_parent, SYNC_SECCOMP_DONE, 0, NULL, -1);
}

/* Serve the child's requests until it reports ready (or fails). */
static int serve_child(struct launch *l, struct hk_error *err)
{
    for (;;) {
        struct sync_msg m;
        int fd = -1;
        int r = sync_recv(l->sync_parent, &m, &fd);
        if (r == -EPIPE)
            return hk_error_set(err, r, "the container process exited during setup");
        if (r < 0)
            return hk_error_errno(err, r, "read from the container process");
        switch (m.type) {
        case SYNC_CHILD_PID:
            waitpid(l->pid, NULL, 0); /* the intermediate process */
            l->pid = m.code;
            break;
        case SYNC_HOOKS:
            r = run_create_hooks(l, l->sync_parent, err);
            break;
        case SYNC_CONSOLE:
            if (fd < 0)
                return hk_error_set(err, -EPROTO, "no pty received from the container");
            if (l->opts->keep_console) {
                l->console_master = fd;
            } else {
                r = l->opts->console_socket ? console_send(l->opts->console_socket, fd, err) : 0;
                close(fd);
            }
            break;
        case SYNC_SECCOMP_FD:
            r = fd >= 0 ? handle_listener(l, fd, err)
                        : hk_error_set(err, -EPROTO, "no seccomp fd received");
            break;
        case SYNC_READY:
            return 0;
        case SYNC_ERROR:
            if (fd >= 0)
                close(fd);
            return hk_error_set(err, m.code ? m.code : -EIO, "%s", m.text);
        default:
            return hk_error_set(err, -EPROTO, "unexpected message %u from the container",
                                m.type);
        }
        if (r < 0)
            return r;
    }
}

/* The socket `start` connects to; made in the state directory, kept open by the init. */
static int make_exec_socket(struct launch *l, struct hk_error *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/exec.sock", l->state_fd);
    l->exec_sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (l->exec_sock < 0)
        return hk_error_errno(err, -errno, "socket");
    if (bind(l->exec_sock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(l->exec_sock, 1) < 0)
        return hk_error_errno(err, -errno, "exec socket");
    return 0;
}

static int record(struct launch *l, struct hk_error *err)
{
    struct container_state st = {
        .id = (char *)l->id, .pid = l->pid, .bundle = l->bundle, .rootfs = l->rootfs,
        .annotations = l->spec->annotations, .cgroup = cgroup_to_json(l->cg),
        .systemd_cgroup = l->rt->systemd_cgroup,
    };
    char created[64];
    st.created = rfc3339_now(created, sizeof(created));
    char pstate;
    int r = proc_start_time(l->pid, &st.pid_start, &pstate);
    if (r < 0) {
        json_decref(st.cgroup);
        return hk_error_errno(err, r, "the container process is gone");
    }
    r = state_save(l->state_fd, &st, err);
    json_decref(st.cgroup);
    if (r < 0)
        return r;
    if (l->opts->pid_file) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", (int)l->pid);
        r = write_file_replace(l->opts->pid_file, buf, (size_t)n, 0644, err);
        if (r < 0)
            return hk_error_prefix(err, r, "--pid-file");
    }
    return 0;
}

static void launch_undo(struct launch *l, int rootfd)
{
    if (l->pid > 0) {
        kill(l->pid, SIGKILL);
        waitpid(l->pid, NULL, 0);
    }
    if (l->cg)
        cgroup_destroy(l->cg, NULL);
    if (l->state_fd >= 0)
        rm_rf_at(rootfd, l->id);
    if (l->console_master >= 0) {
        close(l->console_master);
        l->console_master = -1;
    }
}

void launch_done(struct launch *l)
{
    for (int t = 0; t < OCI_NS_COUNT; t++)
        if (l->ns_fds[t] >= 0)
            close(l->ns_fds[t]);
    if (l->sync_parent >= 0)
        close(l->sync_parent);
    if (l->sync_child >= 0)
        close(l->sync_child);
    if (l->exec_sock >= 0)
        close(l->exec_sock);
    if (l->state_fd >= 0)
        close(l->state_fd);
    if (l->rootfs_fd >= 0)
        close(l->rootfs_fd);
    if (l->console_master >= 0)
        close(l->console_master);
    if (l->dmz_fd >= 0)
        close(l->dmz_fd);
    if (l->spec)
        rootfs_binds_free(l->mount_fds, l->spec->n_mounts);
    seccomp_program_free(l->seccomp);
    cgroup_entry_close(&l->cg_entry);
    cgroup_manager_free(l->cg);
    spec_free(l->spec);
    free(l->bundle);
    free(l->rootfs);
}

static int make_state_dir(struct launch *l, int rootfd, struct hk_error *err)
{
    if (mkdirat(rootfd, l->id, 0700) < 0)
        return errno == EEXIST ? hk_error_set(err, -EEXIST, "container '%s' already exists", l->id)
                               : hk_error_errno(err, -errno, "create state for '%s'", l->id);
    int r = state_dir_open(rootfd, l->id, &l->state_fd, err);
    if (r < 0)
        return r;
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d/config.json", l->state_fd);
    return write_file_replace(path, l->spec->text, strlen(l->spec->text), 0600, err);
}

/* Everything before the clone: nothing here leaves a process behind. */
static int launch_prepare(struct launch *l, int rootfd, struct hk_error *err)
{
    log_debug("create '%s': begin", l->id);
    int r = resolve_bundle(l, err);
    log_debug("create: spec loaded");
    if (r == 0)
        r = plan_namespaces(l, err);
    if (r == 0 && l->spec->linux_.seccomp) {
        _cleanup_free_ char *cache = xasprintf("%s/.seccomp-cache", l->rt->state_root);
        r = seccomp_prepare_cached(l->spec->linux_.seccomp, &l->spec->ctx, cache, &l->seccomp,
                                   err);
    }
    if (r == 0)
        r = make_state_dir(l, rootfd, err);
    failpoint("create-state-dir");
    if (r == 0)
        r = cgroup_create_for_spec(l->id, l->spec, &l->cg, err);
    failpoint("create-cgroup");
    /* The init enters its cgroup as it starts (cgroup.h, struct cgroup_entry). */
    if (r == 0)
        r = cgroup_entry_open(l->cg, &l->cg_entry, err);
    log_debug("create: state and cgroup made");
    if (r == 0)
        r = rootfs_prepare_binds(l->spec, l->bundle,
                                 l->new_userns || l->ns_fds[OCI_NS_USER] >= 0 ||
                                     l->ns_fds[OCI_NS_MOUNT] >= 0,
                                 &l->mount_fds, err);
    if (r == 0)
        r = make_exec_socket(l, err);
    if (r == 0)
        l->dmz_fd = dmz_open(NULL); /* -1: exec directly (no dmz on this architecture) */
    if (r < 0)
        return r;
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
        return hk_error_errno(err, -errno, "socketpair");
    l->sync_parent = sp[0];
    l->sync_child = sp[1];
    return 0;
}

/* Shared by create and run: on success the init waits for start; *l keeps what run needs. */
int launch_run(struct launch *l, struct hk_error *err)
{
    _cleanup_close_ int rootfd = -1;
    int r = state_root_open(l->rt->state_root, &rootfd, err);
    if (r < 0)
        return r;
    r = launch_prepare(l, rootfd, err);
    if (r == 0)
        r = spawn_init(l, err);
    failpoint("create-spawned");
    if (r == 0) {
        close(l->sync_child);
        l->sync_child = -1;
        close(l->exec_sock);
        l->exec_sock = -1;
        r = release_child(l, err);
    }
    log_debug("create: init %d released", (int)l->pid);
    if (r == 0)
        r = serve_child(l, err);
    log_debug("create: init ready");
    failpoint("create-served");
    if (r == 0)
        r = record(l, err);
    log_debug("create: recorded");
    if (r < 0)
        launch_undo(l, rootfd);
    return r;
}

void launch_init(struct launch *l, const struct runtime *rt, const char *id,
                 const struct create_opts *o)
{
    memset(l, 0, sizeof(*l));
    l->rt = rt;
    l->id = id;
    l->opts = o;
    l->state_fd = l->sync_parent = l->sync_child = l->exec_sock = l->console_master = -1;
    l->rootfs_fd = l->dmz_fd = -1;
    l->cg_entry = (struct cgroup_entry){.clone_fd = -1};
    for (int t = 0; t < OCI_NS_COUNT; t++)
        l->ns_fds[t] = -1;
}

int container_create_ex(const struct runtime *rt, const char *id, const struct create_opts *o,
                        struct create_result *ret, struct hk_error *err)
{
    int r = state_check_id(id, err);
    if (r < 0)
        return r;
    if (rt->systemd_cgroup)
        return hk_error_set(err, -EOPNOTSUPP, "--systemd-cgroup is not supported yet");
    struct launch l;
    launch_init(&l, rt, id, o);
    r = launch_run(&l, err);
    if (r == 0 && ret) {
        ret->pid = l.pid;
        ret->console_master = l.console_master;
        l.console_master = -1;
    }
    launch_done(&l);
    return r;
}

int container_create(const struct runtime *rt, const char *id, const struct create_opts *o,
                     struct hk_error *err)
{
    return container_create_ex(rt, id, o, NULL, err);
}
