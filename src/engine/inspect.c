/* inspect.c — docker-shaped inspect output plus hako's see-through section. */
#include "engine/inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/spec.h"
#include "runtime/cgroup.h"
#include "runtime/control.h"
#include "util/fs.h"
#include "util/json.h"

/* docker's Mounts array: the record's (resolved at create), plus the --tmpfs mounts. */
static json_t *mounts_of(const json_t *j)
{
    json_t *out = json_deep_copy(json_object_get(j, "Mounts"));
    if (!json_is_array(out)) {
        json_decref(out);
        out = json_array();
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)json_object_get(json_object_get(j, "HostConfig"), "Tmpfs"), k, v)
        json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:b,s:s}", "Type", "tmpfs",
                                             "Source", "", "Destination", k, "Mode",
                                             json_string_value(v), "RW", true, "Propagation",
                                             ""));
    return out;
}

static json_t *namespaces_of(int pid)
{
    json_t *ns = json_object();
    for (int t = 0; t < OCI_NS_COUNT; t++) {
        const char *name = oci_ns_proc_name((enum oci_ns_type)t);
        char a[64], b[64], ca[128] = "", hb[128] = "";
        snprintf(a, sizeof(a), "/proc/%d/ns/%s", pid, name);
        snprintf(b, sizeof(b), "/proc/1/ns/%s", name);
        ssize_t na = readlink(a, ca, sizeof(ca) - 1), nb = readlink(b, hb, sizeof(hb) - 1);
        if (nb <= 0) { /* the host's init hidden from us: our own namespaces are the host's */
            snprintf(b, sizeof(b), "/proc/self/ns/%s", name);
            nb = readlink(b, hb, sizeof(hb) - 1);
        }
        if (na <= 0 || nb <= 0)
            continue;
        ca[na] = hb[nb] = '\0';
        json_object_set_new(ns, oci_ns_name((enum oci_ns_type)t),
                            json_pack("{s:s,s:s,s:b}", "Container", ca, "Host", hb, "Shared",
                                      strcmp(ca, hb) == 0));
    }
    return ns;
}

/* NSpid of /proc/<pid>/status: the pid in each namespace, outermost first. */
static json_t *nspids(int pid)
{
    _cleanup_free_ char *path = xasprintf("/proc/%d/status", pid);
    _cleanup_free_ char *text = NULL;
    size_t len;
    json_t *a = json_array();
    if (read_file(path, 1 << 16, &text, &len, NULL) < 0)
        return a;
    char *l = strstr(text, "\nNSpid:");
    if (!l)
        return a;
    for (char *p = l + 7, *end; *p && *p != '\n'; p = end) {
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        json_array_append_new(a, json_integer(v));
    }
    return a;
}

static json_t *jget(const json_t *o, const char *a, const char *b)
{
    return json_object_get(json_object_get(o, a), b);
}

/* v (a new reference), or def when v is missing. */
static json_t *or_default(const json_t *v, json_t *def)
{
    if (!v)
        return def;
    json_decref(def);
    return json_deep_copy(v);
}

/* The cgroup section: path, the kernel's limits and the current usage. */
static json_t *cgroup_of(const struct engine *e, const char *id)
{
    struct cgroup_manager *cg = NULL;
    if (container_cgroup(&e->rt, id, &cg, NULL) < 0)
        return json_null();
    json_t *st = NULL;
    cgroup_stats(cg, &st, NULL);
    unsigned long ooms = 0;
    cgroup_oom_count(cg, &ooms, NULL);
    json_t *mem = jget(st, "memory", "usage");
    json_t *out = json_pack("{s:s,s:o,s:o,s:o,s:I}", "Path", cgroup_path(cg), "Memory",
                            json_pack("{s:o,s:o,s:o}", "Limit",
                                      or_default(json_object_get(mem, "limit"), json_null()),
                                      "Usage", or_default(json_object_get(mem, "usage"),
                                                          json_integer(0)),
                                      "MaxUsage", or_default(json_object_get(mem, "max"),
                                                             json_integer(0))),
                            "Pids",
                            json_pack("{s:o,s:o}", "Limit",
                                      or_default(jget(st, "pids", "limit"), json_string("max")),
                                      "Current",
                                      or_default(jget(st, "pids", "current"), json_integer(0))),
                            "Cpu",
                            json_pack("{s:o}", "UsageNanos",
                                      or_default(json_object_get(jget(st, "cpu", "usage"),
                                                                 "total"),
                                                 json_integer(0))),
                            "OOMKills", (json_int_t)ooms);
    json_decref(st);
    cgroup_manager_free(cg);
    return out;
}

