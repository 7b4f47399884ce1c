/* launch.h — what the runtime (parent) and the container's init (child) share while a
 * container is being created. Internal to src/runtime. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "oci/spec.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"

struct cgroup_manager;
struct seccomp_program;

struct launch {
    const struct runtime *rt;
    const char *id;
    const struct create_opts *opts;
    struct oci_spec *spec;
    char *bundle; /* absolute */
    char *rootfs; /* absolute */
    int rootfs_fd; /* O_PATH, opened before the clone */
    int state_fd; /* the container's state directory (locked) */
    struct cgroup_manager *cg;
    struct cgroup_entry cg_entry; /* opened before the clone; the init joins through it */
    struct seccomp_program *seccomp;
    int ns_fds[OCI_NS_COUNT]; /* namespaces to join (-1: none) */
    unsigned long new_ns;     /* CLONE_NEW* flags the init gets (cgroup and time excluded) */
    bool new_userns;
    bool new_cgroupns;
    int sync_parent, sync_child; /* the socketpair's ends */
    int exec_sock;               /* listening socket start connects to (child keeps it) */
    pid_t pid;                   /* the init, as the parent sees it */
    int console_master;          /* kept when opts->keep_console */
    int dmz_fd;                  /* sealed hako-dmz the init execs through (-1: none) */
    int *mount_fds;              /* per mount: its prepared bind tree, or -1 */
};

/* Set up *l for one create (all fds -1), run it, and release what it holds. launch_run
 * returns with the init waiting for start; on failure nothing is left behind. */
void launch_init(struct launch *l, const struct runtime *rt, const char *id,
                 const struct create_opts *o);
int launch_run(struct launch *l, struct hk_error *err);
/* The state hooks get on stdin: ociVersion, id, status, pid, bundle and annotations, as
 * runc passes them. */
char *launch_state_json(const struct launch *l, const char *status, pid_t pid);
void launch_done(struct launch *l);

/* The child: never returns. Reports failures through l->sync_child as data. */
_noreturn_ void init_main(struct launch *l);
