/* cgroup-v1.c — the cgroup v1 backend: one hierarchy per controller (or per group of
 * controllers mounted together), the file names and units of the legacy interface. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>

#include "runtime/cgroup-internal.h"
#include "util/fs.h"
#include "util/log.h"
#include "oci/parse.h"
#include "util/path.h"

#define owns(h, c) (((h)->owns & CG_BIT(c)) != 0)

/* A new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and a task cannot join
 * it (ENOSPC) until both are set: copy them from the parent. */
static int v1_init_dir(const struct cgroup_hier *h, const char *dir, struct hk_error *err)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    if (!(h->ctrls & CG_BIT(CG_CPUSET)))
        return 0;
    _cleanup_free_ char *parent = NULL, *base = NULL;
    int r = path_split(dir, &parent, &base);
    if (r < 0)
        return hk_error_errno(err, r, "cgroup directory '%s'", dir);
    for (size_t i = 0; i < ELEMENTSOF(files); i++) {
        _cleanup_free_ char *mine = NULL, *theirs = NULL;
        r = cg_read(dir, files[i], &mine, err);
        if (r == 0 && mine[0] == '\0')
            r = cg_read(parent, files[i], &theirs, err);
        if (r == 0 && theirs)
            r = cg_write(dir, files[i], theirs, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, struct hk_error *err)
{
    return cg_writef(dir, file, err, "%" PRId64, v);
}

/* memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes at every step, so the order
 * of the two writes depends on whether the pair grows or shrinks (runc does the same). */
static int v1_memory_limits(const char *dir, const struct res_memory *mem, struct hk_error *err)
{
    bool has_memsw = cg_has(dir, "memory.memsw.limit_in_bytes");
    bool set_swap = mem->has_swap && has_memsw;
    int64_t swap = mem->swap;
    if (mem->has_swap && !has_memsw)
        log_debug("cgroup: %s: no swap accounting, memory.swap ignored", dir);
    if (mem->has_limit && mem->limit == -1 && !mem->has_swap && has_memsw) {
        set_swap = true; /* unlimited memory, swap not given: unlimited swap too */
        swap = -1;
    }
    bool swap_first = false;
    uint64_t limit = 0;
    if (set_swap && !mem->has_limit && swap != -1 &&
        cg_read_u64(dir, "memory.limit_in_bytes", &limit) == 0 && (uint64_t)swap < limit)
        return hk_error_set(err, -EINVAL,
                            "memory.swap %" PRId64 " is below the memory limit %" PRIu64
                            " (%s/memory.limit_in_bytes; swap counts memory plus swap)",
                            swap, limit, dir);
    if (set_swap && mem->has_limit) {
        uint64_t cur = 0;
        int r = cg_read_u64(dir, "memory.memsw.limit_in_bytes", &cur);
        if (r < 0)
            return hk_error_errno(err, r, "read %s/memory.memsw.limit_in_bytes", dir);
        swap_first = swap == -1 || (uint64_t)swap > cur;
    }
    int r = 0;
    if (set_swap && swap_first)
        r = write_i64(dir, "memory.memsw.limit_in_bytes", swap, err);
    if (r == 0 && mem->has_limit)
        r = write_i64(dir, "memory.limit_in_bytes", mem->limit, err);
    if (r == 0 && set_swap && !swap_first)
        r = write_i64(dir, "memory.memsw.limit_in_bytes", swap, err);
    return r;
}

static int v1_memory(const char *dir, const struct res_memory *mem, bool update,
                     struct hk_error *err)
{
    if (update && mem->check_before_update && mem->has_limit && mem->limit > 0) {
        uint64_t usage = 0;
        if (cg_read_u64(dir, "memory.usage_in_bytes", &usage) == 0 &&
            usage > (uint64_t)mem->limit)
            return hk_error_set(err, -EBUSY,
                                "memory.limit %" PRId64 " is below the current usage %" PRIu64
                                " (%s/memory.usage_in_bytes)",
                                mem->limit, usage, dir);
    }
    int r = v1_memory_limits(dir, mem, err);
    if (r == 0 && mem->has_reservation)
        r = write_i64(dir, "memory.soft_limit_in_bytes", mem->reservation, err);
    if (r == 0 && mem->has_swappiness)
        r = cg_writef(dir, "memory.swappiness", err, "%" PRIu64, mem->swappiness);
    if (r == 0 && mem->has_disable_oom_killer)
        r = cg_write(dir, "memory.oom_control", mem->disable_oom_killer ? "1" : "0", err);
    /* The kernel limit is gone from kernels >= 6.1 (the spec lets it be ignored); the TCP
     * buffer limit is still there on v1. */
    if (mem->has_kernel)
        log_debug("cgroup: memory.kernel is ignored (kernel memory is always accounted)");
    if (r == 0 && mem->has_kernel_tcp) {
        if (!cg_has(dir, "memory.kmem.tcp.limit_in_bytes"))
            return hk_error_set(err, -EOPNOTSUPP,
                                "linux.resources.memory.kernelTCP: this kernel has no "
                                "memory.kmem.tcp.limit_in_bytes");
        r = write_i64(dir, "memory.kmem.tcp.limit_in_bytes", mem->kernel_tcp, err);
    }
    if (mem->has_use_hierarchy)
        log_debug("cgroup: memory.useHierarchy is ignored (always on since kernel 6.0)");
    return r;
}

/* The realtime budget (cpu.rt_runtime_us) the children of dir hold, but for the one named
 * skip; -errno when the directory cannot be read. */
static int rt_children_sum(const char *dir, const char *skip, int64_t *ret)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    int64_t sum = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.' || strcmp(de->d_name, skip) == 0)
            continue;
        _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
        uint64_t v;
        if (cg_read_u64(sub, "cpu.rt_runtime_us", &v) == 0 && v != UINT64_MAX)
            sum += (int64_t)v;
    }
    closedir(d);
    *ret = sum;
    return 0;
}

