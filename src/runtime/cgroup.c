/* cgroup.c — the container's cgroup manager: create, enter, limit, freeze, kill, remove.
 *
 * The layout (which hierarchies, which backend owns which controller) comes from
 * cgroup-layout.c; file names and units from the backends. This file holds the lifecycle and
 * the rules every layout shares: directories made under each hierarchy's root at the same
 * path, limits written before the first process joins, and removal that kills what is left
 * and takes away exactly the directories hako made. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "oci/spec.h"
#include "runtime/cgroup-internal.h"
#include "util/fs.h"
#include "util/log.h"

static struct cgroup_manager *manager_new(void)
{
    struct cgroup_manager *m = xcalloc(1, sizeof(*m));
    return m;
}

struct cgroup_manager *cgroup_manager_free(struct cgroup_manager *m)
{
    if (!m)
        return NULL;
    for (size_t i = 0; i < m->n_hiers; i++)
        cgroup_hier_clear(&m->hiers[i]);
    free(m->hiers);
    for (size_t i = 0; i < m->n_links; i++) {
        free(m->links[i].name);
        free(m->links[i].target);
    }
    free(m->links);
    free(m->extra_devices);
    resources_free(m->pending);
    free(m->path);
    free(m);
    return NULL;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Whether the cgroup path's prefix of length len is hako's own parent, "/hako". */
static bool is_hako_parent(const char *path, size_t len)
{
    return len == 5 && strncmp(path, "/hako", 5) == 0;
}

/* mkdir the path level by level under h's mount, counting the trailing levels this call
 * made (h->created) and readying each through the backend: v1 cpuset copies cpus/mems into
 * what hako made (and into "/hako"); v2 enables controllers at every level above the leaf.
 * -ENOENT from a level means a concurrent delete removed an empty "/hako" under us: the
 * caller retries. */
