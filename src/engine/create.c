/* create.c — a container from an image and flags: record, rootfs, /etc files, config.json. */
#include "engine/create.h"
#include "engine/events.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/apparmor.h"
#include "engine/embedded.h"
#include "engine/etc.h"
#include "engine/health.h"
#include "engine/lifecycle.h"
#include "engine/mounts.h"
#include "engine/names.h"
#include "engine/net/attach.h"
#include "engine/net/network.h"
#include "engine/options.h"
#include "engine/specgen.h"
#include "engine/user.h"
#include "engine/volume.h"
#include "image/image.h"
#include "runtime/seccomp.h"
#include "runtime/state.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"

#define MIN_MEMORY (6 << 20)

#if defined(__x86_64__)
#define OCI_ARCH_NAME "amd64"
#define OCI_SCMP_ARCH "SCMP_ARCH_X86_64"
#elif defined(__aarch64__)
#define OCI_ARCH_NAME "arm64"
#define OCI_SCMP_ARCH "SCMP_ARCH_AARCH64"
#else
#define OCI_ARCH_NAME "unknown"
#define OCI_SCMP_ARCH "unknown"
#endif

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* env: KEY=VALUE strings; later entries replace earlier ones with the same key. */
static void env_merge(json_t *env, const json_t *add)
{
    size_t i, k;
    json_t *v, *w;
    json_array_foreach(add, i, v)
    {
        const char *s = json_string_value(v);
        if (!s)
            continue;
        const char *eq = strchr(s, '=');
        size_t n = eq ? (size_t)(eq - s) : strlen(s);
        bool replaced = false;
        json_array_foreach(env, k, w)
        {
            const char *t = json_string_value(w);
            if (t && strncmp(t, s, n) == 0 && (t[n] == '=' || t[n] == '\0')) {
                json_array_set(env, k, v);
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append(env, v);
    }
}

json_t *create_merge_config(const json_t *image_config, const json_t *flags)
{
    json_t *c = json_deep_copy(flags);
    json_t *env = json_array();
    env_merge(env, json_object_get(image_config, "Env"));
    env_merge(env, json_object_get(flags, "Env"));
    json_object_set_new(c, "Env", env);
    json_t *ep = json_object_get(flags, "Entrypoint");
    if (!ep) {
        json_t *iep = json_object_get(image_config, "Entrypoint");
        json_object_set_new(c, "Entrypoint", iep ? json_deep_copy(iep) : json_null());
    } else if (json_array_size(ep) == 0 ||
               (json_array_size(ep) == 1 && json_string_length(json_array_get(ep, 0)) == 0)) {
        json_object_set_new(c, "Entrypoint", json_null()); /* --entrypoint "" */
    }
    json_t *cmd = json_object_get(flags, "Cmd");
    if (!json_array_size(cmd)) {
        json_t *icmd = json_object_get(image_config, "Cmd");
        json_object_set_new(c, "Cmd", !ep && icmd ? json_deep_copy(icmd) : json_null());
    }
    static const char *const inherit[] = {"WorkingDir", "User", "StopSignal"};
    for (size_t i = 0; i < ELEMENTSOF(inherit); i++)
        if (!jstr(flags, inherit[i])[0] && jstr(image_config, inherit[i])[0])
            json_object_set_new(c, inherit[i], json_string(jstr(image_config, inherit[i])));
    json_t *exposed = json_object();
    json_object_update(exposed, json_object_get(image_config, "ExposedPorts"));
    json_object_update(exposed, json_object_get(flags, "ExposedPorts"));
    if (json_object_size(exposed))
        json_object_set(c, "ExposedPorts", exposed);
    json_decref(exposed);
    json_t *health = health_merge(json_object_get(image_config, "Healthcheck"),
                                  json_object_get(flags, "Healthcheck"));
    if (health)
        json_object_set_new(c, "Healthcheck", health);
    json_t *labels = json_object();
    json_object_update(labels, json_object_get(image_config, "Labels"));
    json_object_update(labels, json_object_get(flags, "Labels"));
    json_object_set_new(c, "Labels", labels);
    return c;
}

/* --cpuset-cpus: "0-1,3" with every CPU online here (docker's check; the kernel would only say
 * ERANGE). */
static int check_cpuset(const char *set, long ncpu, struct hk_error *err)
{
    for (const char *p = set; *p;) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p)
            return hk_error_set(err, -EINVAL, "Invalid value %s for cpuset cpus", set);
        if (*end == '-') {
            p = end + 1;
            b = strtol(p, &end, 10);
            if (end == p || b < a)
                return hk_error_set(err, -EINVAL, "Invalid value %s for cpuset cpus", set);
        }
        if (a < 0 || (ncpu > 0 && b >= ncpu))
            return hk_error_set(err, -EINVAL, "Requested CPUs are not available - requested %s, "
                                              "available: 0-%ld", set, ncpu - 1);
        if (*end && *end != ',')
            return hk_error_set(err, -EINVAL, "Invalid value %s for cpuset cpus", set);
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* --security-opt as docker's daemon parses it (its messages); what this host cannot give
 * (AppArmor, SELinux labels) is an error rather than silently nothing. */
static int check_security_opts(const json_t *hc, struct hk_error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v)
    {
        struct security_opt so;
        int r = opt_parse_security_opt(json_string_value(v), &so, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* docker's sysctls that a container's own namespaces hold (validateSysctl). */
static bool sysctl_namespaced(const char *k)
{
    static const char *const exact[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                        "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                        "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (size_t i = 0; i < ELEMENTSOF(exact); i++)
        if (strcmp(k, exact[i]) == 0)
            return true;
    return strncmp(k, "fs.mqueue.", 10) == 0 || strncmp(k, "net.", 4) == 0;
}

/* The flags of the namespaces, OOM score, reservations and CFS values, as docker's daemon
 * checks them. */
static int check_more(const json_t *hc, struct hk_error *err)
{
    json_int_t oom = json_integer_value(json_object_get(hc, "OomScoreAdj"));
    if (oom < -1000 || oom > 1000)
        return hk_error_set(err, -EINVAL, "Invalid value %lld, range for oom score adj is "
                                          "[-1000, 1000]", (long long)oom);
    json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
    json_int_t resv = json_integer_value(json_object_get(hc, "MemoryReservation"));
    if (resv > 0 && resv < MIN_MEMORY)
        return hk_error_set(err, -EINVAL, "Minimum memory reservation allowed is 6MB");
    if (resv > 0 && mem > 0 && mem < resv)
        return hk_error_set(err, -EINVAL, "Minimum memory limit can not be less than memory "
                                          "reservation limit, see usage");
    json_int_t period = json_integer_value(json_object_get(hc, "CpuPeriod"));
    json_int_t quota = json_integer_value(json_object_get(hc, "CpuQuota"));
    if (period != 0 && (period < 1000 || period > 1000000))
        return hk_error_set(err, -EINVAL, "CPU cfs period can not be less than 1ms (i.e. 1000) or "
                                          "larger than 1 second (i.e. 1000000)");
    if (quota > 0 && quota < 1000)
        return hk_error_set(err, -EINVAL, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
    static const char *const modes[][2] = {{"PidMode", "--pid"}, {"IpcMode", "--ipc"},
                                           {"UTSMode", "--uts"}};
    static const char *const ok[] = {"", "host", "private", "shareable", "none"};
    for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
        const char *v = jstr(hc, modes[i][0]);
        size_t k = 0;
        while (k < ELEMENTSOF(ok) && strcmp(v, ok[k]) != 0)
            k++;
        /* --uts: "" or host; --pid: those or container:REF; --ipc: all of them */
        bool joins = i < 2 && strncmp(v, "container:", 10) == 0 && v[10];
        bool allowed = (k < ELEMENTSOF(ok) && (k <= 1 || i == 1)) || joins;
        if (!allowed)
            return hk_error_set(err, -EINVAL, "%s: invalid %s mode: %s (host%s)", modes[i][1],
                                i == 0 ? "PID" : i == 1 ? "IPC" : "UTS", v,
                                i == 2   ? ""
                                : i == 1 ? ", private, shareable, none, container:NAME|ID"
                                         : ", container:NAME|ID");
    }
    const char *k;
    json_t *v;
    bool hostnet = strcmp(jstr(hc, "NetworkMode"), "host") == 0;
    json_object_foreach((json_t *)json_object_get(hc, "Sysctls"), k, v)
    {
        if (!sysctl_namespaced(k))
            return hk_error_set(err, -EINVAL, "sysctl '%s' is not allowed", k);
        if (hostnet && strncmp(k, "net.", 4) == 0)
            return hk_error_set(err, -EINVAL, "sysctl \"%s\" not allowed in host network "
                                              "namespace", k);
        if (strcmp(jstr(hc, "IpcMode"), "host") == 0 && strncmp(k, "net.", 4) != 0)
            return hk_error_set(err, -EINVAL, "sysctl \"%s\" not allowed in host IPC namespace",
                                k);
    }
    return 0;
}

/* --device: docker's checks of HOST[:CONTAINER[:PERMS]] (parsed into Devices by the CLI). */
static int check_devices(const json_t *hc, struct hk_error *err)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(hc, "Devices"), i, d)
    {
        const char *host = jstr(d, "PathOnHost"), *in = jstr(d, "PathInContainer");
        const char *perms = jstr(d, "CgroupPermissions");
        struct stat st;
        if (stat(host, &st) < 0)
            return hk_error_errno(err, -errno, "error gathering device information while adding "
                                               "custom device \"%s\"", host);
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
            return hk_error_set(err, -EINVAL, "error gathering device information while adding "
                                              "custom device \"%s\": not a device node", host);
        if (in[0] != '/')
            return hk_error_set(err, -EINVAL, "%s is not an absolute path", in);
        if (!perms[0] || strspn(perms, "rwm") != strlen(perms))
            return hk_error_set(err, -EINVAL, "invalid device mode: %s", perms);
    }
    static const char *const throttles[][2] = {
        {"BlkioDeviceReadBps", "--device-read-bps"}, {"BlkioDeviceWriteBps", "--device-write-bps"},
        {"BlkioDeviceReadIOps", "--device-read-iops"},
        {"BlkioDeviceWriteIOps", "--device-write-iops"}};
    for (size_t k = 0; k < ELEMENTSOF(throttles); k++)
        json_array_foreach(json_object_get(hc, throttles[k][0]), i, d)
        {
            const char *path = jstr(d, "Path");
            struct stat st;
            if (stat(path, &st) < 0)
                return hk_error_errno(err, -errno, "%s: stat %s", throttles[k][1], path);
            if (!S_ISBLK(st.st_mode))
                return hk_error_set(err, -EINVAL, "%s: %s is not a block device",
                                    throttles[k][1], path);
        }
    return 0;
}

int create_check_host_config(const json_t *hc, struct hk_error *err)
{
    json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
    json_int_t swap = json_integer_value(json_object_get(hc, "MemorySwap"));
    if (mem > 0 && mem < MIN_MEMORY)
        return hk_error_set(err, -EINVAL, "Minimum memory limit allowed is 6MB");
    if (swap > 0 && mem <= 0)
        return hk_error_set(err, -EINVAL, "You should always set the Memory limit when using "
                                          "Memoryswap limit, see usage");
    if (swap > 0 && swap < mem)
        return hk_error_set(err, -EINVAL, "Minimum memoryswap limit should be larger than "
                                          "memory limit, see usage");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    json_int_t nano = json_integer_value(json_object_get(hc, "NanoCpus"));
    if (nano < 0 || (nano > 0 && nano < 10000000) || (ncpu > 0 && nano > ncpu * 1000000000LL))
        return hk_error_set(err, -EINVAL, "Range of CPUs is from 0.01 to %ld.00, as there are "
                                          "only %ld CPUs available", ncpu, ncpu);
    if (nano > 0 && json_integer_value(json_object_get(hc, "CpuQuota")) > 0)
        return hk_error_set(err, -EINVAL, "Conflicting options: Nano CPUs and CPU Period cannot "
                                          "both be set");
    /* cgroup v1's cpu.shares range (the kernel would clamp or refuse at start) */
    json_int_t shares = json_integer_value(json_object_get(hc, "CpuShares"));
    if (shares < 0 || shares > 262144)
        return hk_error_set(err, -EINVAL, "invalid --cpu-shares %lld: the range is 2 to 262144 "
                                          "(0: the default, 1024)", (long long)shares);
    json_int_t pids = json_integer_value(json_object_get(hc, "PidsLimit"));
    if (pids > 4194304)
        return hk_error_set(err, -EINVAL, "invalid --pids-limit %lld: above the kernel's "
                                          "maximum number of processes (4194304; 0 or -1: "
                                          "unlimited)", (long long)pids);
    int r = check_cpuset(jstr(hc, "CpusetCpus"), ncpu, err);
    if (r == 0)
        r = check_devices(hc, err);
    if (r == 0)
        r = check_security_opts(hc, err);
    if (r == 0)
        r = check_more(hc, err);
    if (r < 0)
        return r;
    const char *rp = jstr(json_object_get(hc, "RestartPolicy"), "Name");
    if (json_is_true(json_object_get(hc, "AutoRemove")) && rp[0] && strcmp(rp, "no") != 0)
        return hk_error_set(err, -EINVAL, "Conflicting options: --restart and --rm");
    return 0;
}

static bool have_cap(cap_value_t c)
{
    cap_t caps = cap_get_proc();
    cap_flag_value_t v = CAP_CLEAR;
    if (caps)
        cap_get_flag(caps, c, CAP_EFFECTIVE, &v);
    cap_free(caps);
    return v == CAP_SET;
}

/* The seccomp profile text for the spec: NULL for unconfined (or privileged). */
static int seccomp_for(const json_t *hc, char **ret, struct hk_error *err)
{
    *ret = NULL;
    if (json_is_true(json_object_get(hc, "Privileged")))
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v)
    {
        const char *s = json_string_value(v);
        struct security_opt so;
        if (!s || opt_parse_security_opt(s, &so, NULL) < 0 || so.kind != SECOPT_SECCOMP)
            continue;
        if (strcmp(so.value, "unconfined") == 0)
            return 0;
        json_t *p = NULL;
        int r = create_seccomp_from_file(so.value, &p, err);
        if (r < 0)
            return hk_error_prefix(err, r, "--security-opt %s", s);
        *ret = json_dumps(p, JSON_COMPACT);
        json_decref(p);
        return 0;
    }
    *ret = xstrdup(seccomp_default_profile_json());
    return 0;
}

/* The host id that container id 0 maps to in maps (UidMaps/GidMaps), or -1. */
static long mapped_root(const json_t *maps)
{
    size_t i;
    json_t *m;
    json_array_foreach(maps, i, m) if (json_integer_value(json_object_get(m, "ContainerID")) == 0)
        return (long)json_integer_value(json_object_get(m, "HostID"));
    return -1;
}

/* With a user namespace, the container's root is an unprivileged user on the host, and the
 * runtime opens bind-mount sources as that user: the /etc files then live in
 * <runroot>/userns/<id>/ (the runroot made traversable, 0711, for it; the store under --root
 * stays closed), owned by it, as is the container's root directory. The image's files stay
 * owned by the host's root: they show as nobody inside (no idmapped rootfs yet). *ret_dir:
 * where the /etc files go (allocated). */
static int userns_prepare(const struct engine *e, const json_t *hc, struct record *rec,
                          char **ret_dir, struct hk_error *err)
{
    long uid = mapped_root(json_object_get(hc, "UidMaps"));
    long gid = mapped_root(json_object_get(hc, "GidMaps"));
    if (uid < 0 && gid < 0) {
        *ret_dir = xstrdup(rec->dir);
        return 0;
    }
    _cleanup_free_ char *top = xasprintf("%s/userns", e->runroot);
    _cleanup_free_ char *dir = xasprintf("%s/%s", top, rec->id);
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", rec->dir);
    if (mkdir_p(dir, 0711) < 0 || chmod(e->runroot, 0711) < 0 || chmod(top, 0711) < 0 ||
        chmod(dir, 0755) < 0 || lchown(dir, (uid_t)uid, (gid_t)gid) < 0 ||
        lchown(rootfs, (uid_t)uid, (gid_t)gid) < 0)
        return hk_error_errno(err, -errno, "--uidmap: prepare '%s'", dir);
    *ret_dir = TAKE_PTR(dir);
    return 0;
}

/* --network/--pid/--ipc container:REF: the pid of REF's init, which must run (docker's
 * words for each); for --ipc REF must also be shareable (or share the host's), as its
 * /dev/shm is what the container gets. ret_etc (unless NULL; --network) gets the directory of
 * REF's hosts and resolv.conf, which the joiner shares as docker's does: the names REF's
 * network resolves, kept up to date there, are the joiner's too. */
static int donor_pid(const struct engine *e, const char *key, const char *ref, pid_t *ret,
                     char **ret_shm, char **ret_etc, struct hk_error *err)
{
    static const char *const what[][2] = {{"NetworkMode", "network"}, {"PidMode", "PID"},
                                          {"IpcMode", "IPC"}};
    const char *w = "network";
    for (size_t i = 0; i < ELEMENTSOF(what); i++)
        if (strcmp(key, what[i][0]) == 0)
            w = what[i][1];
    _cleanup_free_ char *id = NULL;
    int r = record_resolve(e, ref, &id, err);
    struct record *rec = NULL;
    if (r == 0)
        r = record_open(e, id, true, &rec, err);
    if (r < 0 && strcmp(key, "NetworkMode") != 0)
        return hk_error_prefix(err, r, "cannot join %s of a non running container: %s", w, ref);
    if (r < 0)
        return r;
    record_refresh(e, rec);
    json_int_t pid = json_integer_value(json_object_get(json_object_get(rec->j, "State"), "Pid"));
    bool running = strcmp(record_status(rec->j), "running") == 0 && pid > 0;
    const char *hosts = json_string_value(json_object_get(rec->j, "HostsPath"));
    const char *slash = hosts ? strrchr(hosts, '/') : NULL;
    if (running && ret_etc && slash)
        *ret_etc = strndup(hosts, (size_t)(slash - hosts));
    const char *ipc = jstr(json_object_get(rec->j, "HostConfig"), "IpcMode");
    bool shareable = strcmp(ipc, "shareable") == 0 || strcmp(ipc, "host") == 0;
    record_free(rec);
    if (!running && strcmp(key, "NetworkMode") == 0)
        return hk_error_set(err, -EINVAL, "cannot join network of a non running container: %s",
                            ref);
    if (!running)
        return hk_error_set(err, -EINVAL, "container %s is not running", id);
    if (strcmp(key, "IpcMode") == 0 && !shareable)
        return hk_error_set(err, -EINVAL, "can't join IPC of container %s: non-shareable IPC "
                                          "(hint: use IpcMode:shareable for the donor container)",
                            id);
    *ret = (pid_t)pid;
    if (ret_shm) {
        _cleanup_free_ char *dir = engine_dir(e, id);
        *ret_shm = strcmp(ipc, "host") == 0 ? xstrdup("/dev/shm") : xasprintf("%s/shm", dir);
    }
    return 0;
}

/* The pids of the containers whose namespaces this one joins (0: none). */
static int donors(const struct engine *e, const json_t *hc, struct specgen_donors *d,
                  struct hk_error *err)
{
    const char *keys[] = {"NetworkMode", "PidMode", "IpcMode"};
    pid_t *out[] = {&d->net, &d->pid, &d->ipc};
    for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
        const char *mode = jstr(hc, keys[i]);
        *out[i] = 0;
        if (strncmp(mode, "container:", 10) != 0)
            continue;
        int r = donor_pid(e, keys[i], mode + 10, out[i], NULL, NULL, err);
        if (r < 0)
            return r;
    }
    return 0;
}

int create_rejoin(const struct engine *e, const char *dir, const json_t *hc,
                  struct hk_error *err)
{
    struct specgen_donors d;
    int r = donors(e, hc, &d, err);
    if (r < 0 || (!d.net && !d.pid && !d.ipc))
        return r;
    _cleanup_free_ char *path = xasprintf("%s/config.json", dir);
    json_error_t je;
    _cleanup_json_ json_t *spec = json_load_file(path, 0, &je);
    if (!spec)
        return hk_error_set(err, -EINVAL, "%s: %s", path, je.text);
    specgen_set_donors(spec, &d);
    _cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(2));
    return write_file_replace(path, text, strlen(text), 0600, err);
}

