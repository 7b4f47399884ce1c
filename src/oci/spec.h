/* spec.h — the OCI runtime-spec config.json (1.0–1.2) as C structs.
 *
 * spec_load() parses and validates a bundle's config.json; every error names the file, the
 * line, the JSON path and what was expected. Unknown fields are ignored, as the spec asks.
 * linux.resources and linux.seccomp stay as JSON here and are parsed by their own modules
 * (oci/resources.c, oci/seccomp.c) with the same located errors. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/parse.h"
#include "util/error.h"

#define OCI_VERSION "1.2.0"
#define SPEC_MAX_BYTES (16u << 20)

struct oci_idmap {
    uint32_t container_id, host_id, size;
};

struct oci_mount {
    char *destination;
    char *source;
    char *type;
    char **options; /* NULL-terminated */
    struct oci_idmap *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
};

struct oci_rlimit {
    int resource; /* RLIMIT_* */
    uint64_t soft, hard;
};

/* Capability sets as bitmasks of CAP_* numbers. */
struct oci_caps {
    uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct oci_user {
    uid_t uid;
    gid_t gid;
    gid_t *additional_gids;
    size_t n_additional_gids;
    bool has_umask;
    mode_t umask;
    char *username; /* informational */
};

/* process.ioPriority: ioprio_set(IOPRIO_WHO_PROCESS) class (1 RT, 2 BE, 3 IDLE) and level. */
struct oci_io_priority {
    bool set;
    int klass;
    int priority;
};

/* process.scheduler: a sched_setattr(2) request (policy and flags as the kernel numbers them). */
struct oci_scheduler {
    bool set;
    int policy;
    int nice;
    unsigned priority;
    uint64_t flags;
    uint64_t runtime, deadline, period;
};

#define OCI_MAX_NUMA_NODES 1024
#define OCI_NUMA_WORDS (OCI_MAX_NUMA_NODES / 64)

/* linux.memoryPolicy: set_mempolicy(2)'s mode (MPOL_*), mode flags and node mask. */
struct oci_memory_policy {
    bool set;
    int mode;
    unsigned flags;
    bool has_nodes;
    uint64_t nodes[OCI_NUMA_WORDS];
};

struct oci_process {
    bool terminal;
    bool has_console_size;
    unsigned console_height, console_width;
    struct oci_user user;
    char **args; /* NULL-terminated, at least one */
    char **env;  /* NULL-terminated */
    char *cwd;
    bool has_caps;
    struct oci_caps caps;
    struct oci_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    bool has_oom_score_adj;
    int oom_score_adj;
    char *apparmor_profile;
    char *selinux_label;
    struct oci_io_priority io_priority;
    struct oci_scheduler scheduler;
};

enum oci_ns_type {
    OCI_NS_PID,
    OCI_NS_NETWORK,
    OCI_NS_MOUNT,
    OCI_NS_IPC,
    OCI_NS_UTS,
    OCI_NS_USER,
    OCI_NS_CGROUP,
    OCI_NS_TIME,
    OCI_NS_COUNT
};

struct oci_namespace {
    enum oci_ns_type type;
    char *path; /* join this one; NULL = new */
};

struct oci_device {
    char *path;
    char type; /* 'c', 'b', 'u' (= c), 'p' */
    int64_t major, minor;
    bool has_file_mode;
    mode_t file_mode;
    bool has_uid, has_gid;
    uid_t uid;
    gid_t gid;
};

struct oci_hook {
    char *path;
    char **args;
    char **env;
    bool has_timeout;
    int timeout; /* seconds, > 0 */
};

enum oci_hook_kind {
    OCI_HOOK_PRESTART,
    OCI_HOOK_CREATE_RUNTIME,
    OCI_HOOK_CREATE_CONTAINER,
    OCI_HOOK_START_CONTAINER,
    OCI_HOOK_POSTSTART,
    OCI_HOOK_POSTSTOP,
    OCI_HOOK_COUNT
};

struct oci_hooks {
    struct oci_hook *list[OCI_HOOK_COUNT];
    size_t n[OCI_HOOK_COUNT];
};

struct oci_kv {
    char *key, *value;
};

struct oci_time_offset {
    bool set;
    int64_t secs;
    uint32_t nanosecs;
};

struct oci_linux {
    struct oci_namespace *namespaces;
    size_t n_namespaces;
    struct oci_idmap *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
    struct oci_time_offset boottime, monotonic;
    struct oci_device *devices;
    size_t n_devices;
    char *cgroups_path;
    char *rootfs_propagation;
    char **masked_paths;
    char **readonly_paths;
    struct oci_kv *sysctl;
    size_t n_sysctl;
    char *mount_label;
    struct oci_memory_policy memory_policy;
    json_t *resources; /* borrowed from spec->json, parsed by oci/resources.c */
    json_t *seccomp;   /* borrowed from spec->json, parsed by oci/seccomp.c */
};

struct oci_spec {
    char *oci_version;
    char *root_path; /* as written; relative to the bundle when not absolute */
    bool root_readonly;
    struct oci_process *process; /* NULL when absent (allowed for create only by the spec) */
    char *hostname;
    char *domainname;
    struct oci_mount *mounts;
    size_t n_mounts;
    struct oci_hooks hooks;
    struct oci_linux linux_; /* always present on Linux; zeroed when absent */
    bool has_linux;
    json_t *annotations; /* borrowed; object or NULL */
    json_t *json;        /* the whole document (owned) */
    char *text;          /* the file's text, for located errors in later parsers */
    char *file;          /* the file's name as errors show it (ctx.file points here) */
    struct parse_ctx ctx;
};

/* Load and validate <bundle>/config.json. */
int spec_load(const char *bundle, struct oci_spec **ret, struct hk_error *err);
/* Parse from a JSON text (file names it in errors). */
int spec_parse(const char *text, size_t len, const char *file, struct oci_spec **ret,
               struct hk_error *err);
struct oci_spec *spec_free(struct oci_spec *s);

/* Parse a "process" object (config.json's, or exec's --process file). */
int spec_parse_process(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                       struct oci_process **ret, struct hk_error *err);
struct oci_process *process_free(struct oci_process *p);

/* process.ioPriority, process.scheduler and linux.memoryPolicy (oci/sched.c); absent fields
 * leave *ret untouched (set stays false). */
int oci_parse_io_priority(const struct parse_ctx *ctx, const json_t *proc, const char *parent,
                          struct oci_io_priority *ret, struct hk_error *err);
int oci_parse_scheduler(const struct parse_ctx *ctx, const json_t *proc, const char *parent,
                        struct oci_scheduler *ret, struct hk_error *err);
int oci_parse_memory_policy(const struct parse_ctx *ctx, const json_t *lx,
                            struct oci_memory_policy *ret, struct hk_error *err);
/* For the features document's "linux": the names those three fields accept. */
json_t *oci_sched_features(void);

/* Whether process p of this container, once running, could reach the runtime's own binary
 * through /proc/<pid>/exe of a setup process (CVE-2019-5736): it is the host's root (no user
 * namespace) and may hold CAP_SYS_PTRACE, which overrides the non-dumpable guard. */
bool spec_process_can_ptrace(const struct oci_spec *s, const struct oci_process *p);

/* The namespace of that type in the spec, or NULL. */
const struct oci_namespace *spec_namespace(const struct oci_spec *s, enum oci_ns_type type);

/* The namespace that holds sysctl `key` (ipc, network or uts), OCI_NS_COUNT for none. */
enum oci_ns_type spec_sysctl_namespace(const char *key);
/* runc's rules for what only a namespace of the container's own may set: each linux.sysctl
 * key needs one (kernel.hostname never: `hostname` sets it; kernel.domainname must agree with
 * `domainname`; a key no namespace holds is refused), and so does `domainname`. Whether a
 * joined namespace is the caller's own is the runtime's check (it needs the files). */
int spec_check_namespaced(const struct oci_spec *s, struct hk_error *err);

/* "pid", "network", ... and back. */
const char *oci_ns_name(enum oci_ns_type type);
int oci_ns_from_name(const char *name, enum oci_ns_type *ret);
/* CLONE_NEW* flag and /proc/PID/ns/<name> file name for a type. */
int oci_ns_clone_flag(enum oci_ns_type type);
const char *oci_ns_proc_name(enum oci_ns_type type);

const char *oci_hook_name(enum oci_hook_kind kind);

/* Capability name ("CAP_SYS_ADMIN") to number; -EINVAL when unknown. */
int oci_cap_from_name(const char *name);
/* The highest capability this kernel knows (from /proc/sys/kernel/cap_last_cap). */
int oci_cap_last(void);

/* The default config.json `hako-runtime spec` writes (runc's defaults); rootless adds a user
 * namespace mapping the caller's uid/gid. Returns a new reference. */
json_t *spec_default_json(bool rootless);
