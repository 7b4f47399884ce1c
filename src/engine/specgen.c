/* specgen.c — config.json from Config + HostConfig + Docker's defaults. */
#include "engine/specgen.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "engine/options.h"
#include "oci/spec.h"
#include "util/fs.h"
#include "util/json.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define INIT_DEST "/sbin/hako-init"

static const int default_caps[] = {
    CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,           CAP_FOWNER,     CAP_MKNOD,
    CAP_NET_RAW, CAP_SETGID,      CAP_SETUID,           CAP_SETFCAP,    CAP_SETPCAP,
    CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

unsigned long long specgen_default_caps(void)
{
    unsigned long long m = 0;
    for (size_t i = 0; i < ELEMENTSOF(default_caps); i++)
        m |= 1ULL << default_caps[i];
    return m;
}

static const char *const masked_paths[] = {
    "/proc/asound",        "/proc/acpi",        "/proc/interrupts", "/proc/kcore",
    "/proc/keys",          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug",   "/proc/scsi",        "/sys/firmware",    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static json_t *strv_json(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static const char *cfg_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static json_int_t cfg_int(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static bool cfg_bool(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

json_t *specgen_args(const json_t *config, bool init)
{
    json_t *args = json_array();
    if (init) {
        json_array_append_new(args, json_string(INIT_DEST));
        json_array_append_new(args, json_string("--"));
    }
    const char *keys[] = {"Entrypoint", "Cmd"};
    for (size_t k = 0; k < 2; k++) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(config, keys[k]), i, v)
            json_array_append(args, v);
    }
    return args;
}

static bool env_has(const json_t *env, const char *key)
{
    size_t i, n = strlen(key);
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strncmp(s, key, n) == 0 && s[n] == '=')
            return true;
    }
    return false;
}

static json_t *build_env(const json_t *config)
{
    json_t *env = json_array();
    const json_t *cenv = json_object_get(config, "Env");
    _cleanup_free_ char *hn = xasprintf("HOSTNAME=%s", cfg_str(config, "Hostname"));
    if (!env_has(cenv, "PATH"))
        json_array_append_new(env, json_string(DEFAULT_PATH));
    if (!env_has(cenv, "HOSTNAME"))
        json_array_append_new(env, json_string(hn));
    if (cfg_bool(config, "Tty") && !env_has(cenv, "TERM"))
        json_array_append_new(env, json_string("TERM=xterm"));
    json_array_extend(env, (json_t *)cenv);
    return env;
}

/* "net_admin", "CAP_NET_ADMIN", "ALL" → number (-1 for ALL), or -EINVAL. */
static int cap_number(const char *name)
{
    if (strcasecmp(name, "ALL") == 0)
        return -1;
    char buf[64];
    size_t off = strncasecmp(name, "CAP_", 4) == 0 ? 0 : 4;
    if (strlen(name) + off >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, "CAP_", 4);
    for (size_t i = 0; name[i]; i++)
        buf[off + i] = (char)toupper((unsigned char)name[i]);
    buf[off + strlen(name)] = '\0';
    return oci_cap_from_name(buf);
}

/* The capabilities hako itself may hand out: its own bounding set (as Podman's --privileged).
 * A host without CAP_SYS_RESOURCE in it cannot give a container that one either. */
static unsigned long long host_bounding(void)
{
    unsigned long long set = 0;
    for (int c = 0; c <= oci_cap_last() && c < 64; c++)
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
            set |= 1ULL << c;
    return set;
}

static int apply_cap_list(const json_t *list, bool add, unsigned long long all,
                          unsigned long long *caps, struct hk_error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        int c = cap_number(json_string_value(v));
        if (c == -EINVAL)
            return hk_error_set(err, -EINVAL, "invalid capability: \"%s\"", json_string_value(v));
        if (add && c >= 0 && !(all & (1ULL << c)))
            return hk_error_set(err, -EPERM,
                                "--cap-add %s: this host's capability bounding set does not "
                                "hold it, so no container here can have it",
                                json_string_value(v));
        unsigned long long bit = c == -1 ? all : 1ULL << c;
        *caps = add ? *caps | bit : *caps & ~bit;
    }
    return 0;
}

static json_t *caps_json(unsigned long long caps)
{
    json_t *a = json_array();
    for (int c = 0; c <= oci_cap_last() && c < 64; c++) {
        if (!(caps & (1ULL << c)))
            continue;
        char *n = cap_to_name(c);
        for (char *p = n; p && *p; p++)
            *p = (char)toupper((unsigned char)*p);
        json_array_append_new(a, json_string(n ? n : "?"));
        cap_free(n);
    }
    return a;
}