/* --ipc shareable: the container's /dev/shm is a tmpfs on the host, <dir>/shm (as docker's
 * ShmPath), so that an --ipc container:REF container can bind it too; *ret: what the
 * container's /dev/shm binds (NULL: a tmpfs of its own, or none). */
static int shm_prepare(const struct engine *e, const struct record *rec, const json_t *hc,
                       char **ret, struct hk_error *err)
{
    const char *ipc = jstr(hc, "IpcMode");
    *ret = NULL;
    if (strncmp(ipc, "container:", 10) == 0) {
        pid_t pid;
        return donor_pid(e, "IpcMode", ipc + 10, &pid, ret, NULL, err);
    }
    if (strcmp(ipc, "shareable") != 0)
        return 0;
    _cleanup_free_ char *path = xasprintf("%s/shm", rec->dir);
    json_int_t size = json_integer_value(json_object_get(hc, "ShmSize"));
    _cleanup_free_ char *opts = xasprintf("mode=1777,size=%lld", size > 0 ? (long long)size
                                                                          : 67108864LL);
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return hk_error_errno(err, -errno, "mkdir '%s'", path);
    if (mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
        return hk_error_errno(err, -errno, "mount the shareable /dev/shm on '%s'", path);
    *ret = TAKE_PTR(path);
    return 0;
}

void create_shm_unmount(const char *dir)
{
    _cleanup_free_ char *path = xasprintf("%s/shm", dir);
    if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
        log_warn("unmount '%s': %s", path, strerror(errno));
}

/* The container's /etc files; host-gateway is its network's gateway (the default bridge's
 * when it has none of its own, as docker's docker0 address). */
static int write_etc(const struct engine *e, const char *dir, const json_t *cfg,
                     const json_t *hc, struct hk_error *err)
{
    const char *mode = jstr(hc, "NetworkMode");
    struct network n;
    char gw[INET_ADDRSTRLEN] = "";
    bool need_gw = false;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(hc, "ExtraHosts"), i, v)
        need_gw |= strstr(json_string_value(v) ?: "", ":host-gateway") != NULL;
    /* a user network's containers ask its DNS responder (net/dns.h), on its gateway */
    bool user = net_mode_is_network(mode) && strcmp(mode, "bridge") != 0;
    if ((need_gw || user) &&
        network_get(e, net_mode_is_network(mode) ? mode : "bridge", &n, NULL) == 0)
        inet_ntop(AF_INET, &n.gw, gw, sizeof(gw));
    else
        user = false;
    struct etc_opts o = {.hostname = jstr(cfg, "Hostname"),
                         .host_network = strcmp(mode, "host") == 0,
                         .host_config = hc,
                         .gateway = gw,
                         .nameserver = user && !n.is_default ? gw : NULL};
    return etc_write(dir, &o, err);
}

