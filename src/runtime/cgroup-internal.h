/* cgroup-internal.h — what the cgroup manager (cgroup.c), its layout code (cgroup-layout.c),
 * its backends (cgroup-v1.c, cgroup-v2.c, cgroup-devices.c) and the unit tests share.
 * Nothing outside src/runtime/cgroup*.c and tests/unit/test-cgroup.c includes this.
 *
 * The model: a host has one or more mounted hierarchies (struct cgroup_hier). Each v1
 * hierarchy binds some controllers (one, like "memory", or several, like "cpu,cpuacct", or
 * none, like "name=systemd"); the cgroup2 hierarchy binds whatever its cgroup.controllers
 * lists. The container gets one directory per hierarchy at the same cgroup path. For every
 * controller the manager picks the hierarchy that *owns* it (applies its limits, reads its
 * stats); the backend of that hierarchy (v1 or v2) knows the file names and units. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/resources.h"
#include "runtime/cgroup.h"
#include "util/error.h"

enum cgroup_ctrl {
    CG_CPU,
    CG_CPUACCT,
    CG_CPUSET,
    CG_MEMORY,
    CG_DEVICES,
    CG_FREEZER,
    CG_BLKIO, /* "io" on cgroup2 */
    CG_PIDS,
    CG_HUGETLB,
    CG_NET_CLS,
    CG_NET_PRIO,
    CG_RDMA,
    CG_PERF_EVENT,
    CG_MISC,
    CG_COUNT
};
#define CG_BIT(c) (1u << (c))

/* "cpu", "blkio" (v1) / "io" (v2), ...; and back (-1 when unknown). */
const char *cgroup_ctrl_name(enum cgroup_ctrl c, bool v2);
int cgroup_ctrl_from_name(const char *name, bool v2);

struct cgroup_hier;
struct cgroup_manager;

/* A backend: the file names and units of one cgroup version. Every function acts on the
 * container's directory of one hierarchy (h->dir) and only on the controllers h owns. */
struct cgroup_backend {
    /* Ready a directory hako just created (v1 cpuset: copy cpus/mems from the parent). */
    int (*init_dir)(const struct cgroup_hier *h, const char *dir, struct hk_error *err);
    /* Write the limits of res that belong to the controllers h owns. */
    int (*apply)(const struct cgroup_manager *m, const struct cgroup_hier *h,
                 const struct oci_resources *res, bool update, struct hk_error *err);
    /* Per controller: add its part to a runc-shaped stats object (NULL: nothing to add). */
    void (*stats[CG_COUNT])(const struct cgroup_hier *h, json_t *stats);
    /* Freeze or thaw, waiting for the state (only on a hierarchy owning CG_FREEZER). */
    int (*freeze)(const struct cgroup_hier *h, bool freeze, struct hk_error *err);
    int (*frozen)(const struct cgroup_hier *h, bool *ret);
    /* OOM kills so far, and an fd that becomes readable on memory events (owner of memory). */
    int (*oom_count)(const struct cgroup_hier *h, unsigned long *ret, struct hk_error *err);
    int (*oom_event_fd)(const struct cgroup_hier *h, int *ret, struct hk_error *err);
};

extern const struct cgroup_backend cgroup_backend_v1;
extern const struct cgroup_backend cgroup_backend_v2;

struct cgroup_hier {
    bool v2;
    char *mount;      /* mount point on the host: "/sys/fs/cgroup/memory" */
    char *name;       /* its name in the cgroup tmpfs: "memory", "cpu,cpuacct", "unified" */
    char *options;    /* v1 options naming the hierarchy ("cpu,cpuacct", "name=systemd") */
    unsigned ctrls;   /* controllers bound to the hierarchy (CG_BIT) */
    unsigned owns;    /* of those, the ones the manager drives through this hierarchy */
    char *dir;        /* the container's directory: mount + path */
    int created;      /* how many trailing components of the path hako created here */
    const struct cgroup_backend *ops;
};