static int build_caps(const json_t *hc, json_t *process, struct hk_error *err)
{
    unsigned long long all = host_bounding();
    unsigned long long caps = cfg_bool(hc, "Privileged") ? all : specgen_default_caps() & all;
    /* docker applies drops first, then adds (so --cap-drop ALL --cap-add X keeps X) */
    int r = apply_cap_list(json_object_get(hc, "CapDrop"), false, all, &caps, err);
    if (r == 0)
        r = apply_cap_list(json_object_get(hc, "CapAdd"), true, all, &caps, err);
    if (r < 0)
        return r;
    json_t *set = caps_json(caps);
    json_object_set_new(process, "capabilities",
                        json_pack("{s:O,s:O,s:O}", "bounding", set, "effective", set,
                                  "permitted", set));
    json_decref(set);
    return 0;
}

/* --ulimit entries as rlimits; hard limits above ours are clamped when we cannot raise them. */
static json_t *build_rlimits(const json_t *hc, bool can_raise, json_t *warnings)
{
    json_t *out = json_array();
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(hc, "Ulimits"), i, u)
    {
        const char *name = cfg_str(u, "Name");
        int res = opt_rlimit_resource(name);
        if (res < 0)
            continue;
        struct rlimit cur;
        getrlimit(res, &cur);
        json_int_t soft = cfg_int(u, "Soft"), hard = cfg_int(u, "Hard");
        uint64_t s = soft < 0 ? (uint64_t)INT64_MAX : (uint64_t)soft;
        uint64_t h = hard < 0 ? (uint64_t)INT64_MAX : (uint64_t)hard;
        if (!can_raise && cur.rlim_max != RLIM_INFINITY && h > cur.rlim_max) {
            if (warnings) {
                _cleanup_free_ char *w =
                    xasprintf("--ulimit %s: the hard limit %s is above this host's (%llu) and "
                              "raising it needs CAP_SYS_RESOURCE: clamped to %llu",
                              name, hard < 0 ? "unlimited" : "requested",
                              (unsigned long long)cur.rlim_max, (unsigned long long)cur.rlim_max);
                json_array_append_new(warnings, json_string(w));
            }
            h = cur.rlim_max;
        }
        if (s > h)
            s = h;
        char type[32];
        snprintf(type, sizeof(type), "RLIMIT_%s", name);
        for (char *p = type; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        json_array_append_new(out, json_pack("{s:s,s:I,s:I}", "type", type, "soft",
                                             (json_int_t)s, "hard", (json_int_t)h));
    }
    return out;
}

static json_t *build_process(const struct specgen *in, json_t *warnings, struct hk_error *err)
{
    const json_t *c = in->config, *hc = in->host_config;
    json_t *args = specgen_args(c, cfg_bool(hc, "Init"));
    if (json_array_size(args) == (cfg_bool(hc, "Init") ? 2u : 0u)) {
        json_decref(args);
        hk_error_set(err, -EINVAL, "No command specified");
        return NULL;
    }
    json_t *gids = json_array();
    for (size_t i = 0; i < in->user->n_gids; i++)
        json_array_append_new(gids, json_integer(in->user->gids[i]));
    const char *cwd = cfg_str(c, "WorkingDir");
    json_t *p = json_pack("{s:b,s:{s:I,s:I,s:o},s:o,s:o,s:s}", "terminal", cfg_bool(c, "Tty"),
                          "user", "uid", (json_int_t)in->user->uid, "gid",
                          (json_int_t)in->user->gid, "additionalGids", gids, "args", args, "env",
                          build_env(c), "cwd", cwd[0] ? cwd : "/");
    if (build_caps(hc, p, err) < 0) {
        json_decref(p);
        return NULL;
    }
    if (json_object_get(hc, "OomScoreAdj"))
        json_object_set_new(p, "oomScoreAdj", json_integer(cfg_int(hc, "OomScoreAdj")));
    json_t *rl = build_rlimits(hc, in->can_raise_rlimits, warnings);
    if (json_array_size(rl))
        json_object_set(p, "rlimits", rl);
    json_decref(rl);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v)
    {
        struct security_opt so;
        if (json_string_value(v) && opt_parse_security_opt(json_string_value(v), &so, NULL) == 0 &&
            so.kind == SECOPT_NNP)
            json_object_set_new(p, "noNewPrivileges", json_boolean(so.nnp));
    }
    if (in->apparmor)
        json_object_set_new(p, "apparmorProfile", json_string(in->apparmor));
    return p;
}

