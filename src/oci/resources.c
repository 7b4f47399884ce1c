/* resources.c — parse and validate linux.resources. See resources.h. */
#include "oci/resources.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/fs.h"

/* Bound every list read from the config (CVE-2021-43784 class): no real config comes close. */
#define RES_LIST_MAX 4096

static int parse_list(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                      const char *key, json_t **ret, struct hk_error *err)
{
    char jp[JPATH_MAX];
    int r = parse_array(ctx, obj, parent, key, ret, err);
    if (r < 0 || !*ret)
        return r;
    if (json_array_size(*ret) > RES_LIST_MAX)
        return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key),
                           "more than %d entries", RES_LIST_MAX);
    return 0;
}

/* An array element that must be an object. */
static int element(const struct parse_ctx *ctx, const json_t *arr, const char *jp, size_t i,
                   json_t **ret, char *ret_jp, struct hk_error *err)
{
    *ret = json_array_get(arr, i);
    jpath_index(ret_jp, JPATH_MAX, jp, i);
    if (!json_is_object(*ret))
        return parse_error(ctx, err, ret_jp, "expected an object");
    return 0;
}

static int parse_u32(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                     const char *key, uint32_t *ret, bool *ret_set, struct hk_error *err)
{
    int64_t v;
    bool set = false;
    int r = parse_int(ctx, obj, parent, key, false, 0, UINT32_MAX, &v, &set, err);
    if (r == 0 && set) {
        *ret = (uint32_t)v;
        if (ret_set)
            *ret_set = true;
    }
    return r;
}

static int parse_u16_range(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                           const char *key, int64_t min, int64_t max, uint16_t *ret, bool *ret_set,
                           struct hk_error *err)
{
    int64_t v;
    bool set = false;
    int r = parse_int(ctx, obj, parent, key, false, min, max, &v, &set, err);
    if (r == 0 && set) {
        *ret = (uint16_t)v;
        *ret_set = true;
    }
    return r;
}

/* A major/minor pair; absent means "any" when any_ok, else required. */
static int parse_majmin(const struct parse_ctx *ctx, const json_t *obj, const char *jp,
                        bool any_ok, int64_t *ret_major, int64_t *ret_minor, struct hk_error *err)
{
    *ret_major = *ret_minor = RES_DEV_ANY;
    int r = parse_int(ctx, obj, jp, "major", !any_ok, any_ok ? -1 : 0, UINT32_MAX, ret_major,
                      NULL, err);
    if (r == 0)
        r = parse_int(ctx, obj, jp, "minor", !any_ok, any_ok ? -1 : 0, UINT32_MAX, ret_minor,
                      NULL, err);
    return r;
}

static int parse_access(const struct parse_ctx *ctx, const json_t *obj, const char *jp,
                        char access[4], struct hk_error *err)
{
    _cleanup_free_ char *s = NULL;
    char sub[JPATH_MAX];
    int r = parse_string(ctx, obj, jp, "access", false, &s, err);
    if (r < 0)
        return r;
    if (!s) {
        strcpy(access, "rwm");
        return 0;
    }
    bool seen[3] = {false, false, false};
    for (const char *p = s; *p; p++) {
        if (*p == 'a')
            continue; /* "rwa": runc ignores letters that are no permission; a is common */
        const char *at = strchr("rwm", *p);
        if (!at || *p == '\0')
            return parse_error(ctx, err, jpath_key(sub, sizeof(sub), jp, "access"),
                               "'%s' is not a combination of r, w and m", s);
        seen[at - "rwm"] = true;
    }
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        if (seen[i])
            access[n++] = "rwm"[i];
    access[n] = '\0';
    if (n == 0)
        return parse_error(ctx, err, jpath_key(sub, sizeof(sub), jp, "access"),
                           "must not be empty");
    return 0;
}