/* The runtime creates missing mount destinations as the container's root, which, mapped to an
 * unprivileged host user, may not write into the image's directories: make them now, inside
 * the rootfs (resolved in it: an image's symlinks stay inside). */
static int userns_mount_targets(int rootfd, const json_t *spec, struct hk_error *err)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(spec, "mounts"), i, m)
    {
        const char *dest = jstr(m, "destination"), *src = jstr(m, "source");
        struct stat st;
        bool file = strcmp(jstr(m, "type"), "bind") == 0 && stat(src, &st) == 0 &&
                    !S_ISDIR(st.st_mode);
        int fd = -1;
        int r = file ? touch_in_root(rootfd, dest, 0644, &fd, err)
                     : mkdir_p_in_root(rootfd, dest, 0755, &fd, err);
        if (fd >= 0)
            close(fd);
        if (r < 0)
            return hk_error_prefix(err, r, "--uidmap: mount point '%s'", dest);
    }
    return 0;
}

/* Point the record's /etc file paths at dir. */
static void etc_paths(json_t *j, const char *dir)
{
    static const char *const keys[][2] = {
        {"HostnamePath", "hostname"}, {"HostsPath", "hosts"}, {"ResolvConfPath", "resolv.conf"}};
    for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, keys[i][1]);
        json_object_set_new(j, keys[i][0], json_string(p));
    }
}

