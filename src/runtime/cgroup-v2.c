/* cgroup-v2.c — the cgroup v2 backend: one unified hierarchy, controllers enabled per level
 * through cgroup.subtree_control, v2 file names and units. On a hybrid host it drives the
 * controllers that live on the cgroup2 mount (hugetlb on the development machine) and the
 * core features (cgroup.freeze, cgroup.kill, device BPF) that v1 lacks. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>

#include "runtime/cgroup-internal.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"

#define owns(h, c) (((h)->owns & CG_BIT(c)) != 0)

/* Enable in dir's parent every controller of the hierarchy the parent offers, so dir gets
 * the controllers' files. A controller that cannot be enabled (the parent holds processes:
 * the "no internal processes" rule) is left out; writing its files later reports it. */
static int v2_init_dir(const struct cgroup_hier *h, const char *dir, struct hk_error *err)
{
    (void)err;
    _cleanup_free_ char *parent = NULL, *base = NULL, *offered = NULL, *enabled = NULL;
    if (path_split(dir, &parent, &base) < 0)
        return 0;
    if (cg_read(parent, "cgroup.controllers", &offered, NULL) < 0 ||
        cg_read(parent, "cgroup.subtree_control", &enabled, NULL) < 0)
        return 0;
    char *save = NULL;
    for (char *c = strtok_r(offered, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
        int ctrl = cgroup_ctrl_from_name(c, true);
        if (ctrl < 0 || !(h->ctrls & CG_BIT(ctrl)))
            continue;
        _cleanup_free_ char *padded = xasprintf(" %s ", enabled), *needle = xasprintf(" %s ", c);
        if (strstr(padded, needle))
            continue;
        struct hk_error e = {0};
        if (cg_writef(parent, "cgroup.subtree_control", &e, "+%s", c) < 0)
            log_debug("cgroup: %s", hk_error_msg(&e));
    }
    return 0;
}

static int write_max(const char *dir, const char *file, int64_t v, struct hk_error *err)
{
    if (v < 0)
        return cg_write(dir, file, "max", err);
    return cg_writef(dir, file, err, "%" PRId64, v);
}

static int v2_memory(const char *dir, const struct res_memory *mem, bool update,
                     struct hk_error *err)
{
    if (update && mem->check_before_update && mem->has_limit && mem->limit > 0) {
        uint64_t usage = 0;
        if (cg_read_u64(dir, "memory.current", &usage) == 0 && usage > (uint64_t)mem->limit)
            return hk_error_set(err, -EBUSY,
                                "memory.limit %" PRId64 " is below the current usage %" PRIu64
                                " (%s/memory.current)",
                                mem->limit, usage, dir);
    }
    int64_t limit = mem->limit;
    bool limit_set = mem->has_limit;
    if (!limit_set && mem->has_swap) { /* update of swap alone: against the current limit */
        uint64_t cur;
        if (cg_read_u64(dir, "memory.max", &cur) == 0) {
            limit = cur == UINT64_MAX ? -1 : (int64_t)cur;
            limit_set = true;
        }
    }
    char swap[32];
    bool swap_set = false;
    int r = cgroup_swap_v2(limit, mem->has_swap ? mem->swap : 0, limit_set, swap, sizeof(swap),
                           &swap_set, err);
    if (r < 0)
        return hk_error_prefix(err, r, "%s", dir);
    if (swap_set && !cg_has(dir, "memory.swap.max")) {
        log_debug("cgroup: %s: no swap accounting, memory.swap ignored", dir);
        swap_set = false;
    }
    if (mem->has_limit)
        r = write_max(dir, "memory.max", mem->limit, err);
    if (r == 0 && swap_set)
        r = cg_write(dir, "memory.swap.max", swap, err);
    if (r == 0 && mem->has_reservation)
        r = write_max(dir, "memory.low", mem->reservation, err);
    if (mem->has_swappiness || mem->has_disable_oom_killer || mem->has_kernel ||
        mem->has_kernel_tcp || mem->has_use_hierarchy)
        log_debug("cgroup: memory swappiness, disableOOMKiller, kernel, kernelTCP and "
                  "useHierarchy have no cgroup v2 equivalent and are ignored");
    return r;
}

static int v2_cpu(const char *dir, const struct res_cpu *cpu, struct hk_error *err)
{
    int r = 0;
    if (cpu->has_shares)
        r = cg_writef(dir, "cpu.weight", err, "%" PRIu64, cgroup_shares_to_weight(cpu->shares));
    if (r == 0 && (cpu->has_quota || cpu->has_period)) {
        /* cpu.max holds both; an update of one keeps the other. */
        int64_t quota = -1;
        uint64_t period = 100000;
        _cleanup_free_ char *cur = NULL;
        if (cg_read(dir, "cpu.max", &cur, NULL) == 0) {
            char q[32];
            unsigned long long p;
            if (sscanf(cur, "%31s %llu", q, &p) == 2) {
                quota = strcmp(q, "max") == 0 ? -1 : strtoll(q, NULL, 10);
                period = p;
            }
        }
        char buf[64];
        r = cg_write(dir, "cpu.max",
                     cgroup_cpu_max(buf, sizeof(buf), cpu->has_quota ? cpu->quota : quota,
                                    cpu->has_period ? cpu->period : period),
                     err);
    }
    if (r == 0 && cpu->has_burst)
        r = cg_writef(dir, "cpu.max.burst", err, "%" PRIu64, cpu->burst);
    if (r == 0 && cpu->has_idle)
        r = cg_writef(dir, "cpu.idle", err, "%" PRId64, cpu->idle);
    if (cpu->has_rt_period || cpu->has_rt_runtime)
        log_debug("cgroup: realtime limits have no cgroup v2 equivalent and are ignored");
    return r;
}

/* Weights go to io.bfq.weight when BFQ is there (same 10..1000 range, per-device too), else
 * to io.weight converted to its 1..10000 range; throttles are io.max lines. */
static int v2_io(const char *dir, const struct res_blkio *b, struct hk_error *err)
{
    bool bfq = cg_has(dir, "io.bfq.weight");
    int r = 0;
    if (b->has_weight)
        r = bfq ? cg_writef(dir, "io.bfq.weight", err, "%u", b->weight)
                : cg_writef(dir, "io.weight", err, "%" PRIu64,
                            cgroup_blkio_to_io_weight(b->weight));
    for (size_t i = 0; r == 0 && i < b->n_weight_devices; i++) {
        const struct res_weight_device *w = &b->weight_devices[i];
        if (!w->has_weight)
            continue;
        r = bfq ? cg_writef(dir, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u", w->major,
                            w->minor, w->weight)
                : cg_writef(dir, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major,
                            w->minor, cgroup_blkio_to_io_weight(w->weight));
    }
    if (b->has_leaf_weight)
        log_debug("cgroup: blockIO.leafWeight has no cgroup v2 equivalent and is ignored");
    for (int k = 0; k < RES_THROTTLE_COUNT; k++)
        for (size_t i = 0; r == 0 && i < b->n_throttle[k]; i++) {
            char line[96];
            r = cg_write(dir, "io.max",
                         cgroup_io_max_line(line, sizeof(line), &b->throttle[k][i],
                                            (enum res_throttle_kind)k),
                         err);
        }
    return r;
}

static int v2_hugetlb(const char *dir, const struct oci_resources *res, struct hk_error *err)
{
    for (size_t i = 0; i < res->n_hugepages; i++) {
        const struct res_hugepage *hp = &res->hugepages[i];
        _cleanup_free_ char *max = xasprintf("hugetlb.%s.max", hp->page_size);
        _cleanup_free_ char *rsvd = xasprintf("hugetlb.%s.rsvd.max", hp->page_size);
        int r = cg_writef(dir, max, err, "%" PRIu64, hp->limit);
        /* Reservations count too (kernel >= 5.7): limit them alike, as runc does. */
        if (r == 0 && cg_has(dir, rsvd))
            r = cg_writef(dir, rsvd, err, "%" PRIu64, hp->limit);
        if (r < 0)
            return r;
    }
    return 0;
}

/* Whether a "unified" key belongs to this cgroup2 hierarchy: every key on a v2 host; on a
 * hybrid host the core "cgroup.*" files and the controllers mounted there. */
bool cgroup_v2_key_here(const struct cgroup_manager *m, const struct cgroup_hier *h,
                        const char *key)
{
    if (m->layout == CGROUP_LAYOUT_V2 || strncmp(key, "cgroup.", 7) == 0)
        return true;
    _cleanup_free_ char *ctrl = strndup(key, strcspn(key, "."));
    int c = ctrl ? cgroup_ctrl_from_name(ctrl, true) : -1;
    return c >= 0 && (h->ctrls & CG_BIT(c));
}

static int v2_devices(const struct cgroup_manager *m, const struct cgroup_hier *h,
                      const struct oci_resources *res, bool update, struct hk_error *err)
{
    if (update && res->n_devices == 0)
        return 0;
    struct res_device_rule *rules = NULL;
    size_t n = 0;
    int r = cgroup_device_rules(m, res, &rules, &n);
    if (r == 0)
        r = cgroup_devices_v2(h->dir, rules, n, err);
    free(rules);
    return r;
}

static int v2_apply(const struct cgroup_manager *m, const struct cgroup_hier *h,
                    const struct oci_resources *res, bool update, struct hk_error *err)
{
    int r = 0;
    if (owns(h, CG_MEMORY) && res->has_memory)
        r = v2_memory(h->dir, &res->memory, update, err);
    if (r == 0 && owns(h, CG_CPU) && res->has_cpu)
        r = v2_cpu(h->dir, &res->cpu, err);
    if (r == 0 && owns(h, CG_CPUSET) && res->cpu.cpus)
        r = cg_write(h->dir, "cpuset.cpus", res->cpu.cpus, err);
    if (r == 0 && owns(h, CG_CPUSET) && res->cpu.mems)
        r = cg_write(h->dir, "cpuset.mems", res->cpu.mems, err);
    if (r == 0 && owns(h, CG_PIDS) && res->has_pids)
        r = write_max(h->dir, "pids.max", res->pids_limit, err);
    if (r == 0 && owns(h, CG_BLKIO) && res->has_blkio)
        r = v2_io(h->dir, &res->blkio, err);
    if (r == 0 && owns(h, CG_HUGETLB))
        r = v2_hugetlb(h->dir, res, err);
    if (r == 0 && owns(h, CG_RDMA))
        r = cgroup_rdma_apply(h->dir, res, err);
    if (r == 0 && owns(h, CG_DEVICES))
        r = v2_devices(m, h, res, update, err);
    if (m->layout == CGROUP_LAYOUT_V2 && res->has_network)
        log_debug("cgroup: network classID/priorities have no cgroup v2 equivalent, ignored");
    /* Unified keys last, so they can refine anything above. */
    for (size_t i = 0; r == 0 && i < res->n_unified; i++)
        if (cgroup_v2_key_here(m, h, res->unified[i].key))
            r = cg_write(h->dir, res->unified[i].key, res->unified[i].value, err);
    return r;
}

/* --- freezer ---------------------------------------------------------------------------- */

static int v2_frozen(const struct cgroup_hier *h, bool *ret)
{
    uint64_t v = 0;
    int r = cg_read_u64(h->dir, "cgroup.freeze", &v);
    if (r < 0)
        return r;
    *ret = v == 1;
    return 0;
}

/* cgroup.freeze, then wait for cgroup.events to say "frozen 1" (or 0): the kernel freezes
 * tasks asynchronously, as they reach the signal-delivery path. */
static int v2_freeze(const struct cgroup_hier *h, bool freeze, struct hk_error *err)
{
    int r = cg_write(h->dir, "cgroup.freeze", freeze ? "1" : "0", err);
    if (r < 0)
        return r;
    for (int i = 0; i < 5000; i++) {
        uint64_t frozen = 0;
        r = cg_read_keyed(h->dir, "cgroup.events", "frozen", &frozen);
        if (r < 0)
            return hk_error_errno(err, r, "read %s/cgroup.events", h->dir);
        if (frozen == (freeze ? 1 : 0))
            return 0;
        struct timespec ts = {.tv_nsec = i < 100 ? 100000 : 1000000};
        nanosleep(&ts, NULL);
    }
    return hk_error_set(err, -EBUSY, "%s/cgroup.events: not %s after 5 s", h->dir,
                        freeze ? "frozen" : "thawed");
}

/* --- stats ------------------------------------------------------------------------------ */

static void v2_cpu_stats(const struct cgroup_hier *h, json_t *stats)
{
    static const char *const usage_keys[][2] = {
        {"usage_usec", "total"}, {"system_usec", "kernel"}, {"user_usec", "user"}};
    static const char *const throttle_keys[][2] = {{"nr_periods", "periods"},
                                                   {"nr_throttled", "throttledPeriods"},
                                                   {"throttled_usec", "throttledTime"}};
    json_t *cpu = js_obj(stats, "cpu"), *usage = js_obj(cpu, "usage");
    json_t *throttling = js_obj(cpu, "throttling");
    uint64_t v;
    for (size_t i = 0; i < ELEMENTSOF(usage_keys); i++) {
        v = 0;
        (void)cg_read_keyed(h->dir, "cpu.stat", usage_keys[i][0], &v);
        if (i == 0)
            js_u64_nz(usage, usage_keys[i][1], v * 1000);
        else
            js_u64(usage, usage_keys[i][1], v * 1000);
    }
    for (size_t i = 0; i < ELEMENTSOF(throttle_keys); i++)
        if (cg_read_keyed(h->dir, "cpu.stat", throttle_keys[i][0], &v) == 0)
            js_u64_nz(throttling, throttle_keys[i][1], i == 2 ? v * 1000 : v);
}

/* runc reports v2 memory in v1 terms: swap is memory+swap, failcnt is the "max" events. */
static void v2_memory_stats(const struct cgroup_hier *h, json_t *stats)
{
    json_t *mem = js_obj(stats, "memory");
    json_t *usage = js_obj(mem, "usage"), *swap = js_obj(mem, "swap");
    uint64_t cur = 0, max = UINT64_MAX, peak = 0, failcnt = 0;
    (void)cg_read_u64(h->dir, "memory.current", &cur);
    (void)cg_read_u64(h->dir, "memory.max", &max);
    (void)cg_read_u64(h->dir, "memory.peak", &peak);
    (void)cg_read_keyed(h->dir, "memory.events", "max", &failcnt);
    js_u64_nz(usage, "usage", cur);
    js_u64_nz(usage, "max", peak);
    js_u64(usage, "failcnt", failcnt);
    js_u64(usage, "limit", max);
    uint64_t scur = 0, smax = UINT64_MAX;
    if (cg_read_u64(h->dir, "memory.swap.current", &scur) == 0) {
        (void)cg_read_u64(h->dir, "memory.swap.max", &smax);
        js_u64_nz(swap, "usage", scur + cur);
        js_u64(swap, "failcnt", 0);
        js_u64(swap, "limit", smax == UINT64_MAX || max == UINT64_MAX ? UINT64_MAX : smax + max);
    }
    json_t *raw = cgroup_keyed_json(h->dir, "memory.stat");
    js_u64_nz(mem, "cache", (uint64_t)json_integer_value(json_object_get(raw, "file")));
    json_object_set_new(mem, "raw", raw);
}

/* io.stat lines ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...") as runc's v1-shaped entries. */
static void v2_io_stats(const struct cgroup_hier *h, json_t *stats)
{
    static const char *const keys[][3] = {{"rbytes", "Read", "ioServiceBytesRecursive"},
                                          {"wbytes", "Write", "ioServiceBytesRecursive"},
                                          {"rios", "Read", "ioServicedRecursive"},
                                          {"wios", "Write", "ioServicedRecursive"}};
    _cleanup_free_ char *s = NULL;
    if (cg_read(h->dir, "io.stat", &s, NULL) < 0)
        return;
    json_t *blkio = js_obj(stats, "blkio");
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long major, minor;
        if (sscanf(line, "%llu:%llu", &major, &minor) != 2)
            continue;
        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
            _cleanup_free_ char *needle = xasprintf(" %s=", keys[k][0]);
            char *at = strstr(line, needle);
            if (!at)
                continue;
            json_t *list = json_object_get(blkio, keys[k][2]);
            if (!list) {
                list = json_array();
                json_object_set_new(blkio, keys[k][2], list);
            }
            json_array_append_new(list, js_blkio_entry(major, minor, keys[k][1],
                                                       strtoull(at + strlen(needle), NULL, 10)));
        }
    }
}

