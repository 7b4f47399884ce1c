/* specgen.h — the OCI config.json of a container, from its docker-shaped Config (already
 * merged with the image's) and HostConfig, plus Docker's defaults: its capability set,
 * masked and read-only paths, /dev/shm of 64m, the /etc files bind-mounted, cgroupsPath
 * /hako/<id>, a network namespace of its own unless --network host. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine/user.h"
#include "util/error.h"

/* Docker's default capabilities (moby oci/caps/defaults.go), as a bitmask of CAP_* numbers. */
unsigned long long specgen_default_caps(void);

/* The inits whose namespaces a container joins (--network/--pid/--ipc container:REF; 0: its
 * own or the host's). */
struct specgen_donors {
    pid_t net, pid, ipc;
};

struct specgen {
    const char *id;
    const char *cgroup_parent; /* cgroupsPath is <cgroup_parent>/<id>; NULL: /hako */
    const json_t *config;      /* Config: Hostname, Env, Entrypoint, Cmd, WorkingDir, Tty, ... */
    const json_t *host_config; /* HostConfig: Memory, Binds, Tmpfs, CapAdd, ... */
    const char *dir;           /* the container's directory: hostname, hosts, resolv.conf */
    const char *net_dir;       /* hosts and resolv.conf from here instead (container:X: X's) */
    const struct user_ids *user;
    const char *init_path;      /* host path of hako-init, bind-mounted for --init */
    const char *seccomp;        /* the linux.seccomp object as JSON text; NULL: unconfined */
    const char *apparmor;       /* process.apparmorProfile; NULL: none (AppArmor off) */
    bool can_raise_rlimits;     /* we hold CAP_SYS_RESOURCE: hard limits may go up */
    struct specgen_donors donors;
    const char *shm_path;       /* what /dev/shm binds (--ipc shareable|container:); NULL: a
                                   tmpfs of its own (or none: --ipc none|host) */
    const json_t *mounts;       /* the user's OCI mounts (mounts_plan: -v, --mount, volumes) */
};

/* Build config.json. Limits the container could not get (a ulimit above the host's hard
 * limit without CAP_SYS_RESOURCE) are clamped and a line explaining each is appended to
 * warnings (an array of strings, may be NULL). Errors (no command, a bad capability name) are
 * -EINVAL with docker's words. */
int specgen_build(const struct specgen *in, json_t **ret, json_t *warnings,
                  struct hk_error *err);

/* Point spec's joined namespaces at these
 * donors' current inits: the donor may have restarted since config.json was written. */
void specgen_set_donors(json_t *spec, const struct specgen_donors *d);

/* linux.resources from HostConfig's limits (Memory, MemorySwap, NanoCpus, CpuShares,
 * PidsLimit, ...), as create writes them and update applies them. New reference. */
json_t *specgen_resources(const json_t *host_config);

/* The process arguments: Entrypoint + Cmd (with --init, hako-init and "--" before them). */
json_t *specgen_args(const json_t *config, bool init);