/* A new v1 cpu cgroup gets no realtime budget (cpu.rt_runtime_us 0), and a child can get no
 * more than its parent has left, so a container's realtimeRuntime under /hako failed with
 * EINVAL. Like docker's daemon (its initCPURtController), give each level above the leaf
 * that hako manages ("/hako" and the levels it created) what the leaf asks for plus what
 * its other children already hold, top down; never lower a budget. What the host's own
 * levels cannot give stays the kernel's EINVAL, explained. */
static int v1_rt_budget(const struct cgroup_hier *h, int64_t need, struct hk_error *err)
{
    const char *path = h->dir + strlen(h->mount); /* "/hako/<id>" or deeper */
    size_t len = strlen(path);
    int levels = 0;
    for (size_t i = 1; i < len; i++)
        levels += path[i] == '/';
    /* levels = components above the leaf; the top h->created of the path (leaf included)
     * were made by hako, and "/hako" is always hako's. */
    for (size_t i = 1, level = 0; i < len; i++) {
        if (path[i] != '/')
            continue;
        level++;
        bool ours = level == 1 || (int)(levels + 1 - level) < h->created;
        _cleanup_free_ char *dir = xasprintf("%s%.*s", h->mount, (int)i, path);
        if (!ours)
            continue;
        const char *child = path + i + 1;
        size_t child_len = strcspn(child, "/");
        _cleanup_free_ char *child_name = xasprintf("%.*s", (int)child_len, child);
        int64_t others = 0;
        uint64_t cur = 0;
        if (rt_children_sum(dir, child_name, &others) < 0 ||
            cg_read_u64(dir, "cpu.rt_runtime_us", &cur) < 0)
            continue;
        if ((int64_t)cur >= others + need)
            continue;
        int r = write_i64(dir, "cpu.rt_runtime_us", others + need, err);
        if (r < 0)
            return hk_error_prefix(err, r,
                                   "linux.resources.cpu.realtimeRuntime: %" PRId64
                                   " us does not fit the realtime budget of the parent cgroups",
                                   need);
    }
    return 0;
}

