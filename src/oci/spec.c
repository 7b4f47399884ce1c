/* spec.c — parse and validate config.json into struct oci_spec. */
#include "oci/spec.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fs.h"
#include "util/json.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
    const char *name;
    const char *proc;
    int flag;
} ns_table[OCI_NS_COUNT] = {
    [OCI_NS_PID] = {"pid", "pid", CLONE_NEWPID},
    [OCI_NS_NETWORK] = {"network", "net", CLONE_NEWNET},
    [OCI_NS_MOUNT] = {"mount", "mnt", CLONE_NEWNS},
    [OCI_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
    [OCI_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [OCI_NS_USER] = {"user", "user", CLONE_NEWUSER},
    [OCI_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
    [OCI_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

const char *oci_ns_name(enum oci_ns_type type)
{
    return ns_table[type].name;
}

const char *oci_ns_proc_name(enum oci_ns_type type)
{
    return ns_table[type].proc;
}

int oci_ns_clone_flag(enum oci_ns_type type)
{
    return ns_table[type].flag;
}

int oci_ns_from_name(const char *name, enum oci_ns_type *ret)
{
    for (int i = 0; i < OCI_NS_COUNT; i++)
        if (strcmp(name, ns_table[i].name) == 0) {
            *ret = (enum oci_ns_type)i;
            return 0;
        }
    return -EINVAL;
}

static const char *const hook_names[OCI_HOOK_COUNT] = {
    [OCI_HOOK_PRESTART] = "prestart",
    [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
    [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
    [OCI_HOOK_START_CONTAINER] = "startContainer",
    [OCI_HOOK_POSTSTART] = "poststart",
    [OCI_HOOK_POSTSTOP] = "poststop",
};

const char *oci_hook_name(enum oci_hook_kind kind)
{
    return hook_names[kind];
}

const struct oci_namespace *spec_namespace(const struct oci_spec *s, enum oci_ns_type type)
{
    for (size_t i = 0; i < s->linux_.n_namespaces; i++)
        if (s->linux_.namespaces[i].type == type)
            return &s->linux_.namespaces[i];
    return NULL;
}

bool spec_process_can_ptrace(const struct oci_spec *s, const struct oci_process *p)
{
    if (spec_namespace(s, OCI_NS_USER))
        return false;
    return !p || !p->has_caps || (p->caps.bounding & (UINT64_C(1) << 19 /* CAP_SYS_PTRACE */));
}

static int parse_idmaps(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                        const char *key, struct oci_idmap **ret, size_t *ret_n,
                        struct hk_error *err)
{
    char jp[JPATH_MAX], jpi[JPATH_MAX];
    json_t *arr;
    int r = parse_array(ctx, obj, parent, key, &arr, err);
    if (r < 0 || !arr)
        return r;
    jpath_key(jp, sizeof(jp), parent, key);
    /* The kernel accepts at most 340 lines in uid_map (since 4.15). */
    if (json_array_size(arr) > 340)
        return parse_error(ctx, err, jp, "too many mappings (%zu, the kernel allows 340)",
                           json_array_size(arr));
    struct oci_idmap *maps = xcalloc(json_array_size(arr), sizeof(*maps));
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        jpath_index(jpi, sizeof(jpi), jp, i);
        int64_t c = 0, h = 0, s = 0;
        if (!json_is_object(v)) {
            free(maps);
            return parse_error(ctx, err, jpi, "expected an object");
        }
        r = parse_int(ctx, v, jpi, "containerID", true, 0, UINT32_MAX, &c, NULL, err);
        if (r == 0)
            r = parse_int(ctx, v, jpi, "hostID", true, 0, UINT32_MAX, &h, NULL, err);
        if (r == 0)
            r = parse_int(ctx, v, jpi, "size", true, 1, UINT32_MAX, &s, NULL, err);
        if (r < 0) {
            free(maps);
            return r;
        }
        maps[i] = (struct oci_idmap){(uint32_t)c, (uint32_t)h, (uint32_t)s};
    }
    free(*ret);
    *ret = maps;
    *ret_n = json_array_size(arr);
    return 0;
}

static int parse_mounts(const struct parse_ctx *ctx, const json_t *root, struct oci_spec *s,
                        struct hk_error *err)
{
    char jpi[JPATH_MAX];
    json_t *arr;
    int r = parse_array(ctx, root, "", "mounts", &arr, err);
    if (r < 0 || !arr)
        return r;
    s->mounts = xcalloc(json_array_size(arr), sizeof(*s->mounts));
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        jpath_index(jpi, sizeof(jpi), "mounts", i);
        if (!json_is_object(v))
            return parse_error(ctx, err, jpi, "expected an object");
        struct oci_mount *m = &s->mounts[s->n_mounts++];
        r = parse_string(ctx, v, jpi, "destination", true, &m->destination, err);
        if (r == 0)
            r = parse_string(ctx, v, jpi, "source", false, &m->source, err);
        if (r == 0)
            r = parse_string(ctx, v, jpi, "type", false, &m->type, err);
        if (r == 0)
            r = parse_strv(ctx, v, jpi, "options", &m->options, NULL, err);
        if (r == 0)
            r = parse_idmaps(ctx, v, jpi, "uidMappings", &m->uid_mappings, &m->n_uid_mappings,
                             err);
        if (r == 0)
            r = parse_idmaps(ctx, v, jpi, "gidMappings", &m->gid_mappings, &m->n_gid_mappings,
                             err);
        if (r < 0)
            return r;
        if (m->destination[0] != '/') {
            char jd[JPATH_MAX];
            return parse_error(ctx, err, jpath_key(jd, sizeof(jd), jpi, "destination"),
                               "'%s' is not an absolute path", m->destination);
        }
        if (!m->options)
            m->options = xcalloc(1, sizeof(char *));
    }
    return 0;
}

static int parse_hook_list(const struct parse_ctx *ctx, const json_t *hooks, const char *key,
                           struct oci_hook **ret, size_t *ret_n, struct hk_error *err)
{
    char jp[JPATH_MAX], jpi[JPATH_MAX];
    json_t *arr;
    int r = parse_array(ctx, hooks, "hooks", key, &arr, err);
    if (r < 0 || !arr)
        return r;
    jpath_key(jp, sizeof(jp), "hooks", key);
    struct oci_hook *list = xcalloc(json_array_size(arr), sizeof(*list));
    *ret = list;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        jpath_index(jpi, sizeof(jpi), jp, i);
        if (!json_is_object(v))
            return parse_error(ctx, err, jpi, "expected an object");
        struct oci_hook *h = &list[(*ret_n)++];
        int64_t t = 0;
        r = parse_string(ctx, v, jpi, "path", true, &h->path, err);
        if (r == 0)
            r = parse_strv(ctx, v, jpi, "args", &h->args, NULL, err);
        if (r == 0)
            r = parse_strv(ctx, v, jpi, "env", &h->env, NULL, err);
        if (r == 0)
            r = parse_int(ctx, v, jpi, "timeout", false, 1, INT32_MAX, &t, &h->has_timeout, err);
        if (r < 0)
            return r;
        h->timeout = (int)t;
        if (h->path[0] != '/') {
            char jx[JPATH_MAX];
            return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jpi, "path"),
                               "'%s' is not an absolute path", h->path);
        }
    }
    return 0;
}

static int parse_hooks(const struct parse_ctx *ctx, const json_t *root, struct oci_spec *s,
                       struct hk_error *err)
{
    json_t *hooks;
    int r = parse_object(ctx, root, "", "hooks", &hooks, err);
    if (r < 0 || !hooks)
        return r;
    for (int k = 0; k < OCI_HOOK_COUNT; k++) {
        r = parse_hook_list(ctx, hooks, hook_names[k], &s->hooks.list[k], &s->hooks.n[k], err);
        if (r < 0)
            return r;
    }
    return 0;
}

static int parse_namespaces(const struct parse_ctx *ctx, const json_t *lx, struct oci_linux *l,
                            struct hk_error *err)
{
    char jpi[JPATH_MAX], jx[JPATH_MAX];
    json_t *arr;
    int r = parse_array(ctx, lx, "linux", "namespaces", &arr, err);
    if (r < 0 || !arr)
        return r;
    l->namespaces = xcalloc(json_array_size(arr), sizeof(*l->namespaces));
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        jpath_index(jpi, sizeof(jpi), "linux.namespaces", i);
        if (!json_is_object(v))
            return parse_error(ctx, err, jpi, "expected an object");
        _cleanup_free_ char *type = NULL;
        enum oci_ns_type t;
        r = parse_string(ctx, v, jpi, "type", true, &type, err);
        if (r < 0)
            return r;
        if (oci_ns_from_name(type, &t) < 0)
            return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jpi, "type"),
                               "unknown namespace type '%s' (expected pid, network, mount, ipc, "
                               "uts, user, cgroup or time)",
                               type);
        for (size_t k = 0; k < l->n_namespaces; k++)
            if (l->namespaces[k].type == t)
                return parse_error(ctx, err, jpi, "duplicate namespace '%s'", type);
        struct oci_namespace *ns = &l->namespaces[l->n_namespaces++];
        ns->type = t;
        r = parse_string(ctx, v, jpi, "path", false, &ns->path, err);
        if (r < 0)
            return r;
        if (ns->path && ns->path[0] != '/')
            return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jpi, "path"),
                               "'%s' is not an absolute path", ns->path);
    }
    return 0;
}