static json_t *mount_json(const char *dest, const char *type, const char *src,
                          const char *const *opts, size_t n)
{
    return json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", type, "source", src,
                     "options", strv_json(opts, n));
}

#define MOUNT(a, dest, type, src, ...)                                                            \
    do {                                                                                           \
        static const char *const o_[] = {__VA_ARGS__};                                             \
        json_array_append_new(a, mount_json(dest, type, src, o_, ELEMENTSOF(o_)));                 \
    } while (0)

static void default_mounts(json_t *m, bool privileged, json_int_t shm_size, bool shm)
{
    MOUNT(m, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
    MOUNT(m, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
    MOUNT(m, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
          "mode=0620", "gid=5");
    if (privileged) {
        MOUNT(m, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "rw");
        MOUNT(m, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime",
              "rw");
    } else {
        MOUNT(m, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        MOUNT(m, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime",
              "ro");
    }
    MOUNT(m, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
    if (!shm)
        return; /* --ipc host: the host's /dev/shm is bound instead; --ipc none: none */
    char size[64];
    snprintf(size, sizeof(size), "size=%lld", (long long)(shm_size > 0 ? shm_size : 67108864));
    const char *const opts[] = {"nosuid", "noexec", "nodev", "mode=1777", size};
    json_array_append_new(m, mount_json("/dev/shm", "tmpfs", "shm", opts, ELEMENTSOF(opts)));
}

/* --tmpfs: docker's defaults (noexec, nosuid, nodev) unless the options say otherwise. */
static json_t *tmpfs_mount(const char *dest, const char *opts)
{
    json_t *o = json_array();
    bool exec = false, suid = false, dev = false;
    _cleanup_free_ char *copy = xstrdup(opts);
    for (char *save = NULL, *p = copy, *t; (t = strtok_r(p, ",", &save)); p = NULL) {
        exec |= strcmp(t, "exec") == 0;
        suid |= strcmp(t, "suid") == 0;
        dev |= strcmp(t, "dev") == 0;
    }
    if (!exec)
        json_array_append_new(o, json_string("noexec"));
    if (!suid)
        json_array_append_new(o, json_string("nosuid"));
    if (!dev)
        json_array_append_new(o, json_string("nodev"));
    strcpy(copy, opts);
    for (char *save = NULL, *p = copy, *t; (t = strtok_r(p, ",", &save)); p = NULL)
        json_array_append_new(o, json_string(t));
    return json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", "tmpfs", "source", "tmpfs",
                     "options", o);
}

static json_t *bind_mount(const char *dest, const char *src, bool ro)
{
    json_t *o = json_pack("[s,s]", "rbind", "rprivate");
    if (ro)
        json_array_append_new(o, json_string("ro"));
    return json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", "bind", "source", src,
                     "options", o);
}

static int cmp_depth(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "destination"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "destination"));
    size_t dx = 0, dy = 0;
    for (; *x; x++)
        dx += *x == '/';
    for (; *y; y++)
        dy += *y == '/';
    return dx < dy ? -1 : dx > dy;
}

/* The user's volumes and tmpfs mounts, parents before children (as docker sorts them). */
static void user_mounts(const json_t *hc, const json_t *mounts, json_t *m)
{
    json_t *list = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(mounts, i, v)
        json_array_append(list, v);
    const char *k;
    json_object_foreach((json_t *)json_object_get(hc, "Tmpfs"), k, v)
        json_array_append_new(list, tmpfs_mount(k, json_string_value(v)));
    size_t n = json_array_size(list);
    json_t **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
    for (i = 0; i < n; i++)
        sorted[i] = json_array_get(list, i);
    qsort(sorted, n, sizeof(*sorted), cmp_depth);
    for (i = 0; i < n; i++)
        json_array_append(m, sorted[i]);
    free(sorted);
    json_decref(list);
}