static int v1_cpu(const struct cgroup_hier *h, const struct res_cpu *cpu, struct hk_error *err)
{
    const char *dir = h->dir;
    int r = 0;
    if (cpu->has_shares)
        r = cg_writef(dir, "cpu.shares", err, "%" PRIu64, cpu->shares);
    /* The period first: a quota is checked against the period in place. */
    if (r == 0 && cpu->has_period)
        r = cg_writef(dir, "cpu.cfs_period_us", err, "%" PRIu64, cpu->period);
    if (r == 0 && cpu->has_quota)
        r = write_i64(dir, "cpu.cfs_quota_us", cpu->quota > 0 ? cpu->quota : -1, err);
    if (r == 0 && cpu->has_burst)
        r = cg_writef(dir, "cpu.cfs_burst_us", err, "%" PRIu64, cpu->burst);
    bool rt = cg_has(dir, "cpu.rt_runtime_us");
    if (!rt && (cpu->has_rt_period || cpu->has_rt_runtime))
        log_debug("cgroup: realtime limits ignored (kernel without CONFIG_RT_GROUP_SCHED)");
    if (r == 0 && rt && cpu->has_rt_period)
        r = cg_writef(dir, "cpu.rt_period_us", err, "%" PRIu64, cpu->rt_period);
    if (r == 0 && rt && cpu->has_rt_runtime && cpu->rt_runtime > 0)
        r = v1_rt_budget(h, cpu->rt_runtime, err);
    if (r == 0 && rt && cpu->has_rt_runtime)
        r = write_i64(dir, "cpu.rt_runtime_us", cpu->rt_runtime, err);
    if (r == 0 && cpu->has_idle)
        r = write_i64(dir, "cpu.idle", cpu->idle, err);
    return r;
}

static int v1_cpuset(const char *dir, const struct res_cpu *cpu, struct hk_error *err)
{
    int r = 0;
    if (cpu->cpus)
        r = cg_write(dir, "cpuset.cpus", cpu->cpus, err);
    if (r == 0 && cpu->mems)
        r = cg_write(dir, "cpuset.mems", cpu->mems, err);
    return r;
}

/* The weight files of the scheduler in use: CFQ's blkio.weight, or BFQ's blkio.bfq.weight. */
static const char *v1_weight_file(const char *dir, bool device)
{
    if (cg_has(dir, "blkio.weight"))
        return device ? "blkio.weight_device" : "blkio.weight";
    if (cg_has(dir, "blkio.bfq.weight"))
        return device ? "blkio.bfq.weight_device" : "blkio.bfq.weight";
    return NULL;
}

