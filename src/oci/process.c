/* process.c — the OCI "process" object: args, env, cwd, user, capabilities, rlimits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/capability.h>

#include "oci/spec.h"
#include "util/fs.h"

int oci_cap_last(void)
{
    static int last = -1;
    if (last < 0) {
        char buf[32];
        FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        if (f && fgets(buf, sizeof(buf), f))
            last = atoi(buf);
        else
            last = CAP_LAST_CAP;
        if (f)
            fclose(f);
    }
    return last;
}

int oci_cap_from_name(const char *name)
{
    cap_value_t v;
    /* libcap accepts names with or without the CAP_ prefix, case-insensitively; the OCI spec
     * writes them with it, so require it to catch typos like "SYS_ADMIN" consistently. */
    if (strncmp(name, "CAP_", 4) != 0)
        return -EINVAL;
    if (cap_from_name(name, &v) < 0)
        return -EINVAL;
    return v;
}

static int parse_capset(const struct parse_ctx *ctx, const json_t *caps, const char *parent,
                        const char *key, uint64_t *ret, struct hk_error *err)
{
    char jp[JPATH_MAX], jpi[JPATH_MAX];
    json_t *arr;
    int r = parse_array(ctx, caps, parent, key, &arr, err);
    if (r < 0 || !arr)
        return r;
    jpath_key(jp, sizeof(jp), parent, key);
    uint64_t set = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            return parse_error(ctx, err, jpath_index(jpi, sizeof(jpi), jp, i),
                               "expected a capability name");
        int c = oci_cap_from_name(json_string_value(v));
        if (c < 0)
            return parse_error(ctx, err, jpath_index(jpi, sizeof(jpi), jp, i),
                               "unknown capability '%s'", json_string_value(v));
        /* Like runc: a capability this kernel does not know is ignored, not fatal. */
        if (c <= oci_cap_last())
            set |= UINT64_C(1) << c;
    }
    *ret = set;
    return 0;
}

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_rlimits(const struct parse_ctx *ctx, const json_t *proc, const char *parent,
                         struct oci_process *p, struct hk_error *err)
{
    char jp[JPATH_MAX], jpi[JPATH_MAX];
    json_t *arr;
    int r = parse_array(ctx, proc, parent, "rlimits", &arr, err);
    if (r < 0 || !arr)
        return r;
    jpath_key(jp, sizeof(jp), parent, "rlimits");
    p->rlimits = xcalloc(json_array_size(arr), sizeof(*p->rlimits));
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        jpath_index(jpi, sizeof(jpi), jp, i);
        if (!json_is_object(v))
            return parse_error(ctx, err, jpi, "expected an object");
        _cleanup_free_ char *type = NULL;
        r = parse_string(ctx, v, jpi, "type", true, &type, err);
        if (r < 0)
            return r;
        struct oci_rlimit *rl = &p->rlimits[p->n_rlimits];
        rl->resource = -1;
        for (size_t k = 0; k < ELEMENTSOF(rlimit_names); k++)
            if (strcmp(type, rlimit_names[k].name) == 0)
                rl->resource = rlimit_names[k].resource;
        if (rl->resource < 0) {
            char jt[JPATH_MAX];
            return parse_error(ctx, err, jpath_key(jt, sizeof(jt), jpi, "type"),
                               "unknown rlimit '%s'", type);
        }
        for (size_t k = 0; k < p->n_rlimits; k++)
            if (p->rlimits[k].resource == rl->resource)
                return parse_error(ctx, err, jpi, "duplicate rlimit '%s'", type);
        if (!json_object_get(v, "soft") || !json_object_get(v, "hard"))
            return parse_error(ctx, err, jpi, "rlimit needs both 'soft' and 'hard'");
        r = parse_u64(ctx, v, jpi, "soft", &rl->soft, NULL, err);
        if (r == 0)
            r = parse_u64(ctx, v, jpi, "hard", &rl->hard, NULL, err);
        if (r < 0)
            return r;
        if (rl->soft > rl->hard)
            return parse_error(ctx, err, jpi, "soft limit %llu is above hard limit %llu",
                               (unsigned long long)rl->soft, (unsigned long long)rl->hard);
        p->n_rlimits++;
    }
    return 0;
}

static int parse_user(const struct parse_ctx *ctx, const json_t *proc, const char *parent,
                      struct oci_user *u, struct hk_error *err)
{
    char jp[JPATH_MAX], ja[JPATH_MAX], jpi[JPATH_MAX];
    json_t *user;
    int r = parse_object(ctx, proc, parent, "user", &user, err);
    if (r < 0)
        return r;
    if (!user)
        return 0; /* uid and gid 0, as runc takes a process without one */
    jpath_key(jp, sizeof(jp), parent, "user");
    int64_t n;
    r = parse_int(ctx, user, jp, "uid", true, 0, UINT32_MAX - 1, &n, NULL, err);
    if (r < 0)
        return r;
    u->uid = (uid_t)n;
    r = parse_int(ctx, user, jp, "gid", true, 0, UINT32_MAX - 1, &n, NULL, err);
    if (r < 0)
        return r;
    u->gid = (gid_t)n;
    r = parse_int(ctx, user, jp, "umask", false, 0, 0777, &n, &u->has_umask, err);
    if (r < 0)
        return r;
    u->umask = (mode_t)n;
    r = parse_string(ctx, user, jp, "username", false, &u->username, err);
    if (r < 0)
        return r;
    json_t *gids;
    r = parse_array(ctx, user, jp, "additionalGids", &gids, err);
    if (r < 0 || !gids)
        return r;
    jpath_key(ja, sizeof(ja), jp, "additionalGids");
    if (json_array_size(gids) > 65536)
        return parse_error(ctx, err, ja, "too many groups (%zu)", json_array_size(gids));
    u->additional_gids = xcalloc(json_array_size(gids), sizeof(gid_t));
    size_t i;
    json_t *g;
    json_array_foreach(gids, i, g)
    {
        if (!json_is_integer(g) || json_integer_value(g) < 0 ||
            json_integer_value(g) >= UINT32_MAX)
            return parse_error(ctx, err, jpath_index(jpi, sizeof(jpi), ja, i),
                               "expected a group id");
        u->additional_gids[u->n_additional_gids++] = (gid_t)json_integer_value(g);
    }
    return 0;
}