/* --group-add NAME|GID: more supplementary groups, names through the image's /etc/group. */
static int group_add(int rootfd, const json_t *groups, struct user_ids *u, struct hk_error *err)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        _cleanup_free_ char *spec = xasprintf("0:%s", json_string_value(g));
        struct user_ids one = {0};
        int r = user_resolve(rootfd, spec, &one, err);
        if (r < 0)
            return hk_error_prefix(err, r, "--group-add %s", json_string_value(g));
        u->gids = xrealloc(u->gids, (u->n_gids + 1) * sizeof(*u->gids));
        u->gids[u->n_gids++] = one.gid;
        user_ids_clear(&one);
    }
    return 0;
}

/* The part of create that fills the container's directory: rootfs, user, /etc, config.json. */
static int make_bundle(const struct engine *e, struct store *s, const struct image *img,
                       struct record *rec, const struct mount_plan *mp, json_t *warnings,
                       struct hk_error *err)
{
    const json_t *cfg = json_object_get(rec->j, "Config");
    const json_t *hc = json_object_get(rec->j, "HostConfig");
    _cleanup_free_ char *rootfs = NULL, *init = NULL, *seccomp = NULL;
    /* A --rm container's upper layer never needs to reach the disk. */
    bool ephemeral = json_is_true(json_object_get(hc, "AutoRemove"));
    int r = image_rootfs_mount(s, img, rec->dir, ROOTFS_AUTO, ephemeral, &rootfs, err);
    if (r < 0)
        return r;
    _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct user_ids user = {0};
    if (rootfd < 0)
        return hk_error_errno(err, -errno, "open '%s'", rootfs);
    _cleanup_free_ char *etc = NULL;
    const char *aa_spec = NULL, *aa_record = "";
    r = mounts_copy_up(e, mp, rootfd, err);
    if (r == 0)
        r = user_resolve(rootfd, jstr(cfg, "User"), &user, err);
    if (r == 0)
        r = group_add(rootfd, json_object_get(hc, "GroupAdd"), &user, err);
    if (r == 0)
        r = apparmor_for(hc, e->runroot, &aa_spec, &aa_record, err);
    if (r == 0)
        r = userns_prepare(e, hc, rec, &etc, err);
    if (r == 0)
        r = write_etc(e, etc, cfg, hc, err);
    if (r == 0) {
        if (strcmp(etc, rec->dir) != 0)
            etc_paths(rec->j, etc);
        json_object_set_new(rec->j, "AppArmorProfile", json_string(aa_record));
        r = record_save(rec, err);
    }
    if (r == 0 && json_is_true(json_object_get(hc, "Init")))
        r = embedded_init_path(e->root, &init, err);
    if (r == 0)
        r = seccomp_for(hc, &seccomp, err);
    _cleanup_json_ json_t *spec = NULL;
    _cleanup_free_ char *net_etc = NULL;
    struct specgen_donors d = {0};
    if (r == 0)
        r = donors(e, hc, &d, err);
    if (r == 0 && strncmp(jstr(hc, "NetworkMode"), "container:", 10) == 0) {
        pid_t pid;
        r = donor_pid(e, "NetworkMode", jstr(hc, "NetworkMode") + 10, &pid, NULL, &net_etc, err);
    }
    if (r == 0 && net_etc) {
        _cleanup_free_ char *h = xasprintf("%s/hosts", net_etc);
        _cleanup_free_ char *rc = xasprintf("%s/resolv.conf", net_etc);
        json_object_set_new(rec->j, "HostsPath", json_string(h));
        json_object_set_new(rec->j, "ResolvConfPath", json_string(rc));
        r = record_save(rec, err);
    }
    _cleanup_free_ char *shm = NULL;
    if (r == 0)
        r = shm_prepare(e, rec, hc, &shm, err);
    if (r == 0) {
        struct specgen in = {.id = rec->id, .cgroup_parent = e->cgroup_parent, .config = cfg, .host_config = hc, .dir = etc,
                             .user = &user, .init_path = init, .seccomp = seccomp,
                             .apparmor = aa_spec,
                             .can_raise_rlimits = have_cap(CAP_SYS_RESOURCE),
                             .mounts = mp->oci,
                             .net_dir = net_etc,
                             .donors = d,
                             .shm_path = shm};
        r = specgen_build(&in, &spec, warnings, err);
    }
    user_ids_clear(&user);
    if (r == 0 && strcmp(etc, rec->dir) != 0)
        r = userns_mount_targets(rootfd, spec, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(2));
    _cleanup_free_ char *path = xasprintf("%s/config.json", rec->dir);
    return write_file_replace(path, text, strlen(text), 0600, err);
}