static int hier_mkdir(const char *path, struct cgroup_hier *h, struct hk_error *err)
{
    size_t len = strlen(path);
    h->created = 0;
    for (size_t i = 1; i <= len; i++) {
        if (i < len && path[i] != '/')
            continue;
        _cleanup_free_ char *dir = xasprintf("%s%.*s", h->mount, (int)i, path);
        bool made = mkdir(dir, 0755) == 0;
        if (!made && errno != EEXIST)
            return hk_error_errno(err, -errno, "mkdir %s", dir);
        if (made || h->created > 0)
            h->created++;
        if (made || h->v2 || is_hako_parent(path, i)) {
            int r = h->ops->init_dir(h, dir, err);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* Remove dir and any cgroups below it (made inside the container through its cgroup
 * namespace), deepest first. Missing is fine; a busy cgroup is retried briefly. */
static int rmdir_tree(const char *dir, struct hk_error *err)
{
    if (rmdir(dir) == 0 || errno == ENOENT)
        return 0; /* the common case: an empty leaf */
    _cleanup_free_ char **subs = NULL;
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : hk_error_errno(err, -errno, "open %s", dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        subs = xrealloc(subs, (n + 1) * sizeof(char *));
        subs[n++] = xasprintf("%s/%s", dir, de->d_name);
    }
    closedir(d);
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        if (r == 0)
            r = rmdir_tree(subs[i], err);
        free(subs[i]);
    }
    if (r < 0)
        return r;
    for (int tries = 0; rmdir(dir) < 0; tries++) {
        if (errno == ENOENT)
            return 0;
        if (errno != EBUSY || tries >= 200)
            return hk_error_errno(err, -errno, "rmdir %s", dir);
        sleep_ms(10);
    }
    return 0;
}

/* Take away what hier_mkdir made: the leaf (with any sub-cgroups), then each parent hako
 * created while it is empty, and "/hako" itself when the last container left it. */
static int hier_rmdir(const char *path, struct cgroup_hier *h, struct hk_error *err)
{
    _cleanup_free_ char *dir = xasprintf("%s%s", h->mount, path);
    if (h->created == 0)
        return 0;
    int r = rmdir_tree(dir, err);
    if (r < 0)
        return r;
    for (int level = 1;; level++) {
        char *slash = strrchr(dir, '/');
        if (!slash || (size_t)(slash - dir) <= strlen(h->mount))
            break;
        *slash = '\0';
        size_t plen = strlen(dir) - strlen(h->mount);
        if (level >= h->created && !is_hako_parent(path, plen))
            break;
        if (rmdir(dir) < 0)
            break; /* not empty (another container), or not ours: leave it */
    }
    h->created = 0;
    return 0;
}

/* Everything requested must have a controller to carry it; say which JSON field cannot be
 * honoured rather than failing later on a missing file. */
static int check_supported(const struct cgroup_manager *m, const struct oci_resources *res,
                           const struct parse_ctx *ctx, const char *jpath, struct hk_error *err)
{
    static const char *const layouts[] = {"cgroup v1", "cgroup v2", "hybrid cgroup v1/v2"};
    const struct cgroup_res_need {
        bool wanted;
        enum cgroup_ctrl ctrl;
        const char *field;
    } needs[] = {
        {res->has_memory, CG_MEMORY, "memory"},
        {res->has_cpu && (res->cpu.has_shares || res->cpu.has_quota || res->cpu.has_period ||
                          res->cpu.has_burst || res->cpu.has_idle),
         CG_CPU, "cpu"},
        {res->cpu.cpus || res->cpu.mems, CG_CPUSET, "cpu"},
        {res->has_pids, CG_PIDS, "pids"},
        {res->has_blkio, CG_BLKIO, "blockIO"},
        {res->n_hugepages > 0, CG_HUGETLB, "hugepageLimits"},
        {res->n_devices > 0, CG_DEVICES, "devices"},
        {res->has_class_id, CG_NET_CLS, "network.classID"},
        {res->n_priorities > 0, CG_NET_PRIO, "network.priorities"},
        {res->n_rdma > 0, CG_RDMA, "rdma"},
    };
    char jp[JPATH_MAX];
    for (size_t i = 0; i < ELEMENTSOF(needs); i++)
        if (needs[i].wanted && !cgroup_owner(m, needs[i].ctrl))
            return parse_error(ctx, err, jpath_key(jp, sizeof(jp), jpath, needs[i].field),
                               "this host has no %s controller (%s)",
                               cgroup_ctrl_name(needs[i].ctrl, m->layout == CGROUP_LAYOUT_V2),
                               layouts[m->layout]);
    const struct cgroup_hier *v2 = NULL;
    for (size_t i = 0; i < m->n_hiers; i++)
        if (m->hiers[i].v2)
            v2 = &m->hiers[i];
    for (size_t i = 0; i < res->n_unified; i++) {
        if (v2 && cgroup_v2_key_here(m, v2, res->unified[i].key))
            continue;
        char base[JPATH_MAX];
        return parse_error(ctx, err,
                           jpath_key(jp, sizeof(jp), jpath_key(base, sizeof(base), jpath, "unified"),
                                     res->unified[i].key),
                           "a cgroup v2 file, but this host's '%.*s' is not on cgroup v2",
                           (int)strcspn(res->unified[i].key, "."), res->unified[i].key);
    }
    return 0;
}

static int apply_all(const struct cgroup_manager *m, const struct oci_resources *res, bool update,
                     struct hk_error *err)
{
    for (size_t i = 0; i < m->n_hiers; i++) {
        const struct cgroup_hier *h = &m->hiers[i];
        int r = h->ops->apply(m, h, res, update, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* A cgroup that was there before (a cgroupsPath shared on purpose, or left over): a frozen
 * one would hold the init stopped forever, so it is refused, as runc refuses it; one with
 * processes in it gets runc's warning. */
static int check_existing(const struct cgroup_manager *m, struct hk_error *err)
{
    const struct cgroup_hier *fz = cgroup_owner(m, CG_FREEZER);
    bool frozen = false;
    if (fz && fz->created == 0 && fz->ops->frozen(fz, &frozen) == 0 && frozen)
        return hk_error_set(err, -EBUSY,
                            "cgroup %s is frozen: a container cannot start in it (thaw it "
                            "first)",
                            m->path);
    for (size_t i = 0; i < m->n_hiers; i++) {
        const struct cgroup_hier *h = &m->hiers[i];
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        if (h->created != 0 || cg_read_pids(h->dir, false, &pids, &n, NULL) < 0 || n == 0)
            continue;
        log_warn("container's cgroup is not empty: %zu process(es) found in %s", n, h->dir);
        break;
    }
    return 0;
}

/* Make the directory in every hierarchy (retrying when a concurrent delete removes an empty
 * "/hako" between our mkdirs) and apply the limits. On failure what was made is removed. */
static int make_dirs(struct cgroup_manager *m, const struct oci_resources *res,
                     struct hk_error *err)
{
    int r = 0;
    for (size_t i = 0; i < m->n_hiers && r == 0; i++) {
        struct cgroup_hier *h = &m->hiers[i];
        for (int tries = 0; tries < 10; tries++) {
            hk_error_clear(err);
            r = hier_mkdir(m->path, h, err);
            if (r != -ENOENT)
                break;
        }
    }
    if (r == 0)
        r = check_existing(m, err);
    if (r == 0)
        r = apply_all(m, res, false, err);
    if (r < 0)
        for (size_t i = 0; i < m->n_hiers; i++)
            (void)hier_rmdir(m->path, &m->hiers[i], NULL);
    return r;
}

/* Everything short of touching cgroupfs: parse and check the resources, detect the layout,
 * resolve the path; the manager then knows every directory it will make. */
static int plan(const char *id, const char *cgroups_path, const json_t *resources,
                const struct parse_ctx *ctx, const struct oci_device *devices, size_t n_devices,
                struct cgroup_manager **ret, struct hk_error *err)
{
    static const struct parse_ctx no_ctx = {.file = "config.json"};
    struct cgroup_manager *m = manager_new();
    int r = resources_parse(ctx ? ctx : &no_ctx, resources, "linux.resources", &m->pending, err);
    if (r == 0)
        r = cgroup_detect(m, err);
    if (r == 0)
        r = cgroup_path_resolve(id, cgroups_path, &m->path, err);
    if (r == 0)
        r = check_supported(m, m->pending, ctx ? ctx : &no_ctx, "linux.resources", err);
    for (size_t i = 0; r == 0 && i < n_devices; i++) {
        if (devices[i].type == 'p')
            continue;
        m->extra_devices = xrealloc(m->extra_devices, (m->n_extra_devices + 1) *
                                                          sizeof(*m->extra_devices));
        m->extra_devices[m->n_extra_devices++] = (struct res_device_rule){
            true, devices[i].type == 'b' ? 'b' : 'c', devices[i].major, devices[i].minor, "rwm"};
    }
    for (size_t i = 0; r == 0 && i < m->n_hiers; i++)
        m->hiers[i].dir = xasprintf("%s%s", m->hiers[i].mount, m->path);
    if (r < 0) {
        cgroup_manager_free(m);
        return hk_error_prefix(err, r, "cgroup");
    }
    *ret = m;
    return 0;
}

static int realize(struct cgroup_manager *m, struct hk_error *err)
{
    if (!m->pending)
        return 0;
    int r = make_dirs(m, m->pending, err);
    if (r < 0)
        return hk_error_prefix(err, r, "cgroup");
    m->pending = resources_free(m->pending);
    return 0;
}

static int create(const char *id, const char *cgroups_path, const json_t *resources,
                  const struct parse_ctx *ctx, const struct oci_device *devices, size_t n_devices,
                  struct cgroup_manager **ret, struct hk_error *err)
{
    struct cgroup_manager *m = NULL;
    int r = plan(id, cgroups_path, resources, ctx, devices, n_devices, &m, err);
    if (r == 0 && (r = realize(m, err)) < 0)
        m = cgroup_manager_free(m);
    if (r == 0)
        *ret = m;
    return r;
}

int cgroup_create(const char *id, const char *cgroups_path, const json_t *resources,
                  const struct parse_ctx *ctx, struct cgroup_manager **ret, struct hk_error *err)
{
    return create(id, cgroups_path, resources, ctx, NULL, 0, ret, err);
}

int cgroup_create_for_spec(const char *id, const struct oci_spec *spec,
                           struct cgroup_manager **ret, struct hk_error *err)
{
    const struct oci_linux *l = &spec->linux_;
    return create(id, l->cgroups_path, l->resources, &spec->ctx, l->devices, l->n_devices, ret,
                  err);
}

int cgroup_adopt_for_spec(const char *id, const struct oci_spec *spec,
                          struct cgroup_manager **ret, struct hk_error *err)
{
    const struct oci_linux *l = &spec->linux_;
    struct cgroup_manager *m = NULL;
    int r = plan(id, l->cgroups_path, l->resources, &spec->ctx, l->devices, l->n_devices, &m,
                 err);
    if (r < 0)
        return r;
    m->pending = resources_free(m->pending);
    for (size_t i = 0; i < m->n_hiers; i++)
        m->hiers[i].created = path_exists(m->hiers[i].dir) ? 1 : 0;
    *ret = m;
    return 0;
}

int cgroup_enter(struct cgroup_manager *m, pid_t pid, struct hk_error *err)
{
    for (size_t i = 0; i < m->n_hiers; i++) {
        int r = cg_writef(m->hiers[i].dir, "cgroup.procs", err, "%d", (int)pid);
        if (r < 0)
            return hk_error_prefix(err, r, "cgroup: move pid %d", (int)pid);
    }
    return 0;
}

int cgroup_entry_open(const struct cgroup_manager *m, struct cgroup_entry *e,
                      struct hk_error *err)
{
    *e = (struct cgroup_entry){.clone_fd = -1};
    for (size_t i = 0; i < m->n_hiers; i++) {
        const struct cgroup_hier *h = &m->hiers[i];
        if (h->v2) {
            e->clone_fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (e->clone_fd < 0)
                goto fail;
            continue;
        }
        if (e->n_tasks == CGROUP_ENTRY_MAX) {
            cgroup_entry_close(e);
            return hk_error_set(err, -E2BIG, "cgroup: more than %d v1 hierarchies",
                                CGROUP_ENTRY_MAX);
        }
        _cleanup_free_ char *tasks = xasprintf("%s/tasks", h->dir);
        int fd = open(tasks, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            goto fail;
        e->dirs[e->n_tasks] = h->dir;
        e->tasks[e->n_tasks++] = fd;
    }
    return 0;
fail:;
    int r = -errno;
    cgroup_entry_close(e);
    return hk_error_errno(err, r, "cgroup: open %s", m->path);
}

int cgroup_entry_self(struct cgroup_entry *e, struct hk_error *err)
{
    for (size_t i = 0; i < e->n_tasks; i++)
        if (write(e->tasks[i], "0", 1) != 1)
            return hk_error_errno(err, -errno, "cgroup: join %s", e->dirs[i]);
    return 0;
}

void cgroup_entry_close(struct cgroup_entry *e)
{
    if (e->clone_fd >= 0)
        close(e->clone_fd);
    for (size_t i = 0; i < e->n_tasks; i++)
        close(e->tasks[i]);
    *e = (struct cgroup_entry){.clone_fd = -1};
}

const char *cgroup_path(const struct cgroup_manager *m)
{
    return m->path;
}

enum cgroup_layout cgroup_manager_layout(const struct cgroup_manager *m)
{
    return m->layout;
}

/* The pids in the container's cgroups, across all hierarchies (a process moved out of one
 * still blocks removal of the others), without duplicates. */
static int all_pids(struct cgroup_manager *m, pid_t **ret, size_t *ret_n, struct hk_error *err)
{
    pid_t *all = NULL;
    size_t n = 0;
    for (size_t i = 0; i < m->n_hiers; i++) {
        pid_t *v = NULL;
        size_t k = 0;
        int r = cg_read_pids(m->hiers[i].dir, true, &v, &k, err);
        if (r == -ENOENT)
            continue;
        if (r < 0) {
            free(all);
            return r;
        }
        for (size_t a = 0; a < k; a++) {
            size_t b = 0;
            while (b < n && all[b] != v[a])
                b++;
            if (b < n)
                continue;
            all = xrealloc(all, (n + 1) * sizeof(pid_t));
            all[n++] = v[a];
        }
        free(v);
    }
    *ret = all;
    *ret_n = n;
    return 0;
}

/* cgroup.kill on a cgroup2 directory when the kernel has it (>= 5.14): kills the whole
 * subtree atomically, no race with forks. */
static bool kill_v2(struct cgroup_manager *m)
{
    for (size_t i = 0; i < m->n_hiers; i++)
        if (m->hiers[i].v2 && cg_has(m->hiers[i].dir, "cgroup.kill"))
            return cg_write(m->hiers[i].dir, "cgroup.kill", "1", NULL) == 0;
    return false;
}

/* Signal every process; with a freezer the set is frozen first so a fork cannot slip
 * between reading cgroup.procs and the signal (unless the user already paused it). */
static int signal_all(struct cgroup_manager *m, int sig, pid_t *pids, size_t n)
{
    struct cgroup_hier *fz = cgroup_owner(m, CG_FREEZER);
    bool was_frozen = true;
    if (fz && fz->ops->frozen(fz, &was_frozen) < 0)
        was_frozen = true;
    bool froze = fz && !was_frozen && fz->ops->freeze(fz, true, NULL) == 0;
    int sent = 0;
    for (size_t i = 0; i < n; i++)
        if (kill(pids[i], sig) == 0)
            sent++;
    if (froze || (sig == SIGKILL && fz))
        (void)fz->ops->freeze(fz, false, NULL); /* frozen v1 tasks die only once thawed */
    return sent;
}

int cgroup_kill_all(struct cgroup_manager *m, int sig, struct hk_error *err)
{
    if (sig == SIGKILL && kill_v2(m))
        return 0;
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    int r = all_pids(m, &pids, &n, err);
    if (r < 0)
        return hk_error_prefix(err, r, "cgroup: kill");
    signal_all(m, sig, pids, n);
    return 0;
}

/* SIGKILL what is left until every hierarchy's cgroup.procs is empty, for at most 10 s. */
static int kill_remaining(struct cgroup_manager *m, struct hk_error *err)
{
    long deadline = now_ms() + 10000, delay = 1;
    kill_v2(m);
    for (;;) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = all_pids(m, &pids, &n, err);
        if (r < 0)
            return r;
        if (n == 0)
            return 0;
        if (now_ms() > deadline)
            return hk_error_set(err, -EBUSY, "%s: %zu processes (first %d) still there after 10 s",
                                m->path, n, (int)pids[0]);
        signal_all(m, SIGKILL, pids, n);
        sleep_ms(delay);
        delay = delay < 50 ? delay * 2 : 50;
    }
}

/* The common case at delete: every process is gone and the container made no cgroups of its
 * own, so each leaf goes with one rmdir — no cgroup.procs read, no directory listed. */
static bool remove_empty_leaves(const struct cgroup_manager *m)
{
    bool all = true;
    for (size_t i = 0; i < m->n_hiers; i++) {
        const struct cgroup_hier *h = &m->hiers[i];
        _cleanup_free_ char *dir = xasprintf("%s%s", h->mount, m->path);
        if (h->created > 0 && rmdir(dir) < 0 && errno != ENOENT)
            all = false;
    }
    return all;
}

int cgroup_destroy(struct cgroup_manager *m, struct hk_error *err)
{
    /* what is left in a frozen cgroup (a pause whose container lost its init) cannot die */
    if (cgroup_is_frozen(m))
        cgroup_freeze(m, false, NULL);
    int r = remove_empty_leaves(m) ? 0 : kill_remaining(m, err);
    if (r < 0)
        return hk_error_prefix(err, r, "cgroup: delete");
    for (size_t i = 0; i < m->n_hiers; i++) {
        r = hier_rmdir(m->path, &m->hiers[i], err);
        if (r < 0)
            return hk_error_prefix(err, r, "cgroup: delete");
    }
    return 0;
}

int cgroup_pids(struct cgroup_manager *m, pid_t **ret, size_t *ret_n, struct hk_error *err)
{
    struct cgroup_hier *h = cgroup_primary(m);
    if (!h)
        return hk_error_set(err, -ENOENT, "cgroup: no hierarchy");
    return cg_read_pids(h->dir, true, ret, ret_n, err);
}

int cgroup_freeze(struct cgroup_manager *m, bool freeze, struct hk_error *err)
{
    struct cgroup_hier *h = cgroup_owner(m, CG_FREEZER);
    if (!h)
        return hk_error_set(err, -EOPNOTSUPP, "cgroup: this host has no freezer");
    return h->ops->freeze(h, freeze, err);
}

bool cgroup_is_frozen(struct cgroup_manager *m)
{
    struct cgroup_hier *h = cgroup_owner(m, CG_FREEZER);
    bool frozen = false;
    return h && h->ops->frozen(h, &frozen) == 0 && frozen;
}

int cgroup_update(struct cgroup_manager *m, const json_t *resources, const struct parse_ctx *ctx,
                  struct hk_error *err)
{
    static const struct parse_ctx no_ctx = {.file = "resources"};
    struct oci_resources *res = NULL;
    int r = resources_parse(ctx ? ctx : &no_ctx, resources, "", &res, err);
    if (r == 0)
        r = check_supported(m, res, ctx ? ctx : &no_ctx, "", err);
    if (r == 0)
        r = apply_all(m, res, true, err);
    resources_free(res);
    return r < 0 ? hk_error_prefix(err, r, "cgroup: update") : 0;
}

int cgroup_stats(struct cgroup_manager *m, json_t **ret, struct hk_error *err)
{
    static const char *const sections[] = {"cpu", "cpuset", "memory", "pids", "blkio", "hugetlb",
                                           "intel_rdt"};
    json_t *stats = json_object();
    for (size_t i = 0; i < ELEMENTSOF(sections); i++)
        js_obj(stats, sections[i]);
    json_object_set_new(js_obj(stats, "cpu"), "usage", json_pack("{s:i, s:i}", "kernel", 0,
                                                                 "user", 0));
    json_object_set_new(stats, "network_interfaces", json_null());
    (void)err; /* a counter that cannot be read is left out, as runc does */
    for (size_t i = 0; i < m->n_hiers; i++) {
        const struct cgroup_hier *h = &m->hiers[i];
        for (int c = 0; c < CG_COUNT; c++)
            if ((h->owns & CG_BIT(c)) && h->ops->stats[c])
                h->ops->stats[c](h, stats);
    }
    *ret = stats;
    return 0;
}

int cgroup_oom_count(struct cgroup_manager *m, unsigned long *ret, struct hk_error *err)
{
    struct cgroup_hier *h = cgroup_owner(m, CG_MEMORY);
    if (!h)
        return hk_error_set(err, -EOPNOTSUPP, "cgroup: this host has no memory controller");
    return h->ops->oom_count(h, ret, err);
}

int cgroup_oom_event_fd(struct cgroup_manager *m, int *ret_fd, struct hk_error *err)
{
    struct cgroup_hier *h = cgroup_owner(m, CG_MEMORY);
    if (!h)
        return hk_error_set(err, -EOPNOTSUPP, "cgroup: this host has no memory controller");
    return h->ops->oom_event_fd(h, ret_fd, err);
}

int cgroup_from_json(const json_t *j, struct cgroup_manager **ret, struct hk_error *err)
{
    struct cgroup_manager *m = manager_new();
    int r = cgroup_layout_from_json(j, m, err);
    if (r < 0) {
        cgroup_manager_free(m);
        return r;
    }
    *ret = m;
    return 0;
}

/* Whether hierarchy h is one that `ctrls` ("cpu,cpuacct", "memory", "name=systemd") names. */
static bool names_hier(const struct cgroup_hier *h, const char *ctrls)
{
    if (strcmp(h->name, ctrls) == 0 || (h->options && strcmp(h->options, ctrls) == 0))
        return true;
    _cleanup_free_ char *copy = xstrdup(ctrls);
    char *save = NULL;
    for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        int ctrl = cgroup_ctrl_from_name(c, h->v2);
        if (ctrl >= 0 && (h->ctrls & CG_BIT(ctrl)))
            return true;
    }
    return false;
}

int cgroup_manager_descend(struct cgroup_manager *m, const char *spec, struct hk_error *err)
{
    const char *colon = strchr(spec, ':');
    _cleanup_free_ char *ctrls = colon ? strndup(spec, (size_t)(colon - spec)) : NULL;
    const char *sub = colon ? colon + 1 : spec;
    if (!sub[0] || sub[0] == '/' || strcmp(sub, "..") == 0 || strncmp(sub, "../", 3) == 0 ||
        strstr(sub, "/../") || (strlen(sub) >= 3 && strcmp(sub + strlen(sub) - 3, "/..") == 0))
        return hk_error_set(err, -EINVAL, "--cgroup '%s': expected [CONTROLLER:]PATH, a path "
                                          "below the container's cgroup",
                            spec);
    bool matched = false;
    for (size_t i = 0; i < m->n_hiers; i++) {
        struct cgroup_hier *h = &m->hiers[i];
        if (ctrls && !names_hier(h, ctrls))
            continue;
        matched = true;
        char *dir = xasprintf("%s/%s", h->dir, sub);
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            int e = errno ? -errno : -ENOTDIR;
            hk_error_errno(err, e, "--cgroup '%s': no sub-cgroup '%s'", spec, dir);
            free(dir);
            return e;
        }
        free(h->dir);
        h->dir = dir;
    }
    if (!matched)
        return hk_error_set(err, -ENOENT, "--cgroup '%s': no cgroup hierarchy '%s'", spec,
                            ctrls);
    return 0;
}
