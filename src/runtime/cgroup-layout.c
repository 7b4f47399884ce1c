/* cgroup-layout.c — which cgroup hierarchies a host has, where the container goes in them,
 * and how that is recorded in state.json. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/cgroup-internal.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/path.h"

static const char *const ctrl_names[CG_COUNT] = {
    [CG_CPU] = "cpu",         [CG_CPUACCT] = "cpuacct",   [CG_CPUSET] = "cpuset",
    [CG_MEMORY] = "memory",   [CG_DEVICES] = "devices",   [CG_FREEZER] = "freezer",
    [CG_BLKIO] = "blkio",     [CG_PIDS] = "pids",         [CG_HUGETLB] = "hugetlb",
    [CG_NET_CLS] = "net_cls", [CG_NET_PRIO] = "net_prio", [CG_RDMA] = "rdma",
    [CG_PERF_EVENT] = "perf_event", [CG_MISC] = "misc",
};

const char *cgroup_ctrl_name(enum cgroup_ctrl c, bool v2)
{
    if (v2 && c == CG_BLKIO)
        return "io";
    return (unsigned)c < CG_COUNT ? ctrl_names[c] : "?";
}

int cgroup_ctrl_from_name(const char *name, bool v2)
{
    if (v2 && strcmp(name, "io") == 0)
        return CG_BLKIO;
    if (v2 && strcmp(name, "blkio") == 0)
        return -1;
    for (int c = 0; c < CG_COUNT; c++)
        if (strcmp(name, ctrl_names[c]) == 0)
            return c;
    return -1;
}

void cgroup_hier_clear(struct cgroup_hier *h)
{
    free(h->mount);
    free(h->name);
    free(h->options);
    free(h->dir);
    *h = (struct cgroup_hier){0};
}

/* Undo mountinfo's octal escapes ("\040" for a space) in place. */
static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

/* From a v1 superblock's options ("rw,xattr,cpu,cpuacct", "rw,name=systemd"): its controller
 * bits and the options that name it again at mount time ("cpu,cpuacct", "name=systemd"). */
static void v1_options(const char *superopts, unsigned *ret_ctrls, char **ret_options)
{
    _cleanup_free_ char *copy = xstrdup(superopts);
    char *save = NULL, *out = xcalloc(1, strlen(superopts) + 1);
    unsigned ctrls = 0;
    for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        int c = cgroup_ctrl_from_name(o, false);
        /* "xattr" too: mounting an existing hierarchy with other flags makes the kernel warn. */
        if (c < 0 && strncmp(o, "name=", 5) != 0 && strcmp(o, "xattr") != 0)
            continue;
        if (c >= 0)
            ctrls |= CG_BIT(c);
        if (out[0])
            strcat(out, ",");
        strcat(out, o);
    }
    *ret_ctrls = ctrls;
    *ret_options = out;
}

struct mi_line {
    char *devno, *root, *mountpoint, *fstype, *superopts;
};

/* Split one mountinfo line in place; false when it is malformed. */
static bool mi_split(char *line, struct mi_line *ret)
{
    char *f[6], *save = NULL;
    char *sep = strstr(line, " - ");
    if (!sep)
        return false;
    *sep = '\0';
    f[0] = strtok_r(line, " ", &save);
    for (int i = 1; i < 6; i++)
        f[i] = strtok_r(NULL, " ", &save);
    save = NULL;
    ret->fstype = strtok_r(sep + 3, " ", &save);
    char *source = strtok_r(NULL, " ", &save);
    ret->superopts = strtok_r(NULL, " ", &save);
    if (!f[4] || !ret->fstype || !source || !ret->superopts)
        return false;
    ret->devno = f[2];
    ret->root = f[3];
    ret->mountpoint = f[4];
    unescape(ret->mountpoint);
    return true;
}

struct mi_seen {
    char *devno;
    bool full; /* mounted from the hierarchy's root */
};

/* Add the hierarchy a mountinfo line describes, once per superblock. A mount of a subtree
 * (root other than "/": a bind mount, or a nested container's view) is replaced by a full
 * mount of the same superblock when one follows. */
