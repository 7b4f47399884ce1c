/* stats.c — container counters from its cgroup and network namespace. */
#include "engine/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/control.h"
#include "util/fs.h"
#include "util/json.h"

static uint64_t u64(const json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (uint64_t)v : 0;
}

/* The host's CPU time in nanoseconds: the "cpu" line of /proc/stat (USER_HZ ticks). */
static uint64_t system_ns(void)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (read_file("/proc/stat", 1 << 20, &text, &len, NULL) < 0)
        return 0;
    uint64_t total = 0;
    char *p = text + 3;
    for (int i = 0; i < 8; i++) {
        char *end;
        total += strtoull(p, &end, 10);
        p = end;
    }
    long hz = sysconf(_SC_CLK_TCK);
    return total * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
}

static uint64_t host_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

/* Bytes received and sent on every interface but lo in the namespace of pid; none for a
 * container in our own namespace (--network host: the host's traffic is not its own, docker
 * shows 0B / 0B). */
static void net_counters(int pid, uint64_t *rx, uint64_t *tx)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/net/dev", pid);
    _cleanup_free_ char *ns = xasprintf("/proc/%d/ns/net", pid);
    _cleanup_free_ char *text = NULL;
    size_t len;
    struct stat a, b;
    *rx = *tx = 0;
    if (stat(ns, &a) < 0 || (stat("/proc/self/ns/net", &b) == 0 && a.st_ino == b.st_ino &&
                             a.st_dev == b.st_dev))
        return;
    if (read_file(path, 1 << 20, &text, &len, NULL) < 0)
        return;
    for (char *save = NULL, *p = text, *line; (line = strtok_r(p, "\n", &save)); p = NULL) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        char *name = line + strspn(line, " ");
        if (strcmp(name, "lo") == 0)
            continue;
        unsigned long long v[9];
        if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
            *rx += v[0];
            *tx += v[8];
        }
    }
}

static void from_cgroup(const json_t *st, struct stats_sample *s)
{
    const json_t *mem = json_object_get(st, "memory");
    const json_t *usage = json_object_get(mem, "usage");
    const json_t *raw = json_object_get(mem, "raw");
    s->cpu_ns = u64(json_object_get(json_object_get(st, "cpu"), "usage"), "total");
    uint64_t used = u64(usage, "usage");
    /* docker: v1 total_inactive_file, v2 inactive_file — page cache the kernel can drop */
    uint64_t inactive = json_object_get(raw, "total_inactive_file")
                            ? u64(raw, "total_inactive_file")
                            : u64(raw, "inactive_file");
    s->mem_usage = inactive < used ? used - inactive : used;
    s->mem_limit = u64(usage, "limit");
    uint64_t host = host_memory();
    if (!s->mem_limit || (host && s->mem_limit > host))
        s->mem_limit = host;
    s->pids = u64(json_object_get(st, "pids"), "current");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(json_object_get(st, "blkio"), "ioServiceBytesRecursive"),
                       i, v)
    {
        const char *op = json_string_value(json_object_get(v, "op"));
        if (op && strcasecmp(op, "read") == 0)
            s->blk_read += u64(v, "value");
        else if (op && strcasecmp(op, "write") == 0)
            s->blk_write += u64(v, "value");
    }
}

int stats_sample(const struct engine *e, const char *id, int pid, struct stats_sample *ret,
                 struct hk_error *err)
{
    struct cgroup_manager *cg = NULL;
    int r = container_cgroup(&e->rt, id, &cg, err);
    if (r < 0)
        return r;
    json_t *st = NULL;
    r = cgroup_stats(cg, &st, err);
    cgroup_manager_free(cg);
    if (r < 0)
        return r;
    struct stats_sample s = {0};
    from_cgroup(st, &s);
    json_decref(st);
    s.system_ns = system_ns();
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    s.cpus = n > 0 ? (unsigned)n : 1;
    net_counters(pid, &s.net_rx, &s.net_tx);
    *ret = s;
    return 0;
}

double stats_cpu_percent(const struct stats_sample *prev, const struct stats_sample *cur)
{
    if (cur->cpu_ns < prev->cpu_ns || cur->system_ns <= prev->system_ns)
        return 0.0;
    double cpu = (double)(cur->cpu_ns - prev->cpu_ns);
    double sys = (double)(cur->system_ns - prev->system_ns);
    return cpu / sys * cur->cpus * 100.0;
}

double stats_mem_percent(const struct stats_sample *s)
{
    return s->mem_limit ? (double)s->mem_usage / (double)s->mem_limit * 100.0 : 0.0;
}

static const char *scaled(double v, double base, const char *const *units, size_t n, int prec,
                          char *buf, size_t size)
{
    size_t i = 0;
    while (v >= base && i + 1 < n) {
        v /= base;
        i++;
    }
    snprintf(buf, size, "%.*g%s", prec, v, units[i]);
    return buf;
}

const char *stats_binary_size(uint64_t v, char *buf, size_t size)
{
    static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    return scaled((double)v, 1024.0, u, ELEMENTSOF(u), 4, buf, size);
}

const char *stats_decimal_size(uint64_t v, char *buf, size_t size)
{
    static const char *const u[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    return scaled((double)v, 1000.0, u, ELEMENTSOF(u), 3, buf, size);
}