/* The record's docker-shaped fields. */
static json_t *new_record(const char *id, const char *name, const struct image *img,
                          const struct create_request *req, json_t *config, const char *dir)
{
    char now[64];
    json_t *args = specgen_args(config, false);
    json_t *path = json_incref(json_array_get(args, 0));
    json_array_remove(args, 0);
    _cleanup_free_ char *n = xasprintf("/%s", name);
    _cleanup_free_ char *log = xasprintf("%s/%s-json.log", dir, id);
    _cleanup_free_ char *hn = xasprintf("%s/hostname", dir);
    _cleanup_free_ char *hosts = xasprintf("%s/hosts", dir);
    _cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", dir);
    json_t *j = json_pack("{s:s,s:s,s:o,s:o,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:O,s:O}", "Id", id,
                          "Created", rfc3339_now(now, sizeof(now)), "Path",
                          path ? path : json_string(""), "Args", args, "Image", img->id, "Name",
                          n, "RestartCount", 0, "Driver", "overlay", "LogPath", log,
                          "HostnamePath", hn, "HostsPath", hosts, "ResolvConfPath", resolv,
                          "Config", config, "HostConfig", req->host_config);
    json_object_set_new(json_object_get(j, "Config"), "Image", json_string(req->image));
    json_object_set_new(j, "Hako", json_pack("{s:s,s:i,s:b}", "ImageRef", req->image,
                                             "MonitorPid", 0, "ManualStop", false));
    record_set_status(j, "created");
    json_t *st = json_object_get(j, "State");
    json_object_set_new(st, "Pid", json_integer(0));
    json_object_set_new(st, "ExitCode", json_integer(0));
    json_object_set_new(st, "OOMKilled", json_false());
    json_object_set_new(st, "Error", json_string(""));
    json_object_set_new(st, "StartedAt", json_string("0001-01-01T00:00:00Z"));
    json_object_set_new(st, "FinishedAt", json_string("0001-01-01T00:00:00Z"));
    return j;
}

