/* cgroup.h — a container's cgroups, on every layout a host has.
 *
 * Layouts: v1 (one hierarchy per controller), v2 (unified), and hybrid (v1 controllers plus a
 * cgroup2 mount, usually /sys/fs/cgroup/unified, holding the rest — this development machine
 * has hugetlb there). Backends are ops structs, one file each (cgroup-v1.c, cgroup-v2.c);
 * a manager drives one or both.
 *
 * Paths: linux.cgroupsPath absolute is used as given; relative is placed under "/hako"; absent
 * is "/hako/<id>". Never relative to the caller's own cgroup (a runtime started from a service
 * must not nest containers under that service's limits). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "oci/parse.h"
#include "util/error.h"

struct oci_spec;

enum cgroup_layout { CGROUP_LAYOUT_V1, CGROUP_LAYOUT_V2, CGROUP_LAYOUT_HYBRID };

struct cgroup_manager;

int cgroup_layout_detect(enum cgroup_layout *ret, struct hk_error *err);

/* Create the container's cgroup (every hierarchy) and apply linux.resources (may be NULL;
 * parse errors are located through ctx, e.g. "config.json:14: linux.resources.memory.limit:
 * expected an integer"). Limits are written before any process joins (a 512 KiB memory limit
 * could not be set below the usage of a process already inside). Device rules: deny all,
 * linux.resources.devices in order, then runc's defaults (null, zero, full, random, urandom,
 * tty, console, ptmx, pts, tun, mknod of any). On failure nothing is left behind. */
int cgroup_create(const char *id, const char *cgroups_path, const json_t *resources,
                  const struct parse_ctx *ctx, struct cgroup_manager **ret, struct hk_error *err);

/* cgroup_create from a loaded spec: linux.cgroupsPath, linux.resources, and the linux.devices
 * nodes also allowed (rwm) in the device cgroup, as runc does. The call the runtime makes. */
int cgroup_create_for_spec(const char *id, const struct oci_spec *spec,
                           struct cgroup_manager **ret, struct hk_error *err);

/* The manager a create of spec would have made, for a create that died before recording it:
 * each hierarchy's directory counts as made when it exists (cgroup_destroy then removes it,
 * and the parents hako makes when they are empty). Touches nothing. */
int cgroup_adopt_for_spec(const char *id, const struct oci_spec *spec,
                          struct cgroup_manager **ret, struct hk_error *err);

/* The cgroup path ("/hako/<id>"), the same in every hierarchy; and the host's layout. */

const char *cgroup_path(const struct cgroup_manager *m);
enum cgroup_layout cgroup_manager_layout(const struct cgroup_manager *m);

/* Put an existing process into the container's cgroup in every hierarchy, by pid (through
 * cgroup.procs: the kernel's global threadgroup lock, so an RCU grace period each time). New
 * processes go in through struct cgroup_entry below instead. */
int cgroup_enter(struct cgroup_manager *m, pid_t pid, struct hk_error *err);

/* How a new process (the init, an exec'd process) gets into the container's cgroup without
 * the kernel's global threadgroup lock, whose every writer waits for an RCU grace period
 * (8–30 ms here) — the largest single cost of a start on a v1 or hybrid host:
 *   - the parent opens the entry (after cgroup_create_for_spec) and clone3()s the child with
 *     CLONE_INTO_CGROUP into clone_fd (the v2 directory: pure v2, or a hybrid's cgroup2);
 *   - the child, still single-threaded, calls cgroup_entry_self(): it writes "0" into each
 *     v1 hierarchy's `tasks`, which moves only the calling thread and so skips that lock
 *     (Linux ≥ 6.0; older kernels take it and are only slower). The fds were opened by the
 *     host's root, which is what cgroup v1 checks, so this works in a user namespace too.
 * Both close their copies with cgroup_entry_close(). */
