/* resources.h — linux.resources (OCI runtime-spec 1.2) as a C struct.
 *
 * resources_parse() reads the JSON object config.json carries at linux.resources (or the
 * document `hako-runtime update -r` reads) and validates every value the kernel would otherwise
 * reject late and obscurely: ranges, cpuset lists, hugepage sizes, device rules, unified keys.
 * Errors are located: "config.json:14: linux.resources.memory.swappiness: 120 is out of range".
 *
 * Each optional value carries a has_* flag; a value that is absent (or null) is left to the
 * kernel's default and, on update, left as it is. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "oci/parse.h"
#include "util/error.h"

/* -1 in a major/minor field of a device rule means "any" (written as '*'). */
#define RES_DEV_ANY (-1)

struct res_device_rule {
    bool allow;
    char type;      /* 'a', 'b' or 'c' */
    int64_t major;  /* RES_DEV_ANY for '*' */
    int64_t minor;  /* RES_DEV_ANY for '*' */
    char access[4]; /* a non-empty subset of "rwm", in that order */
};

struct res_memory {
    bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp, has_swappiness;
    int64_t limit;       /* bytes; -1 = unlimited */
    int64_t reservation; /* bytes; -1 = unlimited */
    int64_t swap;        /* memory + swap, bytes (v1 semantics); -1 = unlimited */
    int64_t kernel, kernel_tcp; /* accepted and ignored (kernels >= 5.16 dropped them) */
    uint64_t swappiness; /* 0..100 */
    bool has_disable_oom_killer, disable_oom_killer;
    bool has_use_hierarchy, use_hierarchy;
    bool check_before_update;
};

struct res_cpu {
    bool has_shares, has_quota, has_burst, has_period, has_rt_runtime, has_rt_period, has_idle;
    uint64_t shares; /* 2..262144 (v1 cpu.shares); converted to cpu.weight on v2 */
    int64_t quota;   /* microseconds per period; -1 (or any value <= 0) = unlimited */
    uint64_t burst;  /* microseconds */
    uint64_t period; /* microseconds, 1000..1000000 */
    int64_t rt_runtime;
    uint64_t rt_period;
    int64_t idle;  /* 0 or 1 */
    char *cpus;    /* validated list ("0-3,5"), NULL when absent */
    char *mems;
};

struct res_weight_device {
    int64_t major, minor;
    bool has_weight, has_leaf_weight;
    uint16_t weight, leaf_weight;
};

struct res_throttle_device {
    int64_t major, minor;
    uint64_t rate; /* bytes or operations per second; 0 removes the limit */
};

enum res_throttle_kind {
    RES_THROTTLE_READ_BPS,
    RES_THROTTLE_WRITE_BPS,
    RES_THROTTLE_READ_IOPS,
    RES_THROTTLE_WRITE_IOPS,
    RES_THROTTLE_COUNT
};

struct res_blkio {
    bool has_weight, has_leaf_weight;
    uint16_t weight, leaf_weight; /* 10..1000 */
    struct res_weight_device *weight_devices;
    size_t n_weight_devices;
    struct res_throttle_device *throttle[RES_THROTTLE_COUNT];
    size_t n_throttle[RES_THROTTLE_COUNT];
};

struct res_hugepage {
    char *page_size; /* normalized to the kernel's spelling: "2MB", "1GB", "64KB" */
    uint64_t limit;  /* bytes */
};

struct res_net_prio {
    char *name;
    uint32_t priority;
};

struct res_rdma {
    char *device;
    bool has_hca_handles, has_hca_objects;
    uint32_t hca_handles, hca_objects;
};

struct res_kv {
    char *key, *value;
};

struct oci_resources {
    struct res_device_rule *devices;
    size_t n_devices;
    bool has_memory, has_cpu, has_pids, has_blkio, has_network;
    struct res_memory memory;
    struct res_cpu cpu;
    int64_t pids_limit; /* > 0, or -1 for unlimited (0 and negatives are read as unlimited) */
    struct res_blkio blkio;
    struct res_hugepage *hugepages;
    size_t n_hugepages;
    bool has_class_id;
    uint32_t class_id;
    struct res_net_prio *priorities;
    size_t n_priorities;
    struct res_rdma *rdma;
    size_t n_rdma;
    struct res_kv *unified; /* "unified" key/values for cgroup v2 files */
    size_t n_unified;
};

/* Parse a linux.resources object. jpath is where it sits in the document ("linux.resources"
 * for config.json, "" for an update file) and prefixes every error's JSON path. obj may be
 * NULL (an empty struct results). *ret is freshly allocated on success. */
int resources_parse(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                    struct oci_resources **ret, struct hk_error *err);

struct oci_resources *resources_free(struct oci_resources *r);

/* Whether s is a cpu/memory-node list the kernel accepts: "0-3,5,7-8" (empty allowed). */
bool resources_cpuset_list_valid(const char *s);

/* Parse a hugepage size ("2MB", "2048KB", "1GB") into bytes and its kernel spelling (the
 * name in hugetlb.<size>.* files: the largest unit that divides it). -EINVAL when malformed. */
int resources_hugepage_size(const char *s, uint64_t *ret_bytes, char *ret_name, size_t size);

/* The v1 device-rule text "c 1:3 rwm" (type 'a' gives "a *:* rwm") into buf. */
const char *resources_device_rule_str(const struct res_device_rule *d, char *buf, size_t size);