/* A generated name not in use (the names lock is taken by record_create: a race with another
 * create picking the same name is caught there and retried). */
static char *pick_name(const struct engine *e)
{
    for (int i = 0;; i++) {
        char *n = names_generate(0);
        char *other = record_find_name(e, n);
        if (!other || i > 50) {
            free(other);
            return n;
        }
        free(other);
        free(n);
    }
}

static json_t *flags_config(const struct create_request *req, const char *id)
{
    json_t *flags = json_deep_copy(req->config);
    if (!jstr(flags, "Hostname")[0]) {
        char host[256] = "";
        if (strcmp(jstr(req->host_config, "NetworkMode"), "host") == 0 ||
            strcmp(jstr(req->host_config, "UTSMode"), "host") == 0)
            gethostname(host, sizeof(host) - 1);
        else
            snprintf(host, sizeof(host), "%.12s", id);
        json_object_set_new(flags, "Hostname", json_string(host));
    }
    return flags;
}

/* --mac-address and --network-alias where docker allows them, the MAC well formed. */
static int check_mac_alias(const json_t *hc, const json_t *cfg, bool bridged, bool user,
                           struct hk_error *err)
{
    const char *mac = jstr(cfg, "MacAddress");
    unsigned char b[6];
    if (mac[0] && !bridged)
        return hk_error_set(err, -EINVAL, "conflicting options: mac-address and the network "
                                          "mode");
    if (mac[0] && net_mac_parse(mac, b) < 0)
        return hk_error_set(err, -EINVAL, "invalid MAC address %s", mac);
    if (json_array_size(json_object_get(json_object_get(hc, "Hako"), "Aliases")) && !user)
        return hk_error_set(err, -EINVAL, "network-scoped alias is supported only for "
                                          "containers in user defined networks");
    return 0;
}