static void mi_add(const struct mi_line *l, struct cgroup_hier **hiers, size_t *n,
                   struct mi_seen **seen)
{
    bool v2 = strcmp(l->fstype, "cgroup2") == 0, full = strcmp(l->root, "/") == 0;
    size_t i;
    for (i = 0; i < *n; i++)
        if (strcmp((*seen)[i].devno, l->devno) == 0)
            break;
    if (i < *n && ((*seen)[i].full || !full))
        return;
    if (i < *n) {
        cgroup_hier_clear(&(*hiers)[i]);
        free((*seen)[i].devno);
    } else {
        *hiers = xrealloc(*hiers, (*n + 1) * sizeof(**hiers));
        *seen = xrealloc(*seen, (*n + 1) * sizeof(**seen));
        (*n)++;
    }
    struct cgroup_hier *h = &(*hiers)[i];
    *h = (struct cgroup_hier){.v2 = v2, .mount = xstrdup(l->mountpoint)};
    (*seen)[i] = (struct mi_seen){.devno = xstrdup(l->devno), .full = full};
    const char *base = strrchr(h->mount, '/');
    h->name = xstrdup(base && base[1] ? base + 1 : (v2 ? "unified" : "cgroup"));
    if (!v2)
        v1_options(l->superopts, &h->ctrls, &h->options);
}

int cgroup_parse_mountinfo(const char *text, struct cgroup_hier **ret, size_t *ret_n,
                           struct hk_error *err)
{
    _cleanup_free_ char *copy = xstrdup(text);
    struct cgroup_hier *hiers = NULL;
    struct mi_seen *seen = NULL;
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct mi_line l;
        if (!mi_split(line, &l))
            continue;
        if (strcmp(l.fstype, "cgroup") != 0 && strcmp(l.fstype, "cgroup2") != 0)
            continue;
        mi_add(&l, &hiers, &n, &seen);
    }
    for (size_t i = 0; i < n; i++)
        free(seen[i].devno);
    free(seen);
    (void)err;
    *ret = hiers;
    *ret_n = n;
    return 0;
}

int cgroup_layout_of(struct cgroup_hier *hiers, size_t *n, enum cgroup_layout *ret,
                     struct hk_error *err)
{
    bool v1 = false, v2 = false;
    for (size_t i = 0; i < *n; i++) {
        v1 |= !hiers[i].v2 && hiers[i].ctrls != 0;
        v2 |= hiers[i].v2;
    }
    if (!v1 && !v2)
        return hk_error_set(err, -ENOENT, "no cgroup filesystem is mounted (/proc/self/mountinfo)");
    *ret = v1 ? (v2 ? CGROUP_LAYOUT_HYBRID : CGROUP_LAYOUT_V1) : CGROUP_LAYOUT_V2;
    /* Keep one cgroup2 mount; on a pure v2 host drop v1 named hierarchies (systemd's legacy
     * name=systemd mounted for old containers is not ours to populate). */
    size_t o = 0;
    bool have_v2 = false;
    for (size_t i = 0; i < *n; i++) {
        bool keep = hiers[i].v2 ? !have_v2 : *ret != CGROUP_LAYOUT_V2;
        have_v2 |= hiers[i].v2 && keep;
        if (keep)
            hiers[o++] = hiers[i];
        else
            cgroup_hier_clear(&hiers[i]);
    }
    *n = o;
    return 0;
}

void cgroup_assign_owners(enum cgroup_layout layout, struct cgroup_hier *hiers, size_t n)
{
    unsigned owned = 0;
    struct cgroup_hier *v2 = NULL;
    for (size_t i = 0; i < n; i++) {
        hiers[i].ops = hiers[i].v2 ? &cgroup_backend_v2 : &cgroup_backend_v1;
        if (hiers[i].v2) {
            v2 = &hiers[i];
            continue;
        }
        hiers[i].owns = hiers[i].ctrls & ~owned;
        owned |= hiers[i].owns;
    }
    if (!v2)
        return;
    v2->owns = v2->ctrls & ~owned;
    /* Core cgroup2 features stand in for missing v1 controllers: cgroup.freeze for the
     * freezer, a BPF program for the device controller, cpu.stat for cpuacct. */
    unsigned core = CG_BIT(CG_FREEZER) | CG_BIT(CG_DEVICES);
    if (layout == CGROUP_LAYOUT_V2)
        core |= CG_BIT(CG_CPUACCT);
    v2->owns |= core & ~owned;
}

struct cgroup_hier *cgroup_owner(const struct cgroup_manager *m, enum cgroup_ctrl c)
{
    for (size_t i = 0; i < m->n_hiers; i++)
        if (m->hiers[i].owns & CG_BIT(c))
            return &m->hiers[i];
    return NULL;
}

struct cgroup_hier *cgroup_primary(const struct cgroup_manager *m)
{
    static const enum cgroup_ctrl prefer[] = {CG_FREEZER, CG_PIDS, CG_MEMORY, CG_CPU};
    for (size_t i = 0; i < ELEMENTSOF(prefer); i++) {
        struct cgroup_hier *h = cgroup_owner(m, prefer[i]);
        if (h)
            return h;
    }
    return m->n_hiers ? &m->hiers[0] : NULL;
}