static int v1_blkio(const char *dir, const struct res_blkio *b, struct hk_error *err)
{
    static const char *const throttle[RES_THROTTLE_COUNT] = {
        "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
    int r = 0;
    if ((b->has_weight || b->n_weight_devices) && !v1_weight_file(dir, false))
        return hk_error_set(err, -EOPNOTSUPP,
                            "%s: blockIO weights need the CFQ or BFQ I/O scheduler "
                            "(no blkio.weight or blkio.bfq.weight)",
                            dir);
    if (b->has_weight)
        r = cg_writef(dir, v1_weight_file(dir, false), err, "%u", b->weight);
    if (r == 0 && b->has_leaf_weight) {
        if (cg_has(dir, "blkio.leaf_weight"))
            r = cg_writef(dir, "blkio.leaf_weight", err, "%u", b->leaf_weight);
        else
            log_debug("cgroup: blockIO.leafWeight ignored (no blkio.leaf_weight)");
    }
    for (size_t i = 0; r == 0 && i < b->n_weight_devices; i++) {
        const struct res_weight_device *w = &b->weight_devices[i];
        if (w->has_weight)
            r = cg_writef(dir, v1_weight_file(dir, true), err, "%" PRId64 ":%" PRId64 " %u",
                          w->major, w->minor, w->weight);
        if (r == 0 && w->has_leaf_weight && cg_has(dir, "blkio.leaf_weight_device"))
            r = cg_writef(dir, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %u",
                          w->major, w->minor, w->leaf_weight);
    }
    for (int k = 0; k < RES_THROTTLE_COUNT; k++)
        for (size_t i = 0; r == 0 && i < b->n_throttle[k]; i++) {
            const struct res_throttle_device *t = &b->throttle[k][i];
            r = cg_writef(dir, throttle[k], err, "%" PRId64 ":%" PRId64 " %" PRIu64, t->major,
                          t->minor, t->rate);
        }
    return r;
}

static int v1_hugetlb(const char *dir, const struct oci_resources *res, struct hk_error *err)
{
    for (size_t i = 0; i < res->n_hugepages; i++) {
        _cleanup_free_ char *file = xasprintf("hugetlb.%s.limit_in_bytes",
                                              res->hugepages[i].page_size);
        int r = cg_writef(dir, file, err, "%" PRIu64, res->hugepages[i].limit);
        if (r < 0)
            return r;
    }
    return 0;
}

static int v1_network(const struct cgroup_hier *h, const struct oci_resources *res,
                      struct hk_error *err)
{
    int r = 0;
    if (owns(h, CG_NET_CLS) && res->has_class_id)
        r = cg_writef(h->dir, "net_cls.classid", err, "%" PRIu32, res->class_id);
    for (size_t i = 0; r == 0 && owns(h, CG_NET_PRIO) && i < res->n_priorities; i++)
        r = cg_writef(h->dir, "net_prio.ifpriomap", err, "%s %" PRIu32, res->priorities[i].name,
                      res->priorities[i].priority);
    return r;
}

int cgroup_rdma_apply(const char *dir, const struct oci_resources *res, struct hk_error *err)
{
    for (size_t i = 0; i < res->n_rdma; i++) {
        const struct res_rdma *d = &res->rdma[i];
        char handles[32] = "", objects[32] = "";
        if (d->has_hca_handles)
            snprintf(handles, sizeof(handles), " hca_handle=%" PRIu32, d->hca_handles);
        if (d->has_hca_objects)
            snprintf(objects, sizeof(objects), " hca_object=%" PRIu32, d->hca_objects);
        if (!handles[0] && !objects[0])
            continue;
        int r = cg_writef(dir, "rdma.max", err, "%s%s%s", d->device, handles, objects);
        if (r < 0)
            return r;
    }
    return 0;
}

static int v1_devices(const struct cgroup_manager *m, const char *dir,
                      const struct oci_resources *res, bool update, struct hk_error *err)
{
    if (update && res->n_devices == 0)
        return 0;
    struct res_device_rule *rules = NULL;
    size_t n = 0;
    int r = cgroup_device_rules(m, res, &rules, &n);
    if (r == 0)
        r = cgroup_devices_v1(dir, rules, n, err);
    free(rules);
    return r;
}

static int v1_apply(const struct cgroup_manager *m, const struct cgroup_hier *h,
                    const struct oci_resources *res, bool update, struct hk_error *err)
{
    int r = 0;
    if (owns(h, CG_MEMORY) && res->has_memory)
        r = v1_memory(h->dir, &res->memory, update, err);
    if (r == 0 && owns(h, CG_CPU) && res->has_cpu)
        r = v1_cpu(h, &res->cpu, err);
    if (r == 0 && owns(h, CG_CPUSET) && res->has_cpu)
        r = v1_cpuset(h->dir, &res->cpu, err);
    if (r == 0 && owns(h, CG_PIDS) && res->has_pids)
        r = res->pids_limit > 0 ? write_i64(h->dir, "pids.max", res->pids_limit, err)
                                : cg_write(h->dir, "pids.max", "max", err);
    if (r == 0 && owns(h, CG_BLKIO) && res->has_blkio)
        r = v1_blkio(h->dir, &res->blkio, err);
    if (r == 0 && owns(h, CG_HUGETLB))
        r = v1_hugetlb(h->dir, res, err);
    if (r == 0 && owns(h, CG_DEVICES))
        r = v1_devices(m, h->dir, res, update, err);
    if (r == 0)
        r = v1_network(h, res, err);
    if (r == 0 && owns(h, CG_RDMA))
        r = cgroup_rdma_apply(h->dir, res, err);
    return r;
}

/* --- freezer ---------------------------------------------------------------------------- */

static int v1_frozen(const struct cgroup_hier *h, bool *ret)
{
    _cleanup_free_ char *state = NULL;
    int r = cg_read(h->dir, "freezer.state", &state, NULL);
    if (r < 0)
        return r;
    *ret = strcmp(state, "FROZEN") == 0;
    return 0;
}

static void sleep_us(long us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* Write the state and wait for the freezer to reach it. A freeze can stay in FREEZING while
 * a task sits in an uninterruptible sleep (or vfork); like runc, thaw and retry a few times
 * before giving up, so a failed pause never leaves the container half frozen. */
static int v1_freeze(const struct cgroup_hier *h, bool freeze, struct hk_error *err)
{
    const char *want = freeze ? "FROZEN" : "THAWED";
    for (int attempt = 0; attempt < 50; attempt++) {
        int r = cg_write(h->dir, "freezer.state", want, err);
        if (r < 0)
            return r;
        for (int i = 0; i < 100; i++) {
            _cleanup_free_ char *state = NULL;
            r = cg_read(h->dir, "freezer.state", &state, err);
            if (r < 0)
                return r;
            if (strcmp(state, want) == 0)
                return 0;
            sleep_us(i < 10 ? 100 : 1000);
        }
        if (freeze)
            (void)cg_write(h->dir, "freezer.state", "THAWED", NULL);
    }
    return hk_error_set(err, -EBUSY, "%s/freezer.state: did not become %s", h->dir, want);
}

/* --- stats ------------------------------------------------------------------------------ */

static json_t *u64_list(const char *dir, const char *file)
{
    _cleanup_free_ char *s = NULL;
    if (cg_read(dir, file, &s, NULL) < 0)
        return NULL;
    json_t *a = json_array();
    for (char *p = s, *end;; p = end) {
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p)
            break;
        json_array_append_new(a, json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v));
    }
    return a;
}