struct cgroup_link {
    char *name, *target; /* a symlink in the host's cgroup tmpfs: "cpu" -> "cpu,cpuacct" */
};

struct cgroup_manager {
    enum cgroup_layout layout;
    char *path; /* the cgroup path, the same in every hierarchy: "/hako/<id>" */
    struct cgroup_hier *hiers;
    size_t n_hiers;
    struct cgroup_link *links;
    size_t n_links;
    struct res_device_rule *extra_devices; /* linux.devices nodes, allowed rwm */
    size_t n_extra_devices;
    struct oci_resources *pending; /* planned, not yet made (between plan and realize) */
};

/* --- layout (cgroup-layout.c) ------------------------------------------------------------ */

/* Parse /proc/self/mountinfo text into hierarchies (mount, name, options, ctrls of v1; v2
 * ctrls are read later from cgroup.controllers). One entry per superblock. */
int cgroup_parse_mountinfo(const char *text, struct cgroup_hier **ret, size_t *ret_n,
                           struct hk_error *err);
/* The layout those hierarchies make, and which of them the manager uses (drops the rest:
 * named-only v1 hierarchies on a v2 host). -ENOENT when there is no cgroup filesystem. */
int cgroup_layout_of(struct cgroup_hier *hiers, size_t *n, enum cgroup_layout *ret,
                     struct hk_error *err);
/* Decide which hierarchy owns each controller (sets hiers[].owns) for the layout. */
void cgroup_assign_owners(enum cgroup_layout layout, struct cgroup_hier *hiers, size_t n);
/* Detect the host's hierarchies: mountinfo, cgroup2 controllers, tmpfs symlinks. */
int cgroup_detect(struct cgroup_manager *m, struct hk_error *err);

/* The container's cgroup path: absolute cgroups_path as given, relative under /hako, absent
 * "/hako/<id>". Cleaned lexically; the root cgroup itself is refused. */
int cgroup_path_resolve(const char *id, const char *cgroups_path, char **ret,
                        struct hk_error *err);

/* The layout part of state.json (cgroup_to_json), and back into m (layout, path, hierarchies
 * with their directories and owners, links; nothing opened). */
int cgroup_layout_from_json(const json_t *j, struct cgroup_manager *m, struct hk_error *err);

void cgroup_hier_clear(struct cgroup_hier *h);
/* The hierarchy owning c, or NULL. */
struct cgroup_hier *cgroup_owner(const struct cgroup_manager *m, enum cgroup_ctrl c);
/* The hierarchy whose cgroup.procs lists the container's processes for ps/kill. */
struct cgroup_hier *cgroup_primary(const struct cgroup_manager *m);

/* Whether a "unified" key belongs to the cgroup2 hierarchy h (cgroup-v2.c). */
bool cgroup_v2_key_here(const struct cgroup_manager *m, const struct cgroup_hier *h,
                        const char *key);

/* --- files (cgroup-files.c) -------------------------------------------------------------- */

/* Write value to dir/file. Error: "write <dir>/<file>: <strerror>". */
int cg_write(const char *dir, const char *file, const char *value, struct hk_error *err);
int cg_writef(const char *dir, const char *file, struct hk_error *err, const char *fmt, ...)
    _printf_(4, 5);
/* Read dir/file (at most 1 MiB), trailing newlines stripped. */
int cg_read(const char *dir, const char *file, char **ret, struct hk_error *err);
/* A file holding one number; "max" reads as UINT64_MAX. */
int cg_read_u64(const char *dir, const char *file, uint64_t *ret);
/* The value of "key N" in a flat keyed file (memory.stat, cpu.stat, memory.events). */
int cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *ret);
/* cg_read_keyed with a located error, for counters (oom_kill). */
int cg_read_count(const char *dir, const char *file, const char *key, unsigned long *ret,
                  struct hk_error *err);