/* Read the controllers of a cgroup2 mount from its root's cgroup.controllers. */
static void v2_controllers(struct cgroup_hier *h)
{
    _cleanup_free_ char *s = NULL;
    if (cg_read(h->mount, "cgroup.controllers", &s, NULL) < 0)
        return;
    char *save = NULL;
    for (char *c = strtok_r(s, " ", &save); c; c = strtok_r(NULL, " ", &save)) {
        int ctrl = cgroup_ctrl_from_name(c, true);
        if (ctrl >= 0)
            h->ctrls |= CG_BIT(ctrl);
    }
}

/* The symlinks next to the v1 hierarchies ("cpu" -> "cpu,cpuacct"), to recreate them in the
 * container's cgroup tmpfs. */
static void find_links(struct cgroup_manager *m)
{
    const struct cgroup_hier *first = NULL;
    for (size_t i = 0; i < m->n_hiers && !first; i++)
        if (!m->hiers[i].v2)
            first = &m->hiers[i];
    if (!first)
        return;
    _cleanup_free_ char *parent = NULL, *base = NULL;
    if (path_split(first->mount, &parent, &base) < 0)
        return;
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        char target[256];
        if (de->d_type != DT_LNK)
            continue;
        ssize_t len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        for (size_t i = 0; i < m->n_hiers; i++) {
            if (strcmp(m->hiers[i].name, target) != 0)
                continue;
            m->links = xrealloc(m->links, (m->n_links + 1) * sizeof(*m->links));
            m->links[m->n_links++] =
                (struct cgroup_link){.name = xstrdup(de->d_name), .target = xstrdup(target)};
            break;
        }
    }
    closedir(d);
}

int cgroup_detect(struct cgroup_manager *m, struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    int r = read_file("/proc/self/mountinfo", 16 << 20, &text, NULL, err);
    if (r < 0)
        return r;
    r = cgroup_parse_mountinfo(text, &m->hiers, &m->n_hiers, err);
    if (r == 0)
        r = cgroup_layout_of(m->hiers, &m->n_hiers, &m->layout, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < m->n_hiers; i++)
        if (m->hiers[i].v2)
            v2_controllers(&m->hiers[i]);
    cgroup_assign_owners(m->layout, m->hiers, m->n_hiers);
    find_links(m);
    return 0;
}

int cgroup_layout_detect(enum cgroup_layout *ret, struct hk_error *err)
{
    struct cgroup_manager m = {0};
    int r = cgroup_detect(&m, err);
    if (r == 0)
        *ret = m.layout;
    for (size_t i = 0; i < m.n_hiers; i++)
        cgroup_hier_clear(&m.hiers[i]);
    free(m.hiers);
    for (size_t i = 0; i < m.n_links; i++) {
        free(m.links[i].name);
        free(m.links[i].target);
    }
    free(m.links);
    return r;
}

int cgroup_path_resolve(const char *id, const char *cgroups_path, char **ret,
                        struct hk_error *err)
{
    _cleanup_free_ char *joined = NULL;
    if (!cgroups_path || !cgroups_path[0]) {
        if (!id || !id[0] || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
            return hk_error_set(err, -EINVAL, "container id '%s' cannot name a cgroup",
                                id ? id : "");
        joined = xasprintf("/hako/%s", id);
    } else if (cgroups_path[0] == '/') {
        joined = xstrdup(cgroups_path);
    } else {
        joined = xasprintf("/hako/%s", cgroups_path);
    }
    char *clean = path_clean(joined);
    if (strcmp(clean, "/") == 0 || strcmp(clean, "/hako") == 0 ||
        (cgroups_path && cgroups_path[0] && cgroups_path[0] != '/' &&
         strncmp(clean, "/hako/", 6) != 0)) {
        free(clean);
        return hk_error_set(err, -EINVAL, "cgroupsPath '%s' does not name a cgroup of its own%s",
                            cgroups_path ? cgroups_path : "",
                            cgroups_path && cgroups_path[0] != '/' ? " under /hako" : "");
    }
    *ret = clean;
    return 0;
}

/* --- state.json ------------------------------------------------------------------------- */

static const char *const layout_names[] = {
    [CGROUP_LAYOUT_V1] = "v1", [CGROUP_LAYOUT_V2] = "v2", [CGROUP_LAYOUT_HYBRID] = "hybrid"};

static json_t *ctrls_json(unsigned ctrls, bool v2)
{
    json_t *a = json_array();
    for (int c = 0; c < CG_COUNT; c++)
        if (ctrls & CG_BIT(c))
            json_array_append_new(a, json_string(cgroup_ctrl_name(c, v2)));
    return a;
}

json_t *cgroup_to_json(const struct cgroup_manager *m)
{
    json_t *hiers = json_array(), *links = json_array();
    for (size_t i = 0; i < m->n_hiers; i++) {
        const struct cgroup_hier *h = &m->hiers[i];
        json_t *o = json_pack("{s:s, s:s, s:b, s:o, s:i}", "mount", h->mount, "name", h->name,
                              "v2", h->v2, "controllers", ctrls_json(h->ctrls, h->v2),
                              "created", h->created);
        if (h->options)
            json_object_set_new(o, "options", json_string(h->options));
        json_array_append_new(hiers, o);
    }
    for (size_t i = 0; i < m->n_links; i++)
        json_array_append_new(links, json_pack("{s:s, s:s}", "name", m->links[i].name, "target",
                                               m->links[i].target));
    json_t *devices = json_array();
    for (size_t i = 0; i < m->n_extra_devices; i++) {
        char rule[64];
        json_array_append_new(devices, json_string(resources_device_rule_str(
                                           &m->extra_devices[i], rule, sizeof(rule))));
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:o}", "layout", layout_names[m->layout], "path",
                     m->path, "hierarchies", hiers, "links", links, "devices", devices);
}