static int parse_device_rule(const struct parse_ctx *ctx, const json_t *o, const char *jp,
                             struct res_device_rule *d, struct hk_error *err)
{
    char sub[JPATH_MAX];
    _cleanup_free_ char *type = NULL;
    json_t *allow = json_object_get(o, "allow");
    if (!json_is_boolean(allow))
        return parse_error(ctx, err, jpath_key(sub, sizeof(sub), jp, "allow"),
                           allow ? "expected a boolean" : "required field is missing");
    d->allow = json_is_true(allow);
    int r = parse_string(ctx, o, jp, "type", false, &type, err);
    if (r < 0)
        return r;
    d->type = type ? type[0] : 'a';
    if (type && (strlen(type) != 1 || !strchr("abc", type[0])))
        return parse_error(ctx, err, jpath_key(sub, sizeof(sub), jp, "type"),
                           "'%s' is not a device type (a, b or c)", type);
    r = parse_majmin(ctx, o, jp, true, &d->major, &d->minor, err);
    if (r == 0)
        r = parse_access(ctx, o, jp, d->access, err);
    return r;
}

static int parse_devices(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                         struct oci_resources *res, struct hk_error *err)
{
    char jp[JPATH_MAX], ji[JPATH_MAX];
    json_t *arr, *o;
    int r = parse_list(ctx, obj, jpath, "devices", &arr, err);
    if (r < 0 || !arr)
        return r;
    jpath_key(jp, sizeof(jp), jpath, "devices");
    res->devices = xcalloc(json_array_size(arr), sizeof(*res->devices));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        r = element(ctx, arr, jp, i, &o, ji, err);
        if (r == 0)
            r = parse_device_rule(ctx, o, ji, &res->devices[i], err);
        if (r < 0)
            return r;
        res->n_devices++;
    }
    return 0;
}

/* A byte count where -1 means unlimited and 0 is read as "not set" (runc's convention). */
static int parse_bytes(const struct parse_ctx *ctx, const json_t *o, const char *jp,
                       const char *key, int64_t *ret, bool *ret_set, struct hk_error *err)
{
    bool set = false;
    int r = parse_int(ctx, o, jp, key, false, -1, INT64_MAX, ret, &set, err);
    if (r == 0 && set && *ret != 0)
        *ret_set = true;
    return r;
}

static int parse_memory(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                        struct oci_resources *res, struct hk_error *err)
{
    char jp[JPATH_MAX];
    json_t *o;
    struct res_memory *m = &res->memory;
    int r = parse_object(ctx, obj, jpath, "memory", &o, err);
    if (r < 0 || !o)
        return r;
    res->has_memory = true;
    jpath_key(jp, sizeof(jp), jpath, "memory");
    r = parse_bytes(ctx, o, jp, "limit", &m->limit, &m->has_limit, err);
    if (r == 0)
        r = parse_bytes(ctx, o, jp, "reservation", &m->reservation, &m->has_reservation, err);
    if (r == 0)
        r = parse_bytes(ctx, o, jp, "swap", &m->swap, &m->has_swap, err);
    if (r == 0)
        r = parse_bytes(ctx, o, jp, "kernel", &m->kernel, &m->has_kernel, err);
    if (r == 0)
        r = parse_bytes(ctx, o, jp, "kernelTCP", &m->kernel_tcp, &m->has_kernel_tcp, err);
    int64_t sw;
    if (r == 0)
        r = parse_int(ctx, o, jp, "swappiness", false, 0, 100, &sw, &m->has_swappiness, err);
    m->swappiness = m->has_swappiness ? (uint64_t)sw : 0;
    m->has_disable_oom_killer = json_is_boolean(json_object_get(o, "disableOOMKiller"));
    m->has_use_hierarchy = json_is_boolean(json_object_get(o, "useHierarchy"));
    if (r == 0)
        r = parse_bool(ctx, o, jp, "disableOOMKiller", &m->disable_oom_killer, err);
    if (r == 0)
        r = parse_bool(ctx, o, jp, "useHierarchy", &m->use_hierarchy, err);
    if (r == 0)
        r = parse_bool(ctx, o, jp, "checkBeforeUpdate", &m->check_before_update, err);
    if (r < 0)
        return r;
    /* swap is memory+swap: below the memory limit the kernel refuses it with a bare EINVAL. */
    if (m->has_swap && m->swap > 0 && m->has_limit && m->limit > 0 && m->swap < m->limit) {
        char sub[JPATH_MAX];
        return parse_error(ctx, err, jpath_key(sub, sizeof(sub), jp, "swap"),
                           "%" PRId64 " is below memory.limit %" PRId64
                           " (swap counts memory plus swap)",
                           m->swap, m->limit);
    }
    return 0;
}