#define CGROUP_ENTRY_MAX 16
struct cgroup_entry {
    int clone_fd;                     /* -1: none */
    int tasks[CGROUP_ENTRY_MAX];      /* v1 hierarchies' tasks files, opened O_WRONLY */
    const char *dirs[CGROUP_ENTRY_MAX]; /* their directories, for errors (the manager's) */
    size_t n_tasks;
};
int cgroup_entry_open(const struct cgroup_manager *m, struct cgroup_entry *e,
                      struct hk_error *err);
int cgroup_entry_self(struct cgroup_entry *e, struct hk_error *err);
void cgroup_entry_close(struct cgroup_entry *e);

/* Record in state.json, and the way back (for start/kill/delete/update in later commands). */
json_t *cgroup_to_json(const struct cgroup_manager *m);
int cgroup_from_json(const json_t *j, struct cgroup_manager **ret, struct hk_error *err);

/* Kill what is left in the cgroup (SIGKILL, waiting until empty) and remove it everywhere.
 * Missing directories are fine (idempotent). */
int cgroup_destroy(struct cgroup_manager *m, struct hk_error *err);

/* Send sig to every process in the cgroup (kill --all). */
int cgroup_kill_all(struct cgroup_manager *m, int sig, struct hk_error *err);

/* The pids in the container's cgroup (allocated array). */
int cgroup_pids(struct cgroup_manager *m, pid_t **ret, size_t *ret_n, struct hk_error *err);

/* Freeze (pause) or thaw (resume) every process in the cgroup; waits for the state. */
int cgroup_freeze(struct cgroup_manager *m, bool freeze, struct hk_error *err);
/* "paused" when frozen. */
bool cgroup_is_frozen(struct cgroup_manager *m);

/* Apply linux.resources-shaped JSON (update; `runc update -r` documents are top-level, so
 * errors name "memory.limit", not "linux.resources.memory.limit"). Only what is present is
 * written; device rules only when "devices" is given. */
int cgroup_update(struct cgroup_manager *m, const json_t *resources, const struct parse_ctx *ctx,
                  struct hk_error *err);

/* runc-shaped stats JSON ({"cpu":..., "memory":..., "pids":..., "blkio":..., "hugetlb":...}). */
int cgroup_stats(struct cgroup_manager *m, json_t **ret, struct hk_error *err);

/* Number of OOM kills in the cgroup so far (v1 memory.oom_control oom_kill, v2 memory.events
 * oom_kill). */
int cgroup_oom_count(struct cgroup_manager *m, unsigned long *ret, struct hk_error *err);

/* An fd (O_CLOEXEC, non-blocking, owned by the caller) that becomes readable when the memory
 * controller may have seen an OOM: v1 an eventfd registered through cgroup.event_control on
 * memory.oom_control (also signalled once when the cgroup is removed); v2 an inotify watch on
 * memory.events (also wakes on its other counters). Drain it with read(fd, buf, 4096) and
 * compare cgroup_oom_count() with the last value to count OOM kills. */
int cgroup_oom_event_fd(struct cgroup_manager *m, int *ret_fd, struct hk_error *err);

/* Mount the container's view of cgroupfs at dest inside the (already pivoted-to or not) rootfs
 * dir fd: cgroup2 on v2; a tmpfs with one mount per v1 hierarchy (plus "unified") otherwise.
 * Called in the container's mount and cgroup namespaces. flags are MS_RDONLY etc. */
int cgroup_mount_in(const struct cgroup_manager *m, int rootfd, const char *dest,
                    unsigned long flags, struct hk_error *err);

struct cgroup_manager *cgroup_manager_free(struct cgroup_manager *m);

/* exec --cgroup [CONTROLLER[,CONTROLLER]:]PATH: point the manager's directories (those of the
 * named hierarchies, or all) at an existing sub-cgroup PATH of the container's, as runc does.
 * PATH must be relative and stay below; a missing one is an error. */
int cgroup_manager_descend(struct cgroup_manager *m, const char *spec, struct hk_error *err);