static void v1_cpuacct_stats(const struct cgroup_hier *h, json_t *stats)
{
    static const char *const lists[][2] = {{"cpuacct.usage_percpu", "percpu"},
                                           {"cpuacct.usage_percpu_sys", "percpu_kernel"},
                                           {"cpuacct.usage_percpu_user", "percpu_user"}};
    json_t *usage = js_obj(js_obj(stats, "cpu"), "usage");
    uint64_t v;
    if (cg_read_u64(h->dir, "cpuacct.usage", &v) == 0)
        js_u64_nz(usage, "total", v);
    for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
        json_t *a = u64_list(h->dir, lists[i][0]);
        if (a)
            json_object_set_new(usage, lists[i][1], a);
    }
    js_u64(usage, "kernel", cg_read_u64(h->dir, "cpuacct.usage_sys", &v) == 0 ? v : 0);
    js_u64(usage, "user", cg_read_u64(h->dir, "cpuacct.usage_user", &v) == 0 ? v : 0);
}

static void v1_cpu_stats(const struct cgroup_hier *h, json_t *stats)
{
    static const char *const keys[][2] = {{"nr_periods", "periods"},
                                          {"nr_throttled", "throttledPeriods"},
                                          {"throttled_time", "throttledTime"}};
    json_t *t = js_obj(js_obj(stats, "cpu"), "throttling");
    uint64_t v;
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        if (cg_read_keyed(h->dir, "cpu.stat", keys[i][0], &v) == 0)
            js_u64_nz(t, keys[i][1], v);
}

/* One runc MemoryEntry from <prefix>.{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes}. */
static void v1_mem_entry(const char *dir, const char *prefix, json_t *mem, const char *key)
{
    static const char *const files[][2] = {{"usage_in_bytes", "usage"},
                                           {"max_usage_in_bytes", "max"},
                                           {"failcnt", "failcnt"},
                                           {"limit_in_bytes", "limit"}};
    _cleanup_free_ char *probe = xasprintf("%s.usage_in_bytes", prefix);
    if (!cg_has(dir, probe))
        return;
    json_t *e = js_obj(mem, key);
    for (size_t i = 0; i < ELEMENTSOF(files); i++) {
        _cleanup_free_ char *f = xasprintf("%s.%s", prefix, files[i][0]);
        uint64_t v = 0;
        (void)cg_read_u64(dir, f, &v);
        if (i >= 2)
            js_u64(e, files[i][1], v);
        else
            js_u64_nz(e, files[i][1], v);
    }
}

json_t *cgroup_keyed_json(const char *dir, const char *file)
{
    _cleanup_free_ char *s = NULL;
    json_t *o = json_object();
    if (cg_read(dir, file, &s, NULL) < 0)
        return o;
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp = '\0';
        js_u64(o, line, strtoull(sp + 1, NULL, 10));
    }
    return o;
}

static void v1_memory_stats(const struct cgroup_hier *h, json_t *stats)
{
    json_t *mem = js_obj(stats, "memory");
    v1_mem_entry(h->dir, "memory", mem, "usage");
    v1_mem_entry(h->dir, "memory.memsw", mem, "swap");
    v1_mem_entry(h->dir, "memory.kmem", mem, "kernel");
    v1_mem_entry(h->dir, "memory.kmem.tcp", mem, "kernelTCP");
    json_t *raw = cgroup_keyed_json(h->dir, "memory.stat");
    js_u64_nz(mem, "cache", (uint64_t)json_integer_value(json_object_get(raw, "cache")));
    json_object_set_new(mem, "raw", raw);
}