static int hier_from_json(const json_t *o, struct cgroup_hier *h, struct hk_error *err)
{
    const char *mount = NULL, *name = NULL, *options = NULL;
    json_t *ctrls = NULL;
    int v2 = 0, created = 0;
    if (json_unpack((json_t *)o, "{s:s, s:s, s:b, s:o, s?i, s?s}", "mount", &mount, "name", &name, "v2",
                    &v2, "controllers", &ctrls, "created", &created, "options", &options) < 0 ||
        !json_is_array(ctrls) || mount[0] != '/' || strchr(name, '/'))
        return hk_error_set(err, -EINVAL, "state: malformed cgroup hierarchy");
    *h = (struct cgroup_hier){.v2 = v2, .mount = xstrdup(mount), .name = xstrdup(name),
                              .options = xstrdup(options), .created = created};
    size_t i;
    json_t *c;
    json_array_foreach(ctrls, i, c) {
        int ctrl = json_is_string(c) ? cgroup_ctrl_from_name(json_string_value(c), v2) : -1;
        if (ctrl >= 0)
            h->ctrls |= CG_BIT(ctrl);
    }
    return 0;
}

int cgroup_layout_from_json(const json_t *j, struct cgroup_manager *m, struct hk_error *err)
{
    const char *layout = NULL, *path = NULL;
    json_t *hiers = NULL, *links = NULL, *devices = NULL;
    if (json_unpack((json_t *)j, "{s:s, s:s, s:o, s?o, s?o}", "layout", &layout, "path", &path,
                    "hierarchies", &hiers, "links", &links, "devices", &devices) < 0 ||
        !json_is_array(hiers) || path[0] != '/')
        return hk_error_set(err, -EINVAL, "state: malformed cgroup record");
    size_t l;
    for (l = 0; l < ELEMENTSOF(layout_names); l++)
        if (strcmp(layout, layout_names[l]) == 0)
            break;
    if (l == ELEMENTSOF(layout_names))
        return hk_error_set(err, -EINVAL, "state: unknown cgroup layout '%s'", layout);
    m->layout = (enum cgroup_layout)l;
    m->path = path_clean(path);
    m->hiers = xcalloc(json_array_size(hiers), sizeof(*m->hiers));
    for (size_t i = 0; i < json_array_size(hiers); i++) {
        int r = hier_from_json(json_array_get(hiers, i), &m->hiers[i], err);
        if (r < 0)
            return r;
        m->n_hiers++;
        m->hiers[i].dir = xasprintf("%s%s", m->hiers[i].mount, m->path);
    }
    for (size_t i = 0; json_is_array(links) && i < json_array_size(links); i++) {
        const char *name, *target;
        if (json_unpack(json_array_get(links, i), "{s:s, s:s}", "name", &name, "target",
                        &target) < 0 || strchr(name, '/') || strchr(target, '/'))
            continue;
        m->links = xrealloc(m->links, (m->n_links + 1) * sizeof(*m->links));
        m->links[m->n_links++] =
            (struct cgroup_link){.name = xstrdup(name), .target = xstrdup(target)};
    }
    for (size_t i = 0; json_is_array(devices) && i < json_array_size(devices); i++) {
        struct res_device_rule d = {.allow = true, .access = "rwm"};
        long long major, minor;
        const char *s = json_string_value(json_array_get(devices, i));
        if (!s || sscanf(s, "%c %lld:%lld", &d.type, &major, &minor) != 3)
            continue;
        d.major = major;
        d.minor = minor;
        m->extra_devices = xrealloc(m->extra_devices,
                                    (m->n_extra_devices + 1) * sizeof(*m->extra_devices));
        m->extra_devices[m->n_extra_devices++] = d;
    }
    cgroup_assign_owners(m->layout, m->hiers, m->n_hiers);
    return 0;
}