bool cg_has(const char *dir, const char *file);
/* Every pid in dir's cgroup.procs, and in its descendants' when recursive. */
int cg_read_pids(const char *dir, bool recursive, pid_t **ret, size_t *ret_n,
                 struct hk_error *err);

/* Stats JSON helpers: numbers above INT64_MAX are clamped (jansson holds signed 64 bits). */
json_t *js_obj(json_t *parent, const char *key);
void js_u64(json_t *o, const char *key, uint64_t v);
/* Like js_u64 but leaves zero out, as runc's `omitempty` does. */
void js_u64_nz(json_t *o, const char *key, uint64_t v);
/* One runc BlkioEntry {major, minor, op, value} (zeros left out). */
json_t *js_blkio_entry(uint64_t major, uint64_t minor, const char *op, uint64_t value);
/* runc's "pids" stats {current, limit} from pids.current/pids.max (same on v1 and v2). */
void cgroup_pids_stats(const struct cgroup_hier *h, json_t *stats);

/* Every "key N" line of a flat keyed file (memory.stat) into a JSON object (cgroup-v1.c). */
json_t *cgroup_keyed_json(const char *dir, const char *file);
/* rdma.max lines for res->rdma; the same on v1 and v2 (cgroup-v1.c). */
int cgroup_rdma_apply(const char *dir, const struct oci_resources *res, struct hk_error *err);
/* The huge page sizes this kernel has, in hugetlb file spelling ("2MB"), NULL-terminated. */
char **cgroup_hugepage_sizes(void);

/* --- conversions (cgroup-files.c) -------------------------------------------------------- */

/* cpu.shares (2..262144) to cpu.weight (1..10000), as runc and crun convert. 0 stays 0. */
uint64_t cgroup_shares_to_weight(uint64_t shares);
/* blkio.weight (10..1000) to io.weight (1..10000). 0 stays 0. */
uint64_t cgroup_blkio_to_io_weight(uint64_t weight);
/* One io.max line: "8:0 rbps=1048576" (rate 0 writes "max", removing the limit). */
const char *cgroup_io_max_line(char *buf, size_t size, const struct res_throttle_device *t,
                               enum res_throttle_kind kind);
/* cpu.max for quota/period ("max 100000" when quota <= 0). */
const char *cgroup_cpu_max(char *buf, size_t size, int64_t quota, uint64_t period);
/* memory.swap.max from OCI memory+swap semantics: -1 = "max", else swap - limit.
 * -EINVAL (with a message) when the pair makes no sense. *ret_set false: leave it alone. */
int cgroup_swap_v2(int64_t limit, int64_t swap, bool limit_set, char *buf, size_t size,
                   bool *ret_set, struct hk_error *err);

/* --- devices (cgroup-devices.c) ---------------------------------------------------------- */

/* The rules a container gets: deny all, the spec's, the defaults runc and crun add (mknod of
 * any device; null, zero, full, random, urandom, tty, console, ptmx, pts, tun), then the
 * manager's extra rules (the linux.devices nodes). */
int cgroup_device_rules(const struct cgroup_manager *m, const struct oci_resources *res,
                        struct res_device_rule **ret, size_t *ret_n);
/* v1: write rules to devices.allow/devices.deny in order. */
int cgroup_devices_v1(const char *dir, const struct res_device_rule *rules, size_t n,
                      struct hk_error *err);
/* v2: build the BPF_PROG_TYPE_CGROUP_DEVICE program for rules (last match wins, default
 * deny) into an allocated instruction array (struct bpf_insn). */
int cgroup_bpf_device_prog(const struct res_device_rule *rules, size_t n, void **ret_insns,
                           size_t *ret_n);
/* v2: load that program and attach it to dir (BPF_F_ALLOW_MULTI), then detach any device
 * program attached before it, so an update replaces rather than stacks. */
int cgroup_devices_v2(const char *dir, const struct res_device_rule *rules, size_t n,
                      struct hk_error *err);
