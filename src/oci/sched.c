/* sched.c — runtime-spec 1.2's scheduling fields: process.ioPriority, process.scheduler and
 * linux.memoryPolicy, parsed into numbers the kernel takes (ioprio_set, sched_setattr,
 * set_mempolicy) with located errors for names and ranges. The kernel has the last word on
 * what the host allows (a realtime policy without CAP_SYS_NICE, a NUMA node it lacks). */
#include <stdlib.h>
#include <string.h>

#include "oci/spec.h"

struct name_value {
    const char *name;
    unsigned value;
};

/* The value of name in the table, or -1. */
static long lookup(const struct name_value *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return t[i].value;
    return -1;
}

static const struct name_value io_classes[] = {
    {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};

int oci_parse_io_priority(const struct parse_ctx *ctx, const json_t *proc, const char *parent,
                          struct oci_io_priority *ret, struct hk_error *err)
{
    char jp[JPATH_MAX], jc[JPATH_MAX];
    json_t *o;
    int r = parse_object(ctx, proc, parent, "ioPriority", &o, err);
    if (r < 0 || !o)
        return r;
    jpath_key(jp, sizeof(jp), parent, "ioPriority");
    _cleanup_free_ char *cls = NULL;
    r = parse_string(ctx, o, jp, "class", true, &cls, err);
    if (r < 0)
        return r;
    long c = lookup(io_classes, ELEMENTSOF(io_classes), cls);
    if (c < 0)
        return parse_error(ctx, err, jpath_key(jc, sizeof(jc), jp, "class"),
                           "'%s' is not IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE",
                           cls);
    int64_t prio = 0;
    r = parse_int(ctx, o, jp, "priority", false, 0, 7, &prio, NULL, err);
    if (r < 0)
        return r;
    ret->set = true;
    ret->klass = (int)c;
    ret->priority = (int)prio;
    return 0;
}

static const struct name_value policies[] = {
    {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},      {"SCHED_BATCH", 3},
    {"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6}};

static const struct name_value sched_flags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};

/* A strv of flag names, OR-ed into *ret; unknown names are errors naming the index. */
static int parse_flags(const struct parse_ctx *ctx, const json_t *o, const char *jp,
                       const struct name_value *t, size_t n, uint64_t *ret, struct hk_error *err)
{
    char jf[JPATH_MAX], ji[JPATH_MAX];
    char **v = NULL;
    int r = parse_strv(ctx, o, jp, "flags", &v, NULL, err);
    if (r < 0 || !v)
        return r;
    jpath_key(jf, sizeof(jf), jp, "flags");
    for (size_t i = 0; r == 0 && v[i]; i++) {
        long f = lookup(t, n, v[i]);
        if (f < 0)
            r = parse_error(ctx, err, jpath_index(ji, sizeof(ji), jf, i), "unknown flag '%s'",
                            v[i]);
        else
            *ret |= (uint64_t)f;
    }
    strv_free(v);
    return r;
}

int oci_parse_scheduler(const struct parse_ctx *ctx, const json_t *proc, const char *parent,
                        struct oci_scheduler *ret, struct hk_error *err)
{
    char jp[JPATH_MAX], jx[JPATH_MAX];
    json_t *o;
    int r = parse_object(ctx, proc, parent, "scheduler", &o, err);
    if (r < 0 || !o)
        return r;
    jpath_key(jp, sizeof(jp), parent, "scheduler");
    _cleanup_free_ char *policy = NULL;
    r = parse_string(ctx, o, jp, "policy", true, &policy, err);
    if (r < 0)
        return r;
    long pol = lookup(policies, ELEMENTSOF(policies), policy);
    if (pol < 0)
        return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jp, "policy"),
                           "unknown scheduling policy '%s'", policy);
    struct oci_scheduler s = {.set = true, .policy = (int)pol};
    int64_t nice = 0, prio = 0;
    r = parse_int(ctx, o, jp, "nice", false, -20, 19, &nice, NULL, err);
    if (r == 0)
        r = parse_int(ctx, o, jp, "priority", false, 0, 99, &prio, NULL, err);
    if (r == 0)
        r = parse_flags(ctx, o, jp, sched_flags, ELEMENTSOF(sched_flags), &s.flags, err);
    if (r == 0)
        r = parse_u64(ctx, o, jp, "runtime", &s.runtime, NULL, err);
    if (r == 0)
        r = parse_u64(ctx, o, jp, "deadline", &s.deadline, NULL, err);
    if (r == 0)
        r = parse_u64(ctx, o, jp, "period", &s.period, NULL, err);
    if (r < 0)
        return r;
    s.nice = (int)nice;
    s.priority = (unsigned)prio;
    bool realtime = pol == 1 || pol == 2;
    if (realtime && prio == 0)
        return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jp, "priority"),
                           "%s needs a priority from 1 to 99", policy);
    if (!realtime && prio != 0)
        return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jp, "priority"),
                           "only SCHED_FIFO and SCHED_RR take a priority (%s: 0)", policy);
    if (pol == 6 && (s.runtime == 0 || s.deadline == 0))
        return parse_error(ctx, err, jp, "SCHED_DEADLINE needs runtime and deadline");
    *ret = s;
    return 0;
}