int spec_parse_process(const struct parse_ctx *ctx, const json_t *obj, const char *jp,
                       struct oci_process **ret, struct hk_error *err)
{
    char jx[JPATH_MAX];
    if (!json_is_object(obj))
        return parse_error(ctx, err, jp[0] ? jp : "process", "expected an object");
    struct oci_process *p = xcalloc(1, sizeof(*p));
    int r = parse_bool(ctx, obj, jp, "terminal", &p->terminal, err);
    if (r < 0)
        goto fail;
    json_t *cs;
    r = parse_object(ctx, obj, jp, "consoleSize", &cs, err);
    if (r < 0)
        goto fail;
    if (cs) {
        int64_t h = 0, w = 0;
        jpath_key(jx, sizeof(jx), jp, "consoleSize");
        r = parse_int(ctx, cs, jx, "height", true, 0, UINT16_MAX, &h, NULL, err);
        if (r == 0)
            r = parse_int(ctx, cs, jx, "width", true, 0, UINT16_MAX, &w, NULL, err);
        if (r < 0)
            goto fail;
        p->has_console_size = true;
        p->console_height = (unsigned)h;
        p->console_width = (unsigned)w;
    }
    r = parse_user(ctx, obj, jp, &p->user, err);
    if (r < 0)
        goto fail;
    size_t nargs = 0;
    r = parse_strv(ctx, obj, jp, "args", &p->args, &nargs, err);
    if (r < 0)
        goto fail;
    if (nargs == 0) {
        r = parse_error(ctx, err, jpath_key(jx, sizeof(jx), jp, "args"),
                        "at least one argument (the program) is required");
        goto fail;
    }
    r = parse_strv(ctx, obj, jp, "env", &p->env, NULL, err);
    if (r < 0)
        goto fail;
    if (!p->env)
        p->env = xcalloc(1, sizeof(char *));
    for (size_t i = 0; p->env[i]; i++)
        if (!strchr(p->env[i], '=')) {
            char je[JPATH_MAX];
            r = parse_error(ctx, err,
                            jpath_index(je, sizeof(je), jpath_key(jx, sizeof(jx), jp, "env"), i),
                            "'%s' is not of the form KEY=VALUE", p->env[i]);
            goto fail;
        }
    r = parse_string(ctx, obj, jp, "cwd", true, &p->cwd, err);
    if (r < 0)
        goto fail;
    if (p->cwd[0] != '/') {
        r = parse_error(ctx, err, jpath_key(jx, sizeof(jx), jp, "cwd"),
                        "'%s' is not an absolute path", p->cwd);
        goto fail;
    }
    json_t *caps;
    r = parse_object(ctx, obj, jp, "capabilities", &caps, err);
    if (r < 0)
        goto fail;
    if (caps) {
        p->has_caps = true;
        jpath_key(jx, sizeof(jx), jp, "capabilities");
        static const char *const sets[] = {"bounding", "effective", "inheritable", "permitted",
                                           "ambient"};
        uint64_t *dst[] = {&p->caps.bounding, &p->caps.effective, &p->caps.inheritable,
                           &p->caps.permitted, &p->caps.ambient};
        for (size_t i = 0; i < ELEMENTSOF(sets); i++) {
            r = parse_capset(ctx, caps, jx, sets[i], dst[i], err);
            if (r < 0)
                goto fail;
        }
    }
    r = parse_rlimits(ctx, obj, jp, p, err);
    if (r < 0)
        goto fail;
    r = parse_bool(ctx, obj, jp, "noNewPrivileges", &p->no_new_privileges, err);
    if (r < 0)
        goto fail;
    int64_t oom = 0;
    r = parse_int(ctx, obj, jp, "oomScoreAdj", false, -1000, 1000, &oom, &p->has_oom_score_adj,
                  err);
    if (r < 0)
        goto fail;
    p->oom_score_adj = (int)oom;
    r = parse_string(ctx, obj, jp, "apparmorProfile", false, &p->apparmor_profile, err);
    if (r == 0)
        r = parse_string(ctx, obj, jp, "selinuxLabel", false, &p->selinux_label, err);
    if (r == 0)
        r = oci_parse_io_priority(ctx, obj, jp, &p->io_priority, err);
    if (r == 0)
        r = oci_parse_scheduler(ctx, obj, jp, &p->scheduler, err);
    if (r < 0)
        goto fail;
    *ret = p;
    return 0;
fail:
    process_free(p);
    return r;
}

struct oci_process *process_free(struct oci_process *p)
{
    if (!p)
        return NULL;
    free(p->user.additional_gids);
    free(p->user.username);
    strv_free(p->args);
    strv_free(p->env);
    free(p->cwd);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
    free(p);
    return NULL;
}