static int parse_devices(const struct parse_ctx *ctx, const json_t *lx, struct oci_linux *l,
                         struct hk_error *err)
{
    char jpi[JPATH_MAX], jx[JPATH_MAX];
    json_t *arr;
    int r = parse_array(ctx, lx, "linux", "devices", &arr, err);
    if (r < 0 || !arr)
        return r;
    l->devices = xcalloc(json_array_size(arr), sizeof(*l->devices));
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        jpath_index(jpi, sizeof(jpi), "linux.devices", i);
        if (!json_is_object(v))
            return parse_error(ctx, err, jpi, "expected an object");
        struct oci_device *d = &l->devices[l->n_devices++];
        _cleanup_free_ char *type = NULL;
        int64_t n = 0;
        r = parse_string(ctx, v, jpi, "path", true, &d->path, err);
        if (r == 0)
            r = parse_string(ctx, v, jpi, "type", true, &type, err);
        if (r < 0)
            return r;
        if (d->path[0] != '/')
            return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jpi, "path"),
                               "'%s' is not an absolute path", d->path);
        if (strlen(type) != 1 || !strchr("cbup", type[0]))
            return parse_error(ctx, err, jpath_key(jx, sizeof(jx), jpi, "type"),
                               "'%s' is not a device type (c, b, u or p)", type);
        d->type = type[0];
        bool has_major = false, has_minor = false;
        r = parse_int(ctx, v, jpi, "major", false, 0, UINT32_MAX, &d->major, &has_major, err);
        if (r == 0)
            r = parse_int(ctx, v, jpi, "minor", false, 0, UINT32_MAX, &d->minor, &has_minor, err);
        if (r < 0)
            return r;
        if (d->type != 'p' && (!has_major || !has_minor))
            return parse_error(ctx, err, jpi, "device '%s' needs major and minor numbers",
                               d->path);
        r = parse_int(ctx, v, jpi, "fileMode", false, 0, 07777, &n, &d->has_file_mode, err);
        if (r < 0)
            return r;
        d->file_mode = (mode_t)n;
        r = parse_int(ctx, v, jpi, "uid", false, 0, UINT32_MAX - 1, &n, &d->has_uid, err);
        if (r < 0)
            return r;
        d->uid = (uid_t)n;
        r = parse_int(ctx, v, jpi, "gid", false, 0, UINT32_MAX - 1, &n, &d->has_gid, err);
        if (r < 0)
            return r;
        d->gid = (gid_t)n;
    }
    return 0;
}