json_t *inspect_see_through(const struct engine *e, const char *id, int pid)
{
    json_t *o = json_object();
    if (pid <= 0)
        return o;
    json_t *ns = nspids(pid);
    json_object_set_new(o, "Init",
                        json_pack("{s:i,s:O,s:O}", "HostPid", pid, "ContainerPid",
                                  json_array_get(ns, json_array_size(ns) - 1) ?: json_null(),
                                  "NSpid", ns));
    json_decref(ns);
    json_object_set_new(o, "Namespaces", namespaces_of(pid));
    json_t *cg = cgroup_of(e, id);
    /* what the container asked for, from its config.json */
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_free_ char *path = xasprintf("%s/config.json", dir);
    json_t *spec = NULL;
    if (json_load_file_text(path, 1 << 24, &spec, NULL, NULL) == 0 && json_is_object(cg)) {
        json_t *res = jget(spec, "linux", "resources");
        json_object_set(cg, "Requested", res ? res : json_null());
    }
    json_decref(spec);
    json_object_set_new(o, "Cgroup", cg);
    return o;
}

/* docker's zero values for what the record leaves out, so that tools reading any key of
 * HostConfig, Config or the top level find one (docker 28's inspect of a default container). */
static const char *const host_config_zero =
    "{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"json-file\","
    "\"Config\":{}},\"NetworkMode\":\"bridge\",\"PortBindings\":{},\"RestartPolicy\":"
    "{\"Name\":\"no\",\"MaximumRetryCount\":0},\"AutoRemove\":false,\"VolumeDriver\":\"\","
    "\"VolumesFrom\":null,\"ConsoleSize\":[0,0],\"CapAdd\":null,\"CapDrop\":null,"
    "\"CgroupnsMode\":\"private\",\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],"
    "\"ExtraHosts\":null,\"GroupAdd\":null,\"IpcMode\":\"private\",\"Cgroup\":\"\","
    "\"Links\":null,\"OomScoreAdj\":0,\"PidMode\":\"\",\"Privileged\":false,"
    "\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,\"SecurityOpt\":null,\"UTSMode\":\"\","
    "\"UsernsMode\":\"\",\"ShmSize\":67108864,\"Runtime\":\"hako-runtime\",\"Isolation\":\"\","
    "\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,\"CgroupParent\":\"\",\"BlkioWeight\":0,"
    "\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":[],\"BlkioDeviceWriteBps\":[],"
    "\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\":[],\"CpuPeriod\":0,\"CpuQuota\":0,"
    "\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\","
    "\"Devices\":[],\"DeviceCgroupRules\":null,\"DeviceRequests\":null,"
    "\"MemoryReservation\":0,\"MemorySwap\":0,\"MemorySwappiness\":null,"
    "\"OomKillDisable\":false,\"PidsLimit\":null,\"Ulimits\":[],\"CpuCount\":0,"
    "\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"Tmpfs\":{},"
    "\"Init\":false}";
static const char *const config_zero =
    "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,"
    "\"AttachStdout\":false,\"AttachStderr\":false,\"Tty\":false,\"OpenStdin\":false,"
    "\"StdinOnce\":false,\"Env\":null,\"Cmd\":null,\"Image\":\"\",\"Volumes\":null,"
    "\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{}}";
static const char *const top_zero =
    "{\"Platform\":\"linux\",\"MountLabel\":\"\",\"ProcessLabel\":\"\",\"ExecIDs\":null,"
    "\"NetworkSettings\":{\"Bridge\":\"\",\"SandboxID\":\"\",\"SandboxKey\":\"\","
    "\"Ports\":{},\"HairpinMode\":false,\"LinkLocalIPv6Address\":\"\","
    "\"LinkLocalIPv6PrefixLen\":0,\"SecondaryIPAddresses\":null,"
    "\"SecondaryIPv6Addresses\":null,\"EndpointID\":\"\",\"Gateway\":\"\","
    "\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"IPAddress\":\"\","
    "\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"MacAddress\":\"\",\"Networks\":{}}}";