static int parse_cpuset_field(const struct parse_ctx *ctx, const json_t *o, const char *jp,
                              const char *key, char **ret, struct hk_error *err)
{
    char sub[JPATH_MAX];
    int r = parse_string(ctx, o, jp, key, false, ret, err);
    if (r < 0 || !*ret)
        return r;
    if (!resources_cpuset_list_valid(*ret))
        return parse_error(ctx, err, jpath_key(sub, sizeof(sub), jp, key),
                           "'%s' is not a list like \"0-3,5\"", *ret);
    if ((*ret)[0] == '\0')
        *ret = (free(*ret), NULL);
    return 0;
}

static int parse_cpu(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                     struct oci_resources *res, struct hk_error *err)
{
    char jp[JPATH_MAX];
    json_t *o;
    struct res_cpu *c = &res->cpu;
    int r = parse_object(ctx, obj, jpath, "cpu", &o, err);
    if (r < 0 || !o)
        return r;
    res->has_cpu = true;
    jpath_key(jp, sizeof(jp), jpath, "cpu");
    uint64_t v = 0;
    bool set = false;
    r = parse_u64(ctx, o, jp, "shares", &v, &set, err);
    if (r == 0 && set && v > 0) {
        c->has_shares = true; /* the kernel clamps cpu.shares to [2, 262144] */
        c->shares = v < 2 ? 2 : v > 262144 ? 262144 : v;
    }
    if (r == 0)
        r = parse_int(ctx, o, jp, "quota", false, INT64_MIN, INT64_MAX, &c->quota, &c->has_quota,
                      err);
    if (r == 0)
        r = parse_u64(ctx, o, jp, "burst", &c->burst, &c->has_burst, err);
    set = false;
    if (r == 0)
        r = parse_u64(ctx, o, jp, "period", &c->period, &set, err);
    if (r == 0 && set && c->period != 0) {
        char sub[JPATH_MAX];
        if (c->period < 1000 || c->period > 1000000)
            return parse_error(ctx, err, jpath_key(sub, sizeof(sub), jp, "period"),
                               "%" PRIu64 " is out of range [1000, 1000000] (microseconds)",
                               c->period);
        c->has_period = true;
    }
    if (r == 0)
        r = parse_int(ctx, o, jp, "realtimeRuntime", false, INT64_MIN, INT64_MAX, &c->rt_runtime,
                      &c->has_rt_runtime, err);
    if (r == 0)
        r = parse_u64(ctx, o, jp, "realtimePeriod", &c->rt_period, &c->has_rt_period, err);
    if (r == 0)
        r = parse_int(ctx, o, jp, "idle", false, 0, 1, &c->idle, &c->has_idle, err);
    if (r == 0)
        r = parse_cpuset_field(ctx, o, jp, "cpus", &c->cpus, err);
    if (r == 0)
        r = parse_cpuset_field(ctx, o, jp, "mems", &c->mems, err);
    return r;
}

static int parse_pids(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                      struct oci_resources *res, struct hk_error *err)
{
    char jp[JPATH_MAX];
    json_t *o;
    int r = parse_object(ctx, obj, jpath, "pids", &o, err);
    if (r < 0 || !o)
        return r;
    jpath_key(jp, sizeof(jp), jpath, "pids");
    r = parse_int(ctx, o, jp, "limit", true, INT64_MIN, INT64_MAX, &res->pids_limit, NULL, err);
    if (r < 0)
        return r;
    if (res->pids_limit <= 0)
        res->pids_limit = -1;
    res->has_pids = true;
    return 0;
}

static int parse_weight_devices(const struct parse_ctx *ctx, const json_t *o, const char *jp,
                                struct res_blkio *b, struct hk_error *err)
{
    char jl[JPATH_MAX], ji[JPATH_MAX];
    json_t *arr, *e;
    int r = parse_list(ctx, o, jp, "weightDevice", &arr, err);
    if (r < 0 || !arr)
        return r;
    jpath_key(jl, sizeof(jl), jp, "weightDevice");
    b->weight_devices = xcalloc(json_array_size(arr), sizeof(*b->weight_devices));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        struct res_weight_device *w = &b->weight_devices[i];
        r = element(ctx, arr, jl, i, &e, ji, err);
        if (r == 0)
            r = parse_majmin(ctx, e, ji, false, &w->major, &w->minor, err);
        if (r == 0)
            r = parse_u16_range(ctx, e, ji, "weight", 10, 1000, &w->weight, &w->has_weight, err);
        if (r == 0)
            r = parse_u16_range(ctx, e, ji, "leafWeight", 10, 1000, &w->leaf_weight,
                                &w->has_leaf_weight, err);
        if (r < 0)
            return r;
        b->n_weight_devices++;
    }
    return 0;
}