static int parse_time_offsets(const struct parse_ctx *ctx, const json_t *lx, struct oci_linux *l,
                              struct hk_error *err)
{
    json_t *to;
    int r = parse_object(ctx, lx, "linux", "timeOffsets", &to, err);
    if (r < 0 || !to)
        return r;
    static const char *const clocks[] = {"boottime", "monotonic"};
    struct oci_time_offset *dst[] = {&l->boottime, &l->monotonic};
    for (size_t i = 0; i < ELEMENTSOF(clocks); i++) {
        char jp[JPATH_MAX];
        json_t *c;
        r = parse_object(ctx, to, "linux.timeOffsets", clocks[i], &c, err);
        if (r < 0)
            return r;
        if (!c)
            continue;
        jpath_key(jp, sizeof(jp), "linux.timeOffsets", clocks[i]);
        int64_t ns = 0;
        r = parse_int(ctx, c, jp, "secs", false, INT64_MIN, INT64_MAX, &dst[i]->secs, NULL, err);
        if (r == 0)
            r = parse_int(ctx, c, jp, "nanosecs", false, 0, 999999999, &ns, NULL, err);
        if (r < 0)
            return r;
        dst[i]->nanosecs = (uint32_t)ns;
        dst[i]->set = true;
    }
    return 0;
}