/* Fill what o lacks from the zero document (objects one level deep: NetworkSettings). */
static void fill_zero(json_t *o, const char *zero)
{
    json_t *z = json_loads(zero, 0, NULL);
    const char *k;
    json_t *v;
    json_object_foreach(z, k, v)
    {
        json_t *have = json_object_get(o, k);
        if (!have)
            json_object_set(o, k, v);
        else if (json_is_object(have) && json_is_object(v))
            json_object_update_missing(have, v);
    }
    json_decref(z);
}

/* docker's values where hako records its own default: the default network is "bridge", the
 * default IPC mode "private", the swap allowance twice the memory limit. */
static void docker_shape(json_t *j)
{
    json_t *hc = json_object_get(j, "HostConfig"), *cfg = json_object_get(j, "Config");
    if (!json_is_object(hc))
        json_object_set_new(j, "HostConfig", hc = json_object());
    if (!json_is_object(cfg))
        json_object_set_new(j, "Config", cfg = json_object());
    const char *net = json_string_value(json_object_get(hc, "NetworkMode"));
    if (net && strcmp(net, "default") == 0)
        json_object_set_new(hc, "NetworkMode", json_string("bridge"));
    const char *ipc = json_string_value(json_object_get(hc, "IpcMode"));
    if (ipc && !ipc[0])
        json_object_del(hc, "IpcMode");
    json_int_t mem = json_integer_value(json_object_get(hc, "Memory"));
    if (mem > 0 && json_integer_value(json_object_get(hc, "MemorySwap")) == 0)
        json_object_set_new(hc, "MemorySwap", json_integer(2 * mem));
    fill_zero(hc, host_config_zero);
    fill_zero(cfg, config_zero);
    fill_zero(j, top_zero);
    const char *driver = json_string_value(json_object_get(j, "Driver"));
    if (!json_object_get(j, "GraphDriver"))
        json_object_set_new(j, "GraphDriver", json_pack("{s:{},s:s}", "Data", "Name",
                                                        driver ? driver : "overlay"));
}

int inspect_container(const struct engine *e, const char *id, json_t **ret,
                      struct hk_error *err)
{
    struct record *r = NULL;
    int rc = record_open(e, id, true, &r, err);
    if (rc < 0)
        return rc;
    record_refresh(e, r);
    json_t *j = json_deep_copy(r->j);
    record_free(r);
    json_object_set_new(j, "Mounts", mounts_of(j));
    /* docker's HostConfig.LogConfig (docker-py's containers.run reads its Type): hako's log
     * is docker's json-file format, <dir>/<id>-json.log */
    json_t *hc = json_object_get(j, "HostConfig");
    json_t *lc = json_object_get(hc, "LogConfig");
    const char *type = json_string_value(json_object_get(lc, "Type"));
    if (json_is_object(hc) && (!json_is_object(lc) || !type || !type[0]))
        json_object_set_new(hc, "LogConfig", json_pack("{s:s,s:{}}", "Type", "json-file",
                                                       "Config"));
    json_t *hk = json_object_get(j, "Hako");
    int pid = (int)json_integer_value(jget(j, "State", "Pid"));
    const char *st = json_string_value(jget(j, "State", "Status"));
    json_object_set_new(hk, "Monitor",
                        json_pack("{s:O,s:b}", "Pid", json_object_get(hk, "MonitorPid"), "Alive",
                                  record_monitor_alive(j)));
    json_object_del(hk, "MonitorPid");
    json_object_del(hk, "MonitorStart");
    if (st && (strcmp(st, "running") == 0 || strcmp(st, "paused") == 0)) {
        json_t *see = inspect_see_through(e, id, pid);
        json_object_update(hk, see);
        json_decref(see);
    }
    docker_shape(j);
    *ret = j;
    return 0;
}