static int parse_throttle(const struct parse_ctx *ctx, const json_t *o, const char *jp,
                          enum res_throttle_kind kind, struct res_blkio *b, struct hk_error *err)
{
    static const char *const keys[RES_THROTTLE_COUNT] = {
        "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
        "throttleWriteIOPSDevice"};
    char jl[JPATH_MAX], ji[JPATH_MAX];
    json_t *arr, *e;
    int r = parse_list(ctx, o, jp, keys[kind], &arr, err);
    if (r < 0 || !arr)
        return r;
    jpath_key(jl, sizeof(jl), jp, keys[kind]);
    b->throttle[kind] = xcalloc(json_array_size(arr), sizeof(*b->throttle[kind]));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        struct res_throttle_device *t = &b->throttle[kind][i];
        int64_t rate = 0;
        r = element(ctx, arr, jl, i, &e, ji, err);
        if (r == 0)
            r = parse_majmin(ctx, e, ji, false, &t->major, &t->minor, err);
        if (r == 0)
            r = parse_int(ctx, e, ji, "rate", true, 0, INT64_MAX, &rate, NULL, err);
        if (r < 0)
            return r;
        t->rate = (uint64_t)rate;
        b->n_throttle[kind]++;
    }
    return 0;
}

static int parse_blkio(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                       struct oci_resources *res, struct hk_error *err)
{
    char jp[JPATH_MAX];
    json_t *o;
    struct res_blkio *b = &res->blkio;
    int r = parse_object(ctx, obj, jpath, "blockIO", &o, err);
    if (r < 0 || !o)
        return r;
    res->has_blkio = true;
    jpath_key(jp, sizeof(jp), jpath, "blockIO");
    r = parse_u16_range(ctx, o, jp, "weight", 10, 1000, &b->weight, &b->has_weight, err);
    if (r == 0)
        r = parse_u16_range(ctx, o, jp, "leafWeight", 10, 1000, &b->leaf_weight,
                            &b->has_leaf_weight, err);
    if (r == 0)
        r = parse_weight_devices(ctx, o, jp, b, err);
    for (int k = 0; r == 0 && k < RES_THROTTLE_COUNT; k++)
        r = parse_throttle(ctx, o, jp, (enum res_throttle_kind)k, b, err);
    return r;
}

static int parse_hugepages(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                           struct oci_resources *res, struct hk_error *err)
{
    char jp[JPATH_MAX], ji[JPATH_MAX], sub[JPATH_MAX];
    json_t *arr, *o;
    int r = parse_list(ctx, obj, jpath, "hugepageLimits", &arr, err);
    if (r < 0 || !arr)
        return r;
    jpath_key(jp, sizeof(jp), jpath, "hugepageLimits");
    res->hugepages = xcalloc(json_array_size(arr), sizeof(*res->hugepages));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        struct res_hugepage *h = &res->hugepages[res->n_hugepages];
        _cleanup_free_ char *size = NULL;
        char name[32];
        uint64_t bytes;
        int64_t limit;
        r = element(ctx, arr, jp, i, &o, ji, err);
        if (r == 0)
            r = parse_string(ctx, o, ji, "pageSize", true, &size, err);
        if (r == 0)
            r = parse_int(ctx, o, ji, "limit", true, 0, INT64_MAX, &limit, NULL, err);
        if (r < 0)
            return r;
        h->limit = (uint64_t)limit;
        if (resources_hugepage_size(size, &bytes, name, sizeof(name)) < 0)
            return parse_error(ctx, err, jpath_key(sub, sizeof(sub), ji, "pageSize"),
                               "'%s' is not a page size like \"2MB\" or \"1GB\"", size);
        h->page_size = xstrdup(name);
        res->n_hugepages++;
    }
    return 0;
}