static int parse_sysctl(const struct parse_ctx *ctx, const json_t *lx, struct oci_linux *l,
                        struct hk_error *err)
{
    json_t *obj;
    int r = parse_object(ctx, lx, "linux", "sysctl", &obj, err);
    if (r < 0 || !obj)
        return r;
    l->sysctl = xcalloc(json_object_size(obj), sizeof(*l->sysctl));
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        char jp[JPATH_MAX];
        if (!json_is_string(v))
            return parse_error(ctx, err, jpath_key(jp, sizeof(jp), "linux.sysctl", k),
                               "expected a string value");
        if (!k[0] || strstr(k, "..") || k[0] == '/' || k[0] == '.')
            return parse_error(ctx, err, jpath_key(jp, sizeof(jp), "linux.sysctl", k),
                               "'%s' is not a sysctl name", k);
        l->sysctl[l->n_sysctl].key = xstrdup(k);
        l->sysctl[l->n_sysctl].value = xstrdup(json_string_value(v));
        l->n_sysctl++;
    }
    return 0;
}

static int parse_linux(const struct parse_ctx *ctx, const json_t *root, struct oci_spec *s,
                       struct hk_error *err)
{
    json_t *lx;
    int r = parse_object(ctx, root, "", "linux", &lx, err);
    if (r < 0 || !lx)
        return r;
    s->has_linux = true;
    struct oci_linux *l = &s->linux_;
    r = parse_namespaces(ctx, lx, l, err);
    if (r == 0)
        r = parse_idmaps(ctx, lx, "linux", "uidMappings", &l->uid_mappings, &l->n_uid_mappings,
                         err);
    if (r == 0)
        r = parse_idmaps(ctx, lx, "linux", "gidMappings", &l->gid_mappings, &l->n_gid_mappings,
                         err);
    if (r == 0)
        r = parse_time_offsets(ctx, lx, l, err);
    if (r == 0)
        r = parse_devices(ctx, lx, l, err);
    if (r == 0)
        r = parse_string(ctx, lx, "linux", "cgroupsPath", false, &l->cgroups_path, err);
    if (r == 0)
        r = parse_string(ctx, lx, "linux", "rootfsPropagation", false, &l->rootfs_propagation,
                         err);
    if (r == 0)
        r = parse_strv(ctx, lx, "linux", "maskedPaths", &l->masked_paths, NULL, err);
    if (r == 0)
        r = parse_strv(ctx, lx, "linux", "readonlyPaths", &l->readonly_paths, NULL, err);
    if (r == 0)
        r = parse_sysctl(ctx, lx, l, err);
    if (r == 0)
        r = parse_string(ctx, lx, "linux", "mountLabel", false, &l->mount_label, err);
    if (r == 0)
        r = oci_parse_memory_policy(ctx, lx, &l->memory_policy, err);
    if (r == 0)
        r = parse_object(ctx, lx, "linux", "resources", &l->resources, err);
    if (r == 0)
        r = parse_object(ctx, lx, "linux", "seccomp", &l->seccomp, err);
    if (r < 0)
        return r;
    if (l->rootfs_propagation) {
        static const char *const ok[] = {"private", "rprivate", "shared", "rshared",
                                         "slave",   "rslave",   "unbindable", "runbindable"};
        bool found = false;
        for (size_t i = 0; i < ELEMENTSOF(ok); i++)
            found |= strcmp(l->rootfs_propagation, ok[i]) == 0;
        if (!found)
            return parse_error(ctx, err, "linux.rootfsPropagation",
                               "'%s' is not a propagation mode", l->rootfs_propagation);
    }
    bool userns = spec_namespace(s, OCI_NS_USER) != NULL;
    if ((l->n_uid_mappings || l->n_gid_mappings) && !userns)
        return parse_error(ctx, err, "linux.uidMappings",
                           "id mappings need a user namespace in linux.namespaces");
    if (userns && !spec_namespace(s, OCI_NS_USER)->path &&
        (!l->n_uid_mappings || !l->n_gid_mappings))
        return parse_error(ctx, err, "linux.namespaces",
                           "a new user namespace needs linux.uidMappings and linux.gidMappings");
    if ((l->boottime.set || l->monotonic.set) &&
        (!spec_namespace(s, OCI_NS_TIME) || spec_namespace(s, OCI_NS_TIME)->path))
        return parse_error(ctx, err, "linux.timeOffsets", "time offsets need a new time namespace");
    return 0;
}