/* "8:0 Read 4096" lines (the last, "Total N", has no device) into runc BlkioEntry objects. */
static json_t *v1_blkio_entries(const char *dir, const char *file)
{
    _cleanup_free_ char *s = NULL;
    json_t *a = json_array();
    if (cg_read(dir, file, &s, NULL) < 0)
        return a;
    char *save = NULL;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long major, minor, value;
        char op[16];
        if (sscanf(line, "%llu:%llu %15s %llu", &major, &minor, op, &value) != 4)
            continue;
        json_array_append_new(a, js_blkio_entry(major, minor, op, value));
    }
    return a;
}

static void v1_blkio_stats(const struct cgroup_hier *h, json_t *stats)
{
    static const char *const prefixes[] = {"blkio.", "blkio.bfq.", "blkio.throttle."};
    static const char *const kinds[][2] = {{"io_service_bytes_recursive", "ioServiceBytesRecursive"},
                                           {"io_serviced_recursive", "ioServicedRecursive"}};
    json_t *blkio = js_obj(stats, "blkio");
    for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
        for (size_t p = 0; p < ELEMENTSOF(prefixes); p++) {
            _cleanup_free_ char *file = xasprintf("%s%s", prefixes[p], kinds[k][0]);
            if (!cg_has(h->dir, file))
                continue;
            json_t *a = v1_blkio_entries(h->dir, file);
            if (json_array_size(a) == 0 && p + 1 < ELEMENTSOF(prefixes)) {
                json_decref(a);
                continue; /* an idle scheduler: the throttle counters still count */
            }
            json_object_set_new(blkio, kinds[k][1], a);
            break;
        }
    }
}

static void v1_hugetlb_stats(const struct cgroup_hier *h, json_t *stats)
{
    char **sizes = cgroup_hugepage_sizes();
    json_t *hp = js_obj(stats, "hugetlb");
    for (char **s = sizes; s && *s; s++) {
        json_t *e = js_obj(hp, *s);
        static const char *const files[][2] = {
            {"usage_in_bytes", "usage"}, {"max_usage_in_bytes", "max"}, {"failcnt", "failcnt"}};
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
            _cleanup_free_ char *f = xasprintf("hugetlb.%s.%s", *s, files[i][0]);
            uint64_t v = 0;
            (void)cg_read_u64(h->dir, f, &v);
            if (i == 2)
                js_u64(e, files[i][1], v);
            else
                js_u64_nz(e, files[i][1], v);
        }
    }
    strv_free(sizes);
}

/* --- OOM -------------------------------------------------------------------------------- */

static int v1_oom_count(const struct cgroup_hier *h, unsigned long *ret, struct hk_error *err)
{
    return cg_read_count(h->dir, "memory.oom_control", "oom_kill", ret, err);
}

/* Register an eventfd for OOM notifications (cgroup.event_control "<efd> <oom_control fd>").
 * The kernel signals it on each OOM in the cgroup, and once more when the cgroup is removed. */
static int v1_oom_event_fd(const struct cgroup_hier *h, int *ret, struct hk_error *err)
{
    _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0)
        return hk_error_errno(err, -errno, "eventfd");
    _cleanup_free_ char *path = xasprintf("%s/memory.oom_control", h->dir);
    _cleanup_close_ int ofd = open(path, O_RDONLY | O_CLOEXEC);
    if (ofd < 0)
        return hk_error_errno(err, -errno, "open %s", path);
    int r = cg_writef(h->dir, "cgroup.event_control", err, "%d %d", efd, ofd);
    if (r < 0)
        return r;
    *ret = TAKE_FD(efd);
    return 0;
}

const struct cgroup_backend cgroup_backend_v1 = {
    .init_dir = v1_init_dir,
    .apply = v1_apply,
    .stats = {[CG_CPU] = v1_cpu_stats,
              [CG_CPUACCT] = v1_cpuacct_stats,
              [CG_MEMORY] = v1_memory_stats,
              [CG_PIDS] = cgroup_pids_stats,
              [CG_BLKIO] = v1_blkio_stats,
              [CG_HUGETLB] = v1_hugetlb_stats},
    .freeze = v1_freeze,
    .frozen = v1_frozen,
    .oom_count = v1_oom_count,
    .oom_event_fd = v1_oom_event_fd,
};