static void v2_hugetlb_stats(const struct cgroup_hier *h, json_t *stats)
{
    char **sizes = cgroup_hugepage_sizes();
    json_t *hp = js_obj(stats, "hugetlb");
    for (char **s = sizes; s && *s; s++) {
        _cleanup_free_ char *cur = xasprintf("hugetlb.%s.current", *s);
        _cleanup_free_ char *events = xasprintf("hugetlb.%s.events", *s);
        uint64_t usage = 0, failcnt = 0;
        if (cg_read_u64(h->dir, cur, &usage) < 0)
            continue;
        (void)cg_read_keyed(h->dir, events, "max", &failcnt);
        json_t *e = js_obj(hp, *s);
        js_u64_nz(e, "usage", usage);
        js_u64(e, "failcnt", failcnt);
    }
    strv_free(sizes);
}

/* --- OOM -------------------------------------------------------------------------------- */

static int v2_oom_count(const struct cgroup_hier *h, unsigned long *ret, struct hk_error *err)
{
    return cg_read_count(h->dir, "memory.events", "oom_kill", ret, err);
}

/* memory.events is a kernfs file that notifies on change: an inotify IN_MODIFY watch on it
 * wakes on every OOM (and on the other memory events: high, max). */
static int v2_oom_event_fd(const struct cgroup_hier *h, int *ret, struct hk_error *err)
{
    _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0)
        return hk_error_errno(err, -errno, "inotify_init1");
    _cleanup_free_ char *path = xasprintf("%s/memory.events", h->dir);
    if (inotify_add_watch(fd, path, IN_MODIFY) < 0)
        return hk_error_errno(err, -errno, "watch %s", path);
    *ret = TAKE_FD(fd);
    return 0;
}

const struct cgroup_backend cgroup_backend_v2 = {
    .init_dir = v2_init_dir,
    .apply = v2_apply,
    .stats = {[CG_CPU] = v2_cpu_stats,
              [CG_CPUACCT] = v2_cpu_stats,
              [CG_MEMORY] = v2_memory_stats,
              [CG_PIDS] = cgroup_pids_stats,
              [CG_BLKIO] = v2_io_stats,
              [CG_HUGETLB] = v2_hugetlb_stats},
    .freeze = v2_freeze,
    .frozen = v2_frozen,
    .oom_count = v2_oom_count,
    .oom_event_fd = v2_oom_event_fd,
};