int spec_parse(const char *text, size_t len, const char *file, struct oci_spec **ret,
               struct hk_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return hk_error_set(err, -EINVAL, "%s:%d:%d: not valid JSON: %s", file, jerr.line,
                            jerr.column, jerr.text);
    struct oci_spec *s = xcalloc(1, sizeof(*s));
    s->json = root;
    s->text = strndup(text, len);
    s->file = xstrdup(file); /* ctx outlives the caller's string (spec_load frees its path) */
    s->ctx = (struct parse_ctx){.file = s->file, .text = s->text};
    const struct parse_ctx *ctx = &s->ctx;
    int r;
    if (!json_is_object(root)) {
        r = hk_error_set(err, -EINVAL, "%s: expected a JSON object at the top", file);
        goto fail;
    }
    r = parse_string(ctx, root, "", "ociVersion", true, &s->oci_version, err);
    if (r < 0)
        goto fail;
    if (strncmp(s->oci_version, "1.", 2) != 0) {
        r = parse_error(ctx, err, "ociVersion", "unsupported version '%s' (expected 1.x)",
                        s->oci_version);
        goto fail;
    }
    json_t *rootobj;
    r = parse_object(ctx, root, "", "root", &rootobj, err);
    if (r < 0)
        goto fail;
    if (!rootobj) {
        r = parse_error(ctx, err, "root", "required field is missing");
        goto fail;
    }
    r = parse_string(ctx, rootobj, "root", "path", true, &s->root_path, err);
    if (r == 0)
        r = parse_bool(ctx, rootobj, "root", "readonly", &s->root_readonly, err);
    if (r < 0)
        goto fail;
    json_t *proc;
    r = parse_object(ctx, root, "", "process", &proc, err);
    if (r < 0)
        goto fail;
    if (proc) {
        r = spec_parse_process(ctx, proc, "process", &s->process, err);
        if (r < 0)
            goto fail;
    }
    r = parse_string(ctx, root, "", "hostname", false, &s->hostname, err);
    if (r == 0)
        r = parse_string(ctx, root, "", "domainname", false, &s->domainname, err);
    if (r == 0)
        r = parse_mounts(ctx, root, s, err);
    if (r == 0)
        r = parse_hooks(ctx, root, s, err);
    if (r == 0)
        r = parse_linux(ctx, root, s, err);
    if (r == 0)
        r = parse_object(ctx, root, "", "annotations", &s->annotations, err);
    if (r < 0)
        goto fail;
    if (s->hostname && s->hostname[0] && !spec_namespace(s, OCI_NS_UTS)) {
        r = parse_error(ctx, err, "hostname", "setting a hostname needs a uts namespace");
        goto fail;
    }
    r = spec_check_namespaced(s, err);
    if (r < 0)
        goto fail;
    *ret = s;
    return 0;
fail:
    spec_free(s);
    return r;
}

int spec_load(const char *bundle, struct oci_spec **ret, struct hk_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/config.json", bundle);
    _cleanup_free_ char *text = NULL;
    size_t len;
    struct stat st;
    if (stat(bundle, &st) < 0)
        return hk_error_errno(err, -errno, "bundle '%s'", bundle);
    if (!S_ISDIR(st.st_mode))
        return hk_error_set(err, -ENOTDIR, "bundle '%s' is not a directory", bundle);
    int r = read_file(path, SPEC_MAX_BYTES, &text, &len, err);
    if (r < 0)
        return r;
    return spec_parse(text, len, path, ret, err);
}

static void mounts_free(struct oci_mount *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].destination);
        free(m[i].source);
        free(m[i].type);
        strv_free(m[i].options);
        free(m[i].uid_mappings);
        free(m[i].gid_mappings);
    }
    free(m);
}

struct oci_spec *spec_free(struct oci_spec *s)
{
    if (!s)
        return NULL;
    free(s->oci_version);
    free(s->file);
    free(s->root_path);
    process_free(s->process);
    free(s->hostname);
    free(s->domainname);
    mounts_free(s->mounts, s->n_mounts);
    for (int k = 0; k < OCI_HOOK_COUNT; k++) {
        for (size_t i = 0; i < s->hooks.n[k]; i++) {
            free(s->hooks.list[k][i].path);
            strv_free(s->hooks.list[k][i].args);
            strv_free(s->hooks.list[k][i].env);
        }
        free(s->hooks.list[k]);
    }
    struct oci_linux *l = &s->linux_;
    for (size_t i = 0; i < l->n_namespaces; i++)
        free(l->namespaces[i].path);
    free(l->namespaces);
    free(l->uid_mappings);
    free(l->gid_mappings);
    for (size_t i = 0; i < l->n_devices; i++)
        free(l->devices[i].path);
    free(l->devices);
    free(l->cgroups_path);
    free(l->rootfs_propagation);
    strv_free(l->masked_paths);
    strv_free(l->readonly_paths);
    for (size_t i = 0; i < l->n_sysctl; i++) {
        free(l->sysctl[i].key);
        free(l->sysctl[i].value);
    }
    free(l->sysctl);
    free(l->mount_label);
    if (s->json)
        json_decref(s->json);
    free(s->text);
    free(s);
    return NULL;
}