static void build_mounts(const struct specgen *in, json_t *spec)
{
    const json_t *hc = in->host_config;
    json_t *m = json_array();
    json_object_set_new(spec, "mounts", m);
    const char *ipc = cfg_str(hc, "IpcMode");
    default_mounts(m, cfg_bool(hc, "Privileged"), cfg_int(hc, "ShmSize"),
                   strcmp(ipc, "host") != 0 && strcmp(ipc, "none") != 0 && !in->shm_path);
    if (strcmp(ipc, "host") == 0)
        json_array_append_new(m, bind_mount("/dev/shm", "/dev/shm", false));
    else if (in->shm_path) /* --ipc shareable: its own on the host; container:REF: REF's */
        json_array_append_new(m, bind_mount("/dev/shm", in->shm_path, false));
    static const char *const etc[] = {"resolv.conf", "hostname", "hosts"};
    for (size_t i = 0; i < ELEMENTSOF(etc); i++) {
        const char *dir = in->net_dir && strcmp(etc[i], "hostname") != 0 ? in->net_dir : in->dir;
        _cleanup_free_ char *src = xasprintf("%s/%s", dir, etc[i]);
        _cleanup_free_ char *dst = xasprintf("/etc/%s", etc[i]);
        json_array_append_new(m, bind_mount(dst, src, cfg_bool(hc, "ReadonlyRootfs")));
    }
    if (cfg_bool(hc, "Init") && in->init_path)
        json_array_append_new(m, bind_mount(INIT_DEST, in->init_path, true));
    user_mounts(hc, in->mounts, m);
}

json_t *specgen_resources(const json_t *hc)
{
    json_t *res = json_object();
    json_int_t mem = cfg_int(hc, "Memory"), swap = cfg_int(hc, "MemorySwap");
    if (mem > 0) {
        json_t *m = json_pack("{s:I}", "limit", mem);
        /* docker: without --memory-swap the swap allowance equals the memory limit */
        json_object_set_new(m, "swap", json_integer(swap == 0 ? 2 * mem : swap));
        json_object_set_new(res, "memory", m);
    }
    json_int_t resv = cfg_int(hc, "MemoryReservation");
    if (resv > 0) {
        if (!json_object_get(res, "memory"))
            json_object_set_new(res, "memory", json_object());
        json_object_set_new(json_object_get(res, "memory"), "reservation", json_integer(resv));
    }
    /* --oom-kill-disable: cgroup v1's memory.oom_control (v2 has none; create warns) */
    if (cfg_bool(hc, "OomKillDisable") && access("/sys/fs/cgroup/cgroup.controllers", F_OK) != 0) {
        if (!json_object_get(res, "memory"))
            json_object_set_new(res, "memory", json_object());
        json_object_set_new(json_object_get(res, "memory"), "disableOOMKiller", json_true());
    }
    json_t *cpu = json_object();
    json_int_t nano = cfg_int(hc, "NanoCpus");
    if (cfg_int(hc, "CpuQuota") != 0)
        json_object_set_new(cpu, "quota", json_integer(cfg_int(hc, "CpuQuota")));
    if (cfg_int(hc, "CpuPeriod") > 0)
        json_object_set_new(cpu, "period", json_integer(cfg_int(hc, "CpuPeriod")));
    if (nano > 0) {
        json_object_set_new(cpu, "quota", json_integer(nano / 10000)); /* period 100 ms */
        json_object_set_new(cpu, "period", json_integer(100000));
    }
    if (cfg_int(hc, "CpuShares") > 0)
        json_object_set_new(cpu, "shares", json_integer(cfg_int(hc, "CpuShares")));
    if (cfg_str(hc, "CpusetCpus")[0])
        json_object_set_new(cpu, "cpus", json_string(cfg_str(hc, "CpusetCpus")));
    if (json_object_size(cpu))
        json_object_set(res, "cpu", cpu);
    json_decref(cpu);
    if (cfg_int(hc, "PidsLimit") > 0)
        json_object_set_new(res, "pids", json_pack("{s:I}", "limit", cfg_int(hc, "PidsLimit")));
    json_t *rules = json_pack("[{s:b,s:s}]", "allow", cfg_bool(hc, "Privileged"), "access", "rwm");
    /* --device: its node allowed with its permissions (docker's CgroupPermissions) */
    size_t i;
    json_t *dv;
    json_array_foreach(json_object_get(hc, "Devices"), i, dv)
    {
        struct stat st;
        if (stat(cfg_str(dv, "PathOnHost"), &st) < 0 ||
            (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)))
            continue;
        json_array_append_new(rules, json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", true, "type",
                                               S_ISCHR(st.st_mode) ? "c" : "b", "major",
                                               (json_int_t)major(st.st_rdev), "minor",
                                               (json_int_t)minor(st.st_rdev), "access",
                                               cfg_str(dv, "CgroupPermissions")));
    }
    json_object_set_new(res, "devices", rules);
    /* --device-read-bps and the others: blockIO throttles of each device's major:minor */
    static const char *const throttles[][2] = {
        {"BlkioDeviceReadBps", "throttleReadBpsDevice"},
        {"BlkioDeviceWriteBps", "throttleWriteBpsDevice"},
        {"BlkioDeviceReadIOps", "throttleReadIOPSDevice"},
        {"BlkioDeviceWriteIOps", "throttleWriteIOPSDevice"}};
    for (size_t k = 0; k < ELEMENTSOF(throttles); k++)
        json_array_foreach(json_object_get(hc, throttles[k][0]), i, dv)
        {
            struct stat st;
            if (stat(cfg_str(dv, "Path"), &st) < 0)
                continue;
            json_t *bio = json_object_get(res, "blockIO");
            if (!bio)
                json_object_set_new(res, "blockIO", bio = json_object());
            json_t *list = json_object_get(bio, throttles[k][1]);
            if (!list)
                json_object_set_new(bio, throttles[k][1], list = json_array());
            json_array_append_new(list, json_pack("{s:I,s:I,s:I}", "major",
                                                  (json_int_t)major(st.st_rdev), "minor",
                                                  (json_int_t)minor(st.st_rdev), "rate",
                                                  cfg_int(dv, "Rate")));
        }
    return res;
}