static const struct name_value mpol_modes[] = {{"MPOL_DEFAULT", 0},
                                               {"MPOL_PREFERRED", 1},
                                               {"MPOL_BIND", 2},
                                               {"MPOL_INTERLEAVE", 3},
                                               {"MPOL_LOCAL", 4},
                                               {"MPOL_PREFERRED_MANY", 5},
                                               {"MPOL_WEIGHTED_INTERLEAVE", 6}};

static const struct name_value mpol_flags[] = {{"MPOL_F_NUMA_BALANCING", 1u << 13},
                                               {"MPOL_F_RELATIVE_NODES", 1u << 14},
                                               {"MPOL_F_STATIC_NODES", 1u << 15}};

/* "0-3,7" into a node bitmask; -EINVAL for anything else (empty parts, a range backwards, a
 * node past OCI_MAX_NUMA_NODES). */
static int parse_nodes(const char *s, uint64_t mask[OCI_NUMA_WORDS])
{
    memset(mask, 0, OCI_NUMA_WORDS * sizeof(uint64_t));
    const char *p = s;
    while (*p) {
        char *end;
        if (*p < '0' || *p > '9')
            return -EINVAL;
        unsigned long a = strtoul(p, &end, 10), b = a;
        if (*end == '-') {
            if (end[1] < '0' || end[1] > '9')
                return -EINVAL;
            b = strtoul(end + 1, &end, 10);
        }
        if (a > b || b >= OCI_MAX_NUMA_NODES || (*end && *end != ','))
            return -EINVAL;
        for (unsigned long n = a; n <= b; n++)
            mask[n / 64] |= UINT64_C(1) << (n % 64);
        if (*end == ',' && !end[1])
            return -EINVAL;
        p = *end ? end + 1 : end;
    }
    return 0;
}

int oci_parse_memory_policy(const struct parse_ctx *ctx, const json_t *lx,
                            struct oci_memory_policy *ret, struct hk_error *err)
{
    const char *jp = "linux.memoryPolicy";
    char jx[JPATH_MAX];
    json_t *o;
    int r = parse_object(ctx, lx, "linux", "memoryPolicy", &o, err);
    if (r < 0 || !o)
        return r;
    _cleanup_free_ char *mode = NULL, *nodes = NULL;
    r = parse_string(ctx, o, jp, "mode", true, &mode, err);
    if (r == 0)
        r = parse_string(ctx, o, jp, "nodes", false, &nodes, err);
    if (r < 0)
        return r;
    long m = lookup(mpol_modes, ELEMENTSOF(mpol_modes), mode);
    if (m < 0)
        return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jp, "mode"),
                           "unknown memory policy mode '%s'", mode);
    struct oci_memory_policy mp = {.set = true, .mode = (int)m};
    uint64_t flags = 0;
    r = parse_flags(ctx, o, jp, mpol_flags, ELEMENTSOF(mpol_flags), &flags, err);
    if (r < 0)
        return r;
    mp.flags = (unsigned)flags;
    bool has_nodes = nodes && nodes[0];
    if (has_nodes && parse_nodes(nodes, mp.nodes) < 0)
        return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jp, "nodes"),
                           "'%s' is not a list of NUMA nodes like \"0-3,7\" (below %d)", nodes,
                           OCI_MAX_NUMA_NODES);
    if ((m == 0 || m == 4) && has_nodes)
        return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jp, "nodes"), "%s takes no nodes",
                           mode);
    if (m != 0 && m != 4 && m != 1 && !has_nodes)
        return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jp, "nodes"), "%s needs nodes",
                           mode);
    mp.has_nodes = has_nodes;
    *ret = mp;
    return 0;
}

static json_t *names_of(const struct name_value *t, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(t[i].name));
    return a;
}

json_t *oci_sched_features(void)
{
    return json_pack("{s:{s:o,s:o},s:{s:o,s:o},s:{s:o}}", "memoryPolicy", "modes",
                     names_of(mpol_modes, ELEMENTSOF(mpol_modes)), "flags",
                     names_of(mpol_flags, ELEMENTSOF(mpol_flags)), "scheduler", "policies",
                     names_of(policies, ELEMENTSOF(policies)), "flags",
                     names_of(sched_flags, ELEMENTSOF(sched_flags)), "ioPriority", "classes",
                     names_of(io_classes, ELEMENTSOF(io_classes)));
}