/* The network the container asks for exists (the default `bridge` is made now) and is up;
 * ports, --ip, --mac-address and --network-alias only where docker allows them. */
static int check_network(const struct engine *e, const json_t *hc, const json_t *cfg,
                         json_t *warnings, struct hk_error *err)
{
    const char *mode = jstr(hc, "NetworkMode");
    bool ports = json_object_size(json_object_get(hc, "PortBindings")) ||
                 json_is_true(json_object_get(hc, "PublishAllPorts"));
    const char *ip = jstr(json_object_get(hc, "Hako"), "IPv4Address");
    int r = net_mode_is_network(mode) ? 0 : check_mac_alias(hc, cfg, false, false, err);
    if (r < 0)
        return r;
    if (strncmp(mode, "container:", 10) == 0) {
        pid_t pid;
        r = donor_pid(e, "NetworkMode", mode + 10, &pid, NULL, NULL, err);
        if (r == 0 && ports)
            r = hk_error_set(err, -EINVAL, "conflicting options: port publishing and the "
                                           "container type network mode");
        /* its /etc/hosts and resolv.conf are the other container's (make_bundle) */
        bool dns = json_array_size(json_object_get(hc, "Dns")) ||
                   json_array_size(json_object_get(hc, "DnsSearch")) ||
                   json_array_size(json_object_get(hc, "DnsOptions"));
        if (r == 0 && json_array_size(json_object_get(hc, "ExtraHosts")))
            r = hk_error_set(err, -EINVAL, "conflicting options: custom host-to-IP mapping and "
                                           "the network mode");
        if (r == 0 && dns)
            r = hk_error_set(err, -EINVAL, "conflicting options: dns and the network mode");
        if (r == 0 && jstr(cfg, "Hostname")[0])
            r = hk_error_set(err, -EINVAL, "conflicting options: hostname and the network mode");
        return r;
    }
    if (!net_mode_is_network(mode)) {
        if (ports && (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0))
            return hk_error_set(err, -EINVAL, "conflicting options: port publishing and the "
                                              "container type network mode");
        if (ports)
            return hk_error_set(err, -EINVAL, "port publishing needs a bridge network: "
                                              "--network bridge or a network's name");
        if (ip[0])
            return hk_error_set(err, -EINVAL, "user specified IP address is supported on user "
                                              "defined networks only");
        return 0;
    }
    struct network n;
    r = network_get(e, mode, &n, err);
    if (r == 0)
        r = check_mac_alias(hc, cfg, true, !n.is_default, err);
    if (r < 0)
        return r;
    if (ip[0] && n.is_default)
        return hk_error_set(err, -EINVAL, "user specified IP address is supported on user "
                                          "defined networks only");
    r = network_up(&n, err);
    if (r == 1 && warnings)
        json_array_append_new(warnings, json_string("net.ipv4.ip_forward was 0: hako turned "
                                                    "it on for bridge networking"));
    return r < 0 ? r : 0;
}