/* --privileged: every device node of the host's /dev, as docker gives them (its pts, shm and
 * mqueue are the container's own; symlinks are not devices). */
/* A linux.devices entry: the node st describes, at path in the container. */
static json_t *device_json(const char *path, const struct stat *st)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:i,s:i,s:i}", "path", path, "type",
                     S_ISCHR(st->st_mode) ? "c" : "b", "major", (json_int_t)major(st->st_rdev),
                     "minor", (json_int_t)minor(st->st_rdev), "fileMode",
                     (int)(st->st_mode & 07777), "uid", (int)st->st_uid, "gid", (int)st->st_gid);
}

static void add_host_devices(json_t *out, int dirfd, const char *dir, int depth)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return;
    }
    for (struct dirent *e; (e = readdir(d));) {
        struct stat st;
        if (e->d_name[0] == '.' || fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, e->d_name);
        if (S_ISDIR(st.st_mode)) {
            bool own = strcmp(path, "/dev/pts") == 0 || strcmp(path, "/dev/shm") == 0 ||
                       strcmp(path, "/dev/mqueue") == 0;
            int sub = own || depth >= 3 ? -1
                                        : openat(dirfd, e->d_name,
                                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                add_host_devices(out, sub, path, depth + 1);
        } else if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) &&
                   strcmp(path, "/dev/console") != 0 && strcmp(path, "/dev/ptmx") != 0) {
            json_array_append_new(out, device_json(path, &st));
        }
    }
    closedir(d);
}

void specgen_set_donors(json_t *spec, const struct specgen_donors *d)
{
    static const char *const kinds[][2] = {{"network", "net"}, {"pid", "pid"}, {"ipc", "ipc"}};
    const pid_t pids[] = {d->net, d->pid, d->ipc};
    size_t i, k;
    json_t *v;
    json_array_foreach(json_object_get(json_object_get(spec, "linux"), "namespaces"), i, v)
        for (k = 0; k < ELEMENTSOF(kinds); k++)
            if (pids[k] > 0 && strcmp(cfg_str(v, "type"), kinds[k][0]) == 0) {
                _cleanup_free_ char *p = xasprintf("/proc/%d/ns/%s", (int)pids[k], kinds[k][1]);
                json_object_set_new(v, "path", json_string(p));
            }
}