static int parse_network(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                         struct oci_resources *res, struct hk_error *err)
{
    char jp[JPATH_MAX], jl[JPATH_MAX], ji[JPATH_MAX];
    json_t *o, *arr, *e;
    int r = parse_object(ctx, obj, jpath, "network", &o, err);
    if (r < 0 || !o)
        return r;
    res->has_network = true;
    jpath_key(jp, sizeof(jp), jpath, "network");
    r = parse_u32(ctx, o, jp, "classID", &res->class_id, &res->has_class_id, err);
    if (r == 0)
        r = parse_list(ctx, o, jp, "priorities", &arr, err);
    if (r < 0 || !arr)
        return r;
    jpath_key(jl, sizeof(jl), jp, "priorities");
    res->priorities = xcalloc(json_array_size(arr), sizeof(*res->priorities));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        struct res_net_prio *p = &res->priorities[res->n_priorities];
        r = element(ctx, arr, jl, i, &e, ji, err);
        if (r == 0)
            r = parse_string(ctx, e, ji, "name", true, &p->name, err);
        res->n_priorities += p->name != NULL;
        if (r == 0)
            r = parse_u32(ctx, e, ji, "priority", &p->priority, NULL, err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_rdma(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                      struct oci_resources *res, struct hk_error *err)
{
    char jp[JPATH_MAX], ji[JPATH_MAX];
    json_t *o, *v;
    const char *dev;
    int r = parse_object(ctx, obj, jpath, "rdma", &o, err);
    if (r < 0 || !o)
        return r;
    jpath_key(jp, sizeof(jp), jpath, "rdma");
    res->rdma = xcalloc(json_object_size(o), sizeof(*res->rdma));
    json_object_foreach(o, dev, v) {
        struct res_rdma *d = &res->rdma[res->n_rdma];
        jpath_key(ji, sizeof(ji), jp, dev);
        if (!json_is_object(v))
            return parse_error(ctx, err, ji, "expected an object");
        if (!dev[0] || strpbrk(dev, " \n/"))
            return parse_error(ctx, err, ji, "'%s' is not an RDMA device name", dev);
        d->device = xstrdup(dev);
        res->n_rdma++;
        r = parse_u32(ctx, v, ji, "hcaHandles", &d->hca_handles, &d->has_hca_handles, err);
        if (r == 0)
            r = parse_u32(ctx, v, ji, "hcaObjects", &d->hca_objects, &d->has_hca_objects, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* A unified key names a file in the container's cgroup directory: "<controller>.<name>",
 * never a path (no '/', no leading '.'). */
static bool unified_key_valid(const char *k)
{
    const char *dot = strchr(k, '.');
    return dot && dot != k && dot[1] && !strchr(k, '/') && strlen(k) < 128;
}

static int parse_unified(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                         struct oci_resources *res, struct hk_error *err)
{
    char jp[JPATH_MAX], ji[JPATH_MAX];
    json_t *o, *v;
    const char *key;
    int r = parse_object(ctx, obj, jpath, "unified", &o, err);
    if (r < 0 || !o)
        return r;
    jpath_key(jp, sizeof(jp), jpath, "unified");
    res->unified = xcalloc(json_object_size(o), sizeof(*res->unified));
    json_object_foreach(o, key, v) {
        jpath_key(ji, sizeof(ji), jp, key);
        if (!unified_key_valid(key))
            return parse_error(ctx, err, ji, "'%s' is not a cgroup v2 file name", key);
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
            return parse_error(ctx, err, ji, "expected a string");
        res->unified[res->n_unified].key = xstrdup(key);
        res->unified[res->n_unified].value = xstrdup(json_string_value(v));
        res->n_unified++;
    }
    return 0;
}

int resources_parse(const struct parse_ctx *ctx, const json_t *obj, const char *jpath,
                    struct oci_resources **ret, struct hk_error *err)
{
    static int (*const parsers[])(const struct parse_ctx *, const json_t *, const char *,
                                  struct oci_resources *, struct hk_error *) = {
        parse_devices,   parse_memory,  parse_cpu,  parse_pids,  parse_blkio,
        parse_hugepages, parse_network, parse_rdma, parse_unified,
    };
    struct oci_resources *res = xcalloc(1, sizeof(*res));
    if (obj && !json_is_object(obj)) {
        resources_free(res);
        return parse_error(ctx, err, jpath && jpath[0] ? jpath : "resources",
                           "expected an object");
    }
    for (size_t i = 0; obj && i < ELEMENTSOF(parsers); i++) {
        int r = parsers[i](ctx, obj, jpath ? jpath : "", res, err);
        if (r < 0) {
            resources_free(res);
            return r;
        }
    }
    *ret = res;
    return 0;
}

struct oci_resources *resources_free(struct oci_resources *r)
{
    if (!r)
        return NULL;
    free(r->devices);
    free(r->cpu.cpus);
    free(r->cpu.mems);
    free(r->blkio.weight_devices);
    for (size_t i = 0; i < RES_THROTTLE_COUNT; i++)
        free(r->blkio.throttle[i]);
    for (size_t i = 0; i < r->n_hugepages; i++)
        free(r->hugepages[i].page_size);
    free(r->hugepages);
    for (size_t i = 0; i < r->n_priorities; i++)
        free(r->priorities[i].name);
    free(r->priorities);
    for (size_t i = 0; i < r->n_rdma; i++)
        free(r->rdma[i].device);
    free(r->rdma);
    for (size_t i = 0; i < r->n_unified; i++) {
        free(r->unified[i].key);
        free(r->unified[i].value);
    }
    free(r->unified);
    free(r);
    return NULL;
}

/* One number of a list; advances *p past its digits. */
static bool list_number(const char **p, unsigned long *ret)
{
    if (!isdigit((unsigned char)**p))
        return false;
    unsigned long v = 0;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (unsigned long)(**p - '0');
        if (v > 1u << 20)
            return false;
        (*p)++;
    }
    *ret = v;
    return true;
}

bool resources_cpuset_list_valid(const char *s)
{
    const char *p = s;
    if (!*p)
        return true;
    for (;;) {
        unsigned long a, b;
        if (!list_number(&p, &a))
            return false;
        if (*p == '-') {
            p++;
            if (!list_number(&p, &b) || b < a)
                return false;
        }
        if (*p == '\0')
            return true;
        if (*p++ != ',')
            return false;
    }
}

int resources_hugepage_size(const char *s, uint64_t *ret_bytes, char *ret_name, size_t size)
{
    static const struct {
        const char *suffix;
        uint64_t mult;
    } units[] = {{"KB", 1ull << 10}, {"MB", 1ull << 20}, {"GB", 1ull << 30}};
    const char *p = s;
    unsigned long long n = 0;
    if (!s || !isdigit((unsigned char)*p))
        return -EINVAL;
    while (isdigit((unsigned char)*p)) {
        n = n * 10 + (unsigned)(*p++ - '0');
        if (n > (1ull << 30))
            return -EINVAL;
    }
    uint64_t bytes = 0;
    for (size_t i = 0; i < ELEMENTSOF(units); i++)
        if (strcmp(p, units[i].suffix) == 0)
            bytes = n * units[i].mult;
    if (bytes == 0)
        return -EINVAL;
    /* The kernel names sizes in the largest unit that divides them (mm/hugetlb_cgroup.c). */
    for (size_t i = ELEMENTSOF(units) - 1; i < ELEMENTSOF(units); i--) {
        if (bytes % units[i].mult == 0 && bytes >= units[i].mult) {
            snprintf(ret_name, size, "%llu%s", (unsigned long long)(bytes / units[i].mult),
                     units[i].suffix);
            break;
        }
    }
    *ret_bytes = bytes;
    return 0;
}

const char *resources_device_rule_str(const struct res_device_rule *d, char *buf, size_t size)
{
    char maj[24] = "*", min[24] = "*";
    if (d->type == 'a') {
        snprintf(buf, size, "a *:* %s", d->access);
        return buf;
    }
    if (d->major != RES_DEV_ANY)
        snprintf(maj, sizeof(maj), "%" PRId64, d->major);
    if (d->minor != RES_DEV_ANY)
        snprintf(min, sizeof(min), "%" PRId64, d->minor);
    snprintf(buf, size, "%c %s:%s %s", d->type, maj, min, d->access);
    return buf;
}