int engine_create(const struct engine *e, struct store *s, const struct create_request *req,
                  char **ret_id, json_t *warnings, struct hk_error *err)
{
    int r = create_check_host_config(req->host_config, err);
    if (r == 0)
        r = check_network(e, req->host_config, req->config, warnings, err);
    struct specgen_donors d;
    if (r == 0)
        r = donors(e, req->host_config, &d, err);
    if (r == 0 && warnings && json_is_true(json_object_get(req->host_config, "OomKillDisable"))) {
        if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
            json_array_append_new(warnings, json_string("Your kernel does not support "
                                                        "OomKillDisable. OomKillDisable "
                                                        "discarded."));
        else if (json_integer_value(json_object_get(req->host_config, "Memory")) <= 0)
            json_array_append_new(warnings, json_string("Disabling the OOM killer on "
                                                        "containers without setting a "
                                                        "'-m/--memory' limit may be "
                                                        "dangerous."));
    }
    const char *wd = jstr(req->config, "WorkingDir");
    if (r == 0 && wd[0] && wd[0] != '/')
        r = hk_error_set(err, -EINVAL, "the working directory '%s' is invalid, it needs to be an "
                                       "absolute path", wd);
    if (r == 0 && req->name)
        r = names_check(req->name, err);
    if (r == 0)
        r = health_check(json_object_get(req->config, "Healthcheck"), err);
    if (r < 0)
        return r;
    struct image *owned = NULL;
    const struct image *img = req->img;
    if (!img) {
        r = image_lookup(s, req->image, &owned, err);
        if (r < 0)
            return r;
        img = owned;
    }
    char id[NAMES_ID_LEN + 1];
    r = names_new_id(id, err);
    _cleanup_free_ char *name = req->name ? xstrdup(req->name[0] == '/' ? req->name + 1 : req->name)
                                          : pick_name(e);
    _cleanup_json_ json_t *flags = flags_config(req, id);
    _cleanup_json_ json_t *config =
        create_merge_config(json_object_get(img->config, "config"), flags);
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_json_ json_t *j = new_record(id, name, img, req, config, dir);
    struct record *rec = NULL;
    struct mount_plan mp = {0};
    /* The volumes are claimed (the record names them) before another command may remove them. */
    int vlock = -1;
    if (r == 0)
        r = volume_lock(e, &vlock, err);
    if (r == 0)
        r = mounts_plan(e, json_object_get(img->config, "config"), req->host_config, &mp, err);
    if (r == 0) {
        json_object_set(j, "Mounts", mp.mounts);
        r = record_create(e, j, &rec, err);
        if (r < 0)
            mount_plan_undo(e, &mp);
    }
    if (vlock >= 0)
        close(vlock);
    if (r == 0) {
        r = make_bundle(e, s, img, rec, &mp, warnings, err);
        if (r < 0) {
            image_rootfs_unmount(rec->dir, NULL);
            create_shm_unmount(rec->dir);
            rm_rf(rec->dir);
            rec = record_free(rec); /* its lock, before the volumes lock (volume rm's order) */
            if (volume_lock(e, &vlock, NULL) == 0) {
                mount_plan_undo(e, &mp);
                close(vlock);
            }
        }
    }
    if (r == 0)
        engine_event(e, rec->j, "create", NULL);
    mount_plan_clear(&mp);
    record_free(rec);
    image_free(owned);
    if (r < 0)
        return r;
    *ret_id = xstrdup(id);
    return 0;
}

/* Docker's profile format: "archMap" picks the architectures, and rules carry "includes" /
 * "excludes" conditions on capabilities, architectures and kernel versions. A rule is kept
 * when it has no condition on capabilities outside Docker's default set. */
static bool rule_applies(const json_t *rule)
{
    const json_t *inc = json_object_get(rule, "includes");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(inc, "caps"), i, v)
    {
        const char *c = json_string_value(v);
        cap_value_t cv;
        if (!c || cap_from_name(c, &cv) < 0 || !(specgen_default_caps() & (1ULL << cv)))
            return false;
    }
    json_array_foreach(json_object_get(inc, "arches"), i, v)
        if (strcmp(json_string_value(v) ?: "", OCI_ARCH_NAME) == 0)
            return true;
    return !json_array_size(json_object_get(inc, "arches"));
}

int create_seccomp_from_file(const char *path, json_t **ret, struct hk_error *err)
{
    json_t *p = NULL;
    int r = json_load_file_text(path, 1 << 20, &p, NULL, err);
    if (r < 0)
        return r;
    json_t *archmap = json_object_get(p, "archMap");
    if (!archmap) {
        *ret = p;
        return 0;
    }
    json_t *arches = json_array(), *syscalls = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(archmap, i, v)
    {
        if (strcmp(jstr(v, "architecture"), OCI_SCMP_ARCH) != 0)
            continue;
        json_array_append(arches, json_object_get(v, "architecture"));
        json_array_extend(arches, json_object_get(v, "subArchitectures"));
    }
    json_array_foreach(json_object_get(p, "syscalls"), i, v)
    {
        if (!rule_applies(v))
            continue;
        json_t *rule = json_deep_copy(v);
        json_object_del(rule, "includes");
        json_object_del(rule, "excludes");
        json_object_del(rule, "comment");
        json_array_append_new(syscalls, rule);
    }
    json_object_del(p, "archMap");
    json_object_set_new(p, "architectures", arches);
    json_object_set_new(p, "syscalls", syscalls);
    *ret = p;
    return 0;
}