static json_t *build_linux(const struct specgen *in, struct hk_error *err)
{
    const json_t *hc = in->host_config;
    bool priv = cfg_bool(hc, "Privileged");
    json_t *ns = json_pack("[{s:s}]", "type", "mount");
    if (strcmp(cfg_str(hc, "CgroupnsMode"), "host") != 0) /* --cgroupns host: the host's */
        json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
    /* --pid/--ipc/--uts host: the host's namespace (none of our own); container:REF: REF's
     * (its path set by specgen_set_donors) */
    static const char *const shareable[][2] = {{"pid", "PidMode"}, {"ipc", "IpcMode"},
                                               {"uts", "UTSMode"}, {"network", "NetworkMode"}};
    for (size_t i = 0; i < ELEMENTSOF(shareable); i++)
        if (strcmp(cfg_str(hc, shareable[i][1]), "host") != 0)
            json_array_append_new(ns, json_pack("{s:s}", "type", shareable[i][0]));
    _cleanup_free_ char *cg =
        xasprintf("%s/%s", in->cgroup_parent ? in->cgroup_parent : "/hako", in->id);
    json_t *lx = json_pack("{s:o,s:s,s:o}", "namespaces", ns, "cgroupsPath", cg, "resources",
                           specgen_resources(hc));
    if (json_object_size(json_object_get(hc, "Sysctls")))
        json_object_set_new(lx, "sysctl", json_deep_copy(json_object_get(hc, "Sysctls")));
    json_t *um = json_object_get(hc, "UidMaps"), *gm = json_object_get(hc, "GidMaps");
    if (json_array_size(um) || json_array_size(gm)) {
        json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
        const char *keys[2][2] = {{"uidMappings", "UidMaps"}, {"gidMappings", "GidMaps"}};
        for (int k = 0; k < 2; k++) {
            json_t *out = json_array(), *v;
            size_t i;
            json_array_foreach(json_object_get(hc, keys[k][1]), i, v)
                json_array_append_new(out, json_pack("{s:O,s:O,s:O}", "containerID",
                                                     json_object_get(v, "ContainerID"), "hostID",
                                                     json_object_get(v, "HostID"), "size",
                                                     json_object_get(v, "Size")));
            json_object_set_new(lx, keys[k][0], out);
        }
    }
    json_t *devs = json_array();
    if (priv) {
        int fd = open("/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
            add_host_devices(devs, fd, "/dev", 0);
    }
    /* --device HOST[:CONTAINER[:PERMS]]: the node at its container path (create checked it) */
    size_t di;
    json_t *dv;
    json_array_foreach(json_object_get(hc, "Devices"), di, dv)
    {
        struct stat st;
        if (stat(cfg_str(dv, "PathOnHost"), &st) < 0 ||
            (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)))
            continue;
        json_array_append_new(devs, device_json(cfg_str(dv, "PathInContainer"), &st));
    }
    if (json_array_size(devs))
        json_object_set_new(lx, "devices", devs);
    else
        json_decref(devs);
    if (!priv) {
        json_object_set_new(lx, "maskedPaths", strv_json(masked_paths, ELEMENTSOF(masked_paths)));
        json_object_set_new(lx, "readonlyPaths",
                            strv_json(readonly_paths, ELEMENTSOF(readonly_paths)));
    }
    if (in->seccomp && !priv) {
        json_error_t jerr;
        json_t *sc = json_loads(in->seccomp, 0, &jerr);
        if (!sc) {
            json_decref(lx);
            hk_error_set(err, -EINVAL, "seccomp profile: %d:%d: %s", jerr.line, jerr.column,
                         jerr.text);
            return NULL;
        }
        json_object_set_new(lx, "seccomp", sc);
    }
    return lx;
}

int specgen_build(const struct specgen *in, json_t **ret, json_t *warnings,
                  struct hk_error *err)
{
    const json_t *hc = in->host_config;
    json_t *process = build_process(in, warnings, err);
    if (!process)
        return err && err->code ? err->code : -EINVAL;
    json_t *lx = build_linux(in, err);
    if (!lx) {
        json_decref(process);
        return err && err->code ? err->code : -EINVAL;
    }
    _cleanup_json_ json_t *spec =
        json_pack("{s:s,s:o,s:{s:s,s:b},s:s,s:o}", "ociVersion", OCI_VERSION, "process", process,
                  "root", "path", "rootfs", "readonly", cfg_bool(hc, "ReadonlyRootfs"), "hostname",
                  cfg_str(in->config, "Hostname"), "linux", lx);
    if (cfg_str(in->config, "Domainname")[0])
        json_object_set_new(spec, "domainname", json_string(cfg_str(in->config, "Domainname")));
    if (strcmp(cfg_str(hc, "UTSMode"), "host") == 0) {
        json_object_del(spec, "hostname"); /* no UTS namespace of its own to name */
        json_object_del(spec, "domainname");
    }
    build_mounts(in, spec);
    specgen_set_donors(spec, &in->donors);
    *ret = TAKE_PTR(spec);
    return 0;
}
