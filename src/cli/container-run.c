/* container-run.c — `hako run`, `hako create`, `hako start`: docker's flags into Config and
 * HostConfig, the image pulled when missing, the container created and started with its
 * monitor, and (unless -d) attached until it exits. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "cli/image-common.h"
#include "engine/create.h"
#include "engine/etc.h"
#include "engine/health.h"
#include "engine/lifecycle.h"
#include "engine/monitor.h"
#include "engine/mountspec.h"
#include "engine/net/attach.h"
#include "engine/net/ports.h"
#include "engine/options.h"
#include "engine/restart.h"
#include "image/image.h"
#include "oci/spec.h"
#include "util/fs.h"
#include "util/json.h"

struct run_flags {
    bool detach, interactive, tty, rm, no_healthcheck;
    const char *name, *cidfile, *pull, *platform;
    json_t *config, *host_config;
    const char *cmd; /* "run" or "create" */
};

enum {
    OPT_RM = 1000, OPT_NAME, OPT_ENV_FILE, OPT_ENTRYPOINT, OPT_MEMORY_SWAP, OPT_CPUS,
    OPT_CPUSET, OPT_PIDS, OPT_ULIMIT, OPT_READ_ONLY, OPT_TMPFS, OPT_INIT, OPT_CAP_ADD,
    OPT_CAP_DROP, OPT_PRIVILEGED, OPT_SECURITY_OPT, OPT_USERNS, OPT_UIDMAP, OPT_GIDMAP,
    OPT_NETWORK, OPT_PUBLISH_ALL, OPT_IP, OPT_ADD_HOST, OPT_DNS, OPT_DNS_SEARCH, OPT_DNS_OPTION,
    OPT_RESTART, OPT_STOP_SIGNAL, OPT_STOP_TIMEOUT, OPT_HELP, OPT_MOUNT, OPT_VOLUMES_FROM,
    OPT_PID, OPT_IPC, OPT_UTS, OPT_SHM_SIZE, OPT_SYSCTL,
    OPT_OOM_SCORE_ADJ, OPT_MEMORY_RESERVATION, OPT_CPU_QUOTA, OPT_CPU_PERIOD, OPT_GROUP_ADD,
    OPT_CIDFILE, OPT_PULL, OPT_NETWORK_ALIAS, OPT_MAC_ADDRESS, OPT_DOMAINNAME,
    OPT_HEALTH_CMD, OPT_HEALTH_INTERVAL, OPT_HEALTH_TIMEOUT,
    OPT_HEALTH_RETRIES, OPT_HEALTH_START_PERIOD, OPT_HEALTH_START_INTERVAL, OPT_NO_HEALTHCHECK,
    OPT_EXPOSE, OPT_CGROUPNS, OPT_OOM_KILL_DISABLE, OPT_DEVICE,
    OPT_DETACH_KEYS, OPT_SIG_PROXY, OPT_PLATFORM, OPT_READ_BPS, OPT_WRITE_BPS, OPT_READ_IOPS, OPT_WRITE_IOPS,
};

static const struct option run_options[] = {
    {"detach", no_argument, NULL, 'd'},         {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},            {"rm", no_argument, NULL, OPT_RM},
    {"name", required_argument, NULL, OPT_NAME}, {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, OPT_ENV_FILE},
    {"workdir", required_argument, NULL, 'w'},  {"user", required_argument, NULL, 'u'},
    {"hostname", required_argument, NULL, 'h'},
    {"domainname", required_argument, NULL, OPT_DOMAINNAME},
    {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
    {"memory", required_argument, NULL, 'm'},
    {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
    {"cpus", required_argument, NULL, OPT_CPUS}, {"cpu-shares", required_argument, NULL, 'c'},
    {"cpuset-cpus", required_argument, NULL, OPT_CPUSET},
    {"pids-limit", required_argument, NULL, OPT_PIDS},
    {"ulimit", required_argument, NULL, OPT_ULIMIT}, {"read-only", no_argument, NULL, OPT_READ_ONLY},
    {"volume", required_argument, NULL, 'v'},   {"tmpfs", required_argument, NULL, OPT_TMPFS},
    {"mount", required_argument, NULL, OPT_MOUNT},
    {"pid", required_argument, NULL, OPT_PID},  {"ipc", required_argument, NULL, OPT_IPC},
    {"uts", required_argument, NULL, OPT_UTS},
    {"cgroupns", required_argument, NULL, OPT_CGROUPNS},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"oom-kill-disable", no_argument, NULL, OPT_OOM_KILL_DISABLE},
    {"shm-size", required_argument, NULL, OPT_SHM_SIZE},
    {"sysctl", required_argument, NULL, OPT_SYSCTL},
    {"oom-score-adj", required_argument, NULL, OPT_OOM_SCORE_ADJ},
    {"memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION},
    {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
    {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
    {"group-add", required_argument, NULL, OPT_GROUP_ADD},
    {"cidfile", required_argument, NULL, OPT_CIDFILE},
    {"pull", required_argument, NULL, OPT_PULL},
    {"health-cmd", required_argument, NULL, OPT_HEALTH_CMD},
    {"health-interval", required_argument, NULL, OPT_HEALTH_INTERVAL},
    {"health-timeout", required_argument, NULL, OPT_HEALTH_TIMEOUT},
    {"health-retries", required_argument, NULL, OPT_HEALTH_RETRIES},
    {"health-start-period", required_argument, NULL, OPT_HEALTH_START_PERIOD},
    {"health-start-interval", required_argument, NULL, OPT_HEALTH_START_INTERVAL},
    {"no-healthcheck", no_argument, NULL, OPT_NO_HEALTHCHECK},
    {"platform", required_argument, NULL, OPT_PLATFORM},
    {"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
    {"sig-proxy", required_argument, NULL, OPT_SIG_PROXY},
    {"device-read-bps", required_argument, NULL, OPT_READ_BPS},
    {"device-write-bps", required_argument, NULL, OPT_WRITE_BPS},
    {"device-read-iops", required_argument, NULL, OPT_READ_IOPS},
    {"device-write-iops", required_argument, NULL, OPT_WRITE_IOPS},
    {"volumes-from", required_argument, NULL, OPT_VOLUMES_FROM},
    {"init", no_argument, NULL, OPT_INIT},      {"cap-add", required_argument, NULL, OPT_CAP_ADD},
    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
    {"privileged", no_argument, NULL, OPT_PRIVILEGED},
    {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
    {"userns", required_argument, NULL, OPT_USERNS},
    {"uidmap", required_argument, NULL, OPT_UIDMAP}, {"gidmap", required_argument, NULL, OPT_GIDMAP},
    {"network", required_argument, NULL, OPT_NETWORK}, {"net", required_argument, NULL, OPT_NETWORK},
    {"publish", required_argument, NULL, 'p'}, {"publish-all", no_argument, NULL, OPT_PUBLISH_ALL},
    {"expose", required_argument, NULL, OPT_EXPOSE},
    {"ip", required_argument, NULL, OPT_IP},
    {"network-alias", required_argument, NULL, OPT_NETWORK_ALIAS},
    {"net-alias", required_argument, NULL, OPT_NETWORK_ALIAS},
    {"mac-address", required_argument, NULL, OPT_MAC_ADDRESS},
    {"add-host", required_argument, NULL, OPT_ADD_HOST}, {"dns", required_argument, NULL, OPT_DNS},
    {"dns-search", required_argument, NULL, OPT_DNS_SEARCH},
    {"dns-option", required_argument, NULL, OPT_DNS_OPTION},
    {"dns-opt", required_argument, NULL, OPT_DNS_OPTION},
    {"restart", required_argument, NULL, OPT_RESTART},
    {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
    {"label", required_argument, NULL, 'l'},    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static void run_usage(const char *cmd)
{
    printf("Usage: hako %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
           "%s a new container\n\n"
           "Options:\n"
           "  -d, --detach              Run in the background and print the container ID\n"
           "  -i, --interactive         Keep STDIN open\n"
           "  -t, --tty                 Allocate a terminal\n"
           "      --rm                  Remove the container when it exits\n"
           "      --name NAME           Name the container\n"
           "  -e, --env K=V             Set environment variables (--env-file FILE)\n"
           "  -w, --workdir DIR         Working directory inside the container\n"
           "  -u, --user USER[:GROUP]   User (name or id) from the image's /etc/passwd\n"
           "  -h, --hostname NAME       Container host name (--domainname DOMAIN: its NIS\n"
           "                            domain, and NAME.DOMAIN in /etc/hosts)\n"
           "      --entrypoint CMD      Override the image's entrypoint\n"
           "  -m, --memory BYTES        Memory limit (16m, 1g); --memory-swap BYTES\n"
           "      --cpus N              CPUs (1.5); --cpu-shares N; --cpuset-cpus 0-1\n"
           "      --pids-limit N        Maximum number of processes\n"
           "      --ulimit NAME=S[:H]   Resource limits (nofile=1024:2048)\n"
           "      --read-only           Read-only root filesystem; --tmpfs /PATH[:OPTS]\n"
           "  -v, --volume SRC:DST[:OPTS]  Bind mount a host path (absolute SRC) or mount a\n"
           "                            named volume; -v DST: an anonymous volume. OPTS: ro,\n"
           "                            rw, nocopy, z, Z, [r]private, [r]shared, [r]slave\n"
           "      --mount SPEC          type=bind|volume|tmpfs,source=,target=,readonly,\n"
           "                            bind-propagation=,volume-nocopy,volume-opt=,\n"
           "                            tmpfs-size=,tmpfs-mode=\n"
           "      --volumes-from C[:ro|rw]  Mount the volumes and binds of container C\n"
           "      --init                Run a tiny init as PID 1 (signals, zombies)\n"
           "      --cap-add/--cap-drop  Capabilities; --privileged: all the host can give,\n"
           "                            its devices, no masked paths and no seccomp\n"
           "      --security-opt OPT    no-new-privileges, seccomp=unconfined|FILE\n"
           "      --uidmap/--gidmap C:H:N  User namespace mappings (--userns host)\n"
           "      --network MODE        default (own namespace, loopback only), none, host,\n"
           "                            bridge (the default bridge network), a network's name or\n"
           "                            container:NAME (share a running container's network);\n"
           "                            --net MODE is the same\n"
           "  -p, --publish [IP:][HOSTPORT:]CPORT[/PROTO]  publish a port (ranges a-b too)\n"
           "      --expose PORT[-END][/PROTO]  expose a port or a range of ports\n"
           "  -P, --publish-all         publish every exposed port on a random host port\n"
           "      --ip ADDR             the container's address on a user network\n"
           "      --network-alias NAME  another name peers on the user network resolve it by\n"
           "                            (also --net-alias NAME)\n"
           "      --mac-address MAC     the MAC address of its interface (02:42:0a:dc:00:05)\n"
           "      --add-host NAME:IP    an /etc/hosts line (IP host-gateway: the bridge's address)\n"
           "      --dns IP, --dns-search DOMAIN, --dns-option OPT   /etc/resolv.conf lines\n"
           "                            (--dns-opt OPT is --dns-option)\n"
           "      --restart POLICY      no, on-failure[:N], always, unless-stopped\n"
           "      --stop-signal SIG     --stop-timeout N\n"
           "  -l, --label K=V           Set metadata\n"
           "      --pid MODE            host or container:NAME: share that PID namespace\n"
           "      --uts host            Share the host's UTS namespace (host name)\n"
           "      --ipc MODE            host, private, shareable, none, container:NAME\n"
           "      --device-read-bps DEV:RATE   Limit read rate (bytes per second) from a "
           "device;\n"
           "                            --device-write-bps, --device-read-iops, "
           "--device-write-iops\n"
           "      --detach-keys KEYS    Key sequence for detaching (ctrl-p,ctrl-q); "
           "--sig-proxy BOOL\n"
           "      --platform OS/ARCH    The image's platform (pulled for it when missing)\n"
           "      --device HOST[:CTR][:PERMS]  Add a host device (PERMS: r, w, m; rwm)\n"
           "      --cgroupns MODE       private (default: a cgroup namespace of its own) or "
           "host\n"
           "      --oom-kill-disable    Disable the OOM killer (cgroup v1 only)\n"
           "      --shm-size BYTES      Size of /dev/shm (64m)\n"
           "      --sysctl K=V          Namespaced sysctls (net.*, kernel.shm*, fs.mqueue.*)\n"
           "      --oom-score-adj N     -1000 to 1000\n"
           "      --memory-reservation BYTES  Soft memory limit\n"
           "      --cpu-quota N/--cpu-period N  CFS quota and period (microseconds)\n"
           "      --group-add GROUP     Another supplementary group (name or GID)\n"
           "      --cidfile FILE        Write the container ID to FILE\n"
           "      --pull POLICY         missing (default), always, never\n"
           "      --health-cmd CMD      Healthcheck command (run with /bin/sh -c in the\n"
           "                            container); --health-interval/--health-timeout/\n"
           "                            --health-start-period/--health-start-interval DURATION\n"
           "                            (30s, 30s, 0s, 5s), --health-retries N (3)\n"
           "      --no-healthcheck      Disable the image's HEALTHCHECK\n",
           cmd, strcmp(cmd, "run") == 0 ? "Create and run" : "Create");
}

static void strv_add(json_t *o, const char *key, const char *v)
{
    json_t *a = json_object_get(o, key);
    if (!a) {
        a = json_array();
        json_object_set_new(o, key, a);
    }
    json_array_append_new(a, json_string(v));
}

/* HostConfig.Hako, hako's own settings (--ip, --network-alias), made when missing. */
static json_t *hako_of(json_t *hc)
{
    json_t *h = json_object_get(hc, "Hako");
    if (!json_is_object(h)) {
        h = json_object();
        json_object_set_new(hc, "Hako", h);
    }
    return h;
}

static int flag_error(struct run_flags *f, const char *flag, const char *value,
                      const struct hk_error *err)
{
    return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"%s\" flag: %s", value, flag,
                           hk_error_msg(err));
}

/* --cpu-shares, --pids-limit, --stop-timeout: plain integers. */
static int int_flag(struct run_flags *f, int c, const char *arg)
{
    char *end;
    errno = 0;
    long long n = strtoll(arg, &end, 10);
    static const struct {
        int c;
        const char *flag, *key;
    } ints[] = {{'c', "-c, --cpu-shares", "CpuShares"}, {OPT_PIDS, "--pids-limit", "PidsLimit"},
                {OPT_STOP_TIMEOUT, "--stop-timeout", "StopTimeout"},
                {OPT_OOM_SCORE_ADJ, "--oom-score-adj", "OomScoreAdj"},
                {OPT_CPU_QUOTA, "--cpu-quota", "CpuQuota"},
                {OPT_CPU_PERIOD, "--cpu-period", "CpuPeriod"}};
    size_t k = 0;
    while (k + 1 < ELEMENTSOF(ints) && ints[k].c != c)
        k++;
    const char *flag = ints[k].flag;
    if (!*arg || *end)
        return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"%s\" flag: not an integer",
                               arg, flag);
    /* docker's parse: 64-bit values (32 for --stop-timeout); the limits' ranges are checked at
     * create, naming the flag */
    if (errno == ERANGE || (c == OPT_STOP_TIMEOUT && (n > INT32_MAX || n < INT32_MIN)))
        return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"%s\" flag: value out of "
                                       "range", arg, flag);
    json_object_set_new(c == OPT_STOP_TIMEOUT ? f->config : f->host_config, ints[k].key,
                        json_integer(n));
    return 0;
}

/* --health-*: fields of Config.Healthcheck as docker's CLI fills them. */
static int health_flag(struct run_flags *f, int c, const char *arg)
{
    static const struct {
        int c;
        const char *flag, *key;
    } h[] = {{OPT_HEALTH_INTERVAL, "--health-interval", "Interval"},
             {OPT_HEALTH_TIMEOUT, "--health-timeout", "Timeout"},
             {OPT_HEALTH_START_PERIOD, "--health-start-period", "StartPeriod"},
             {OPT_HEALTH_START_INTERVAL, "--health-start-interval", "StartInterval"},
             {OPT_HEALTH_RETRIES, "--health-retries", "Retries"}};
    json_t *hc = json_object_get(f->config, "Healthcheck");
    if (!hc) {
        hc = json_object();
        json_object_set_new(f->config, "Healthcheck", hc);
    }
    if (c == OPT_HEALTH_CMD) {
        json_object_set_new(hc, "Test", json_pack("[ss]", "CMD-SHELL", arg));
        return 0;
    }
    size_t k = 0;
    while (k + 1 < ELEMENTSOF(h) && h[k].c != c)
        k++;
    int64_t v = 0;
    if (c == OPT_HEALTH_RETRIES) {
        char *end;
        errno = 0;
        long long n = strtoll(arg, &end, 10);
        if (!*arg || *end || errno || n > INT32_MAX || n < INT32_MIN)
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"%s\" flag: "
                                           "strconv.ParseInt: parsing \"%s\": invalid syntax",
                                   arg, h[k].flag, arg);
        v = n;
    } else if (strcmp(arg, "0") != 0 && !opt_parse_duration(arg, &v)) {
        char *end;
        strtod(arg, &end);
        return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"%s\" flag: time: %s "
                                       "duration \"%s\"", arg, h[k].flag,
                               *arg && !*end ? "missing unit in" : "invalid", arg);
    }
    if (v < 0)
        return cli_usage_error(f->cmd, "%s cannot be negative", h[k].flag);
    json_object_set_new(hc, h[k].key, json_integer(v));
    return 0;
}

/* Flags whose values need parsing; returns 0 or the exit status. */
static int value_flag(struct run_flags *f, int c, const char *arg)
{
    json_t *cfg = f->config, *hc = f->host_config;
    struct hk_error err = {0};
    int64_t v;
    json_t *j = NULL;
    switch (c) {
    case 'm':
    case OPT_MEMORY_SWAP:
        if (c == OPT_MEMORY_SWAP && strcmp(arg, "-1") == 0)
            v = -1;
        else if (opt_parse_bytes(arg, &v, &err) < 0)
            return flag_error(f, c == 'm' ? "-m, --memory" : "--memory-swap", arg, &err);
        json_object_set_new(hc, c == 'm' ? "Memory" : "MemorySwap", json_integer(v));
        return 0;
    case OPT_CPUS:
        if (opt_parse_cpus(arg, &v, &err) < 0)
            return flag_error(f, "--cpus", arg, &err);
        json_object_set_new(hc, "NanoCpus", json_integer(v));
        return 0;
    case 'c':
    case OPT_PIDS:
    case OPT_STOP_TIMEOUT:
    case OPT_OOM_SCORE_ADJ:
    case OPT_CPU_QUOTA:
    case OPT_CPU_PERIOD:
        return int_flag(f, c, arg);
    case OPT_ULIMIT:
        if (opt_parse_ulimit(arg, &j, &err) < 0)
            return flag_error(f, "--ulimit", arg, &err);
        if (!json_object_get(hc, "Ulimits"))
            json_object_set_new(hc, "Ulimits", json_array());
        json_array_append_new(json_object_get(hc, "Ulimits"), j);
        return 0;
    case OPT_UIDMAP:
    case OPT_GIDMAP:
        if (opt_parse_idmap(arg, &j, &err) < 0)
            return flag_error(f, c == OPT_UIDMAP ? "--uidmap" : "--gidmap", arg, &err);
        if (!json_object_get(hc, c == OPT_UIDMAP ? "UidMaps" : "GidMaps"))
            json_object_set_new(hc, c == OPT_UIDMAP ? "UidMaps" : "GidMaps", json_array());
        json_array_append_new(json_object_get(hc, c == OPT_UIDMAP ? "UidMaps" : "GidMaps"), j);
        return 0;
    case OPT_RESTART:
        if (restart_parse(arg, &j, &err) < 0)
            return flag_error(f, "--restart", arg, &err);
        json_object_set_new(hc, "RestartPolicy", j);
        return 0;
    case OPT_STOP_SIGNAL: {
        int sig;
        if (opt_parse_signal(arg, &sig, &err) < 0)
            return flag_error(f, "--stop-signal", arg, &err);
        json_object_set_new(cfg, "StopSignal", json_string(arg));
        return 0;
    }
    case OPT_TMPFS:
        if (!json_object_get(hc, "Tmpfs"))
            json_object_set_new(hc, "Tmpfs", json_object());
        if (opt_parse_tmpfs(arg, json_object_get(hc, "Tmpfs"), &err) < 0)
            return flag_error(f, "--tmpfs", arg, &err);
        return 0;
    case 'v': /* checked by engine_create, as docker's daemon does */
        strv_add(hc, "Binds", arg);
        return 0;
    case OPT_VOLUMES_FROM:
        strv_add(hc, "VolumesFrom", arg);
        return 0;
    case OPT_SHM_SIZE:
    case OPT_MEMORY_RESERVATION:
        if (opt_parse_bytes(arg, &v, &err) < 0)
            return flag_error(f, c == OPT_SHM_SIZE ? "--shm-size" : "--memory-reservation", arg,
                              &err);
        json_object_set_new(hc, c == OPT_SHM_SIZE ? "ShmSize" : "MemoryReservation",
                            json_integer(v));
        return 0;
    case OPT_SYSCTL: {
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg)
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"--sysctl\" flag: "
                                           "sysctl '%s' is not allowed", arg, arg);
        if (!json_object_get(hc, "Sysctls"))
            json_object_set_new(hc, "Sysctls", json_object());
        _cleanup_free_ char *k = strndup(arg, (size_t)(eq - arg));
        json_object_set_new(json_object_get(hc, "Sysctls"), k, json_string(eq + 1));
        return 0;
    }
    case OPT_MOUNT:
        if (mountspec_parse_csv(arg, &j, &err) < 0)
            return flag_error(f, "--mount", arg, &err);
        if (!json_object_get(hc, "Mounts"))
            json_object_set_new(hc, "Mounts", json_array());
        json_array_append_new(json_object_get(hc, "Mounts"), j);
        return 0;
    case OPT_HEALTH_CMD:
    case OPT_HEALTH_INTERVAL:
    case OPT_HEALTH_TIMEOUT:
    case OPT_HEALTH_RETRIES:
    case OPT_HEALTH_START_PERIOD:
    case OPT_HEALTH_START_INTERVAL:
        return health_flag(f, c, arg);
    case OPT_ENV_FILE:
        if (!json_object_get(cfg, "Env"))
            json_object_set_new(cfg, "Env", json_array());
        if (opt_read_env_file(arg, json_object_get(cfg, "Env"), &err) < 0)
            return cli_usage_error(f->cmd, "%s", hk_error_msg(&err));
        return 0;
    }
    return -1;
}

static int simple_flag(struct run_flags *f, int c, const char *arg)
{
    json_t *cfg = f->config, *hc = f->host_config;
    switch (c) {
    case 'd': f->detach = true; break;
    case 'i': f->interactive = true; break;
    case 't': f->tty = true; break;
    case OPT_RM: f->rm = true; break;
    case OPT_NO_HEALTHCHECK: f->no_healthcheck = true; break;
    case OPT_NAME: f->name = arg; break;
    case 'e':
        if (arg[0] == '=' || !arg[0])
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"-e, --env\" flag: "
                                           "invalid environment variable: %s", arg, arg);
        if (strchr(arg, '='))
            strv_add(cfg, "Env", arg);
        else if (getenv(arg)) {
            _cleanup_free_ char *kv = xasprintf("%s=%s", arg, getenv(arg));
            strv_add(cfg, "Env", kv);
        }
        break;
    case 'w': json_object_set_new(cfg, "WorkingDir", json_string(arg)); break;
    case 'u': json_object_set_new(cfg, "User", json_string(arg)); break;
    case 'P': json_object_set_new(hc, "PublishAllPorts", json_true()); break;
    case 'h': json_object_set_new(cfg, "Hostname", json_string(arg)); break;
    case OPT_DOMAINNAME: json_object_set_new(cfg, "Domainname", json_string(arg)); break;
    case OPT_ENTRYPOINT:
        json_object_set_new(cfg, "Entrypoint", json_pack("[s]", arg));
        break;
    case OPT_CPUSET: json_object_set_new(hc, "CpusetCpus", json_string(arg)); break;
    case OPT_READ_ONLY: json_object_set_new(hc, "ReadonlyRootfs", json_true()); break;
    case OPT_INIT: json_object_set_new(hc, "Init", json_true()); break;
    case OPT_CAP_ADD: strv_add(hc, "CapAdd", arg); break;
    case OPT_CAP_DROP: strv_add(hc, "CapDrop", arg); break;
    case OPT_PRIVILEGED: json_object_set_new(hc, "Privileged", json_true()); break;
    case OPT_PID: json_object_set_new(hc, "PidMode", json_string(arg)); break;
    case OPT_IPC: json_object_set_new(hc, "IpcMode", json_string(arg)); break;
    case OPT_UTS: json_object_set_new(hc, "UTSMode", json_string(arg)); break;
    case OPT_CGROUPNS:
        if (strcmp(arg, "host") != 0 && strcmp(arg, "private") != 0)
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"--cgroupns\" flag: "
                                           "invalid cgroup namespace mode (host, private)", arg);
        json_object_set_new(hc, "CgroupnsMode", json_string(arg));
        break;
    case OPT_OOM_KILL_DISABLE: json_object_set_new(hc, "OomKillDisable", json_true()); break;
    case OPT_DEVICE: {
        /* docker's HOST[:CONTAINER][:PERMS]: a last part of r, w, m letters is PERMS */
        _cleanup_free_ char *copy = xstrdup(arg);
        char *parts[3] = {copy, NULL, NULL};
        size_t n = 1;
        for (char *p = copy; *p && n < 3; p++)
            if (*p == ':') {
                *p = '\0';
                parts[n++] = p + 1;
            }
        const char *perms = "rwm", *in = parts[0];
        if (n == 2 && parts[1][0] && strspn(parts[1], "rwm") == strlen(parts[1]))
            perms = parts[1];
        else if (n >= 2)
            in = parts[1][0] ? parts[1] : parts[0];
        if (n == 3)
            perms = parts[2];
        if (!parts[0][0] || strchr(parts[n - 1], ':'))
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"--device\" flag: bad "
                                           "format for path: %s", arg, arg);
        if (!json_object_get(hc, "Devices"))
            json_object_set_new(hc, "Devices", json_array());
        json_array_append_new(json_object_get(hc, "Devices"),
                              json_pack("{s:s,s:s,s:s}", "PathOnHost", parts[0],
                                        "PathInContainer", in, "CgroupPermissions", perms));
        break;
    }
    case OPT_GROUP_ADD: strv_add(hc, "GroupAdd", arg); break;
    case OPT_CIDFILE: f->cidfile = arg; break;
    case OPT_PULL:
        if (strcmp(arg, "missing") && strcmp(arg, "always") && strcmp(arg, "never"))
            return cli_usage_error(f->cmd, "invalid pull option: '%s': must be one of "
                                           "\"always\", \"missing\" or \"never\"", arg);
        f->pull = arg;
        break;
    case OPT_READ_BPS:
    case OPT_WRITE_BPS:
    case OPT_READ_IOPS:
    case OPT_WRITE_IOPS: {
        /* docker's DEVICE:RATE (bytes with a kb/mb/gb unit for bps, a number for iops) */
        static const char *const keys[][2] = {
            {"BlkioDeviceReadBps", "--device-read-bps"},
            {"BlkioDeviceWriteBps", "--device-write-bps"},
            {"BlkioDeviceReadIOps", "--device-read-iops"},
            {"BlkioDeviceWriteIOps", "--device-write-iops"}};
        int k = c - OPT_READ_BPS;
        const char *colon = strrchr(arg, ':');
        if (!colon || colon == arg || strncmp(arg, "/dev/", 5) != 0)
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"%s\" flag: bad "
                                           "format: %s", arg, keys[k][1], arg);
        int64_t rate = -1;
        char *end;
        struct hk_error err = {0};
        if (k >= 2) {
            long long v = strtoll(colon + 1, &end, 10);
            rate = colon[1] && !*end && v >= 0 ? v : -1;
        } else if (opt_parse_bytes(colon + 1, &rate, &err) < 0) {
            rate = -1;
        }
        if (rate < 0)
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"%s\" flag: invalid "
                                           "rate for device: %s. The correct format is "
                                           "<device-path>:<number>%s. Number must be a positive "
                                           "integer.%s", arg, keys[k][1], arg,
                                   k >= 2 ? "" : "[<unit>]",
                                   k >= 2 ? "" : " Unit is optional and can be kb, mb, or gb");
        if (!json_object_get(hc, keys[k][0]))
            json_object_set_new(hc, keys[k][0], json_array());
        _cleanup_free_ char *path = strndup(arg, (size_t)(colon - arg));
        json_array_append_new(json_object_get(hc, keys[k][0]),
                              json_pack("{s:s,s:I}", "Path", path, "Rate", (json_int_t)rate));
        break;
    }
    case OPT_DETACH_KEYS: return cli_attach_detach_keys(arg);
    case OPT_SIG_PROXY: {
        bool on;
        if (opt_parse_bool(arg, &on) < 0)
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"--sig-proxy\" flag: "
                                           "strconv.ParseBool: parsing \"%s\": invalid syntax",
                                   arg, arg);
        cli_attach_sig_proxy(on);
        break;
    }
    case OPT_PLATFORM: {
        struct platform pl;
        struct hk_error err = {0};
        if (platform_parse(arg, &pl, &err) < 0)
            return flag_error(f, "--platform", arg, &err);
        f->platform = arg;
        break;
    }
    case OPT_SECURITY_OPT: strv_add(hc, "SecurityOpt", arg); break;
    case OPT_USERNS:
        if (strcmp(arg, "host") != 0 && arg[0])
            return cli_usage_error(f->cmd, "--userns: '%s': only \"host\" is supported (use "
                                           "--uidmap/--gidmap for a user namespace)", arg);
        break;
    case OPT_NETWORK:
        if (!arg[0] || strcmp(arg, "container:") == 0)
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"--network\" flag",
                                   arg);
        json_object_set_new(hc, "NetworkMode", json_string(arg));
        break;
    case 'p': {
        struct hk_error err = {0};
        if (!json_object_get(hc, "PortBindings"))
            json_object_set_new(hc, "PortBindings", json_object());
        if (!json_object_get(cfg, "ExposedPorts"))
            json_object_set_new(cfg, "ExposedPorts", json_object());
        if (ports_parse(arg, json_object_get(hc, "PortBindings"),
                        json_object_get(cfg, "ExposedPorts"), &err) < 0)
            return cli_usage_error(f->cmd, "%s", hk_error_msg(&err));
        break;
    }
    case OPT_ADD_HOST: {
        struct hk_error err = {0};
        if (etc_check_extra_host(arg, &err) < 0)
            return cli_usage_error(f->cmd, "%s", hk_error_msg(&err));
        strv_add(hc, "ExtraHosts", arg);
        break;
    }
    case OPT_DNS: {
        unsigned char a[16];
        if (inet_pton(AF_INET, arg, a) != 1 && inet_pton(AF_INET6, arg, a) != 1)
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"--dns\" flag: %s is "
                                           "not an ip address", arg, arg);
        strv_add(hc, "Dns", arg);
        break;
    }
    case OPT_DNS_SEARCH: strv_add(hc, "DnsSearch", arg); break;
    case OPT_DNS_OPTION: strv_add(hc, "DnsOptions", arg); break;
    case OPT_PUBLISH_ALL: json_object_set_new(hc, "PublishAllPorts", json_true()); break;
    case OPT_IP: json_object_set_new(hako_of(hc), "IPv4Address", json_string(arg)); break;
    case OPT_NETWORK_ALIAS: strv_add(hako_of(hc), "Aliases", arg); break;
    case OPT_MAC_ADDRESS: {
        unsigned char mac[6];
        int r = net_mac_parse(arg, mac);
        if (r == -EINVAL)
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"--mac-address\" "
                                           "flag: %s is not a valid mac address", arg, arg);
        if (r < 0)
            return cli_usage_error(f->cmd, "invalid argument \"%s\" for \"--mac-address\" "
                                           "flag: %s is a multicast or zero address, which no "
                                           "interface can have", arg, arg);
        json_object_set_new(cfg, "MacAddress", json_string(arg));
        break;
    }
    case OPT_EXPOSE: {
        /* docker's PORT[-END][/PROTO]: each port of the range in Config.ExposedPorts */
        const char *slash = strchr(arg, '/'), *proto = slash ? slash + 1 : "tcp";
        unsigned lo = 0, hi = 0;
        int n = 0;
        if (strchr(arg, ':'))
            return cli_usage_error(f->cmd, "invalid port format for --expose: %s", arg);
        if (sscanf(arg, "%5u%n", &lo, &n) != 1 || lo > 65535)
            n = -1;
        hi = lo;
        if (n > 0 && arg[n] == '-') {
            int m = 0;
            if (sscanf(arg + n + 1, "%5u%n", &hi, &m) != 1 || hi > 65535 || hi < lo)
                n = -1;
            else
                n += 1 + m;
        }
        if (n < 0 || arg + n != (slash ? slash : arg + strlen(arg)) ||
            (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")))
            return cli_usage_error(f->cmd, "invalid range format for --expose: %s", arg);
        if (!json_object_get(cfg, "ExposedPorts"))
            json_object_set_new(cfg, "ExposedPorts", json_object());
        for (unsigned port = lo; port <= hi; port++) {
            char key[32];
            snprintf(key, sizeof(key), "%u/%s", port, proto);
            json_object_set_new(json_object_get(cfg, "ExposedPorts"), key, json_object());
        }
        break;
    }
    case 'l': {
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *k = eq ? strndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
        if (!json_object_get(cfg, "Labels"))
            json_object_set_new(cfg, "Labels", json_object());
        json_object_set_new(json_object_get(cfg, "Labels"), k, json_string(eq ? eq + 1 : ""));
        break;
    }
    default:
        return value_flag(f, c, arg);
    }
    return 0;
}

/* Parse run/create flags; argv[optind] is then the image. Returns 0 or the exit status (-1 for
 * --help: exit 0). */
static int parse_run_flags(int argc, char **argv, struct run_flags *f)
{
    f->config = json_object();
    f->host_config = json_pack("{s:s,s:{s:s,s:i}}", "NetworkMode", "default", "RestartPolicy",
                               "Name", "no", "MaximumRetryCount", 0);
    opterr = 0;
    int c;
    while ((c = cli_getopt(argc, argv, "+dite:w:u:h:m:c:v:l:p:P", run_options)) != -1) {
        if (c == '?')
            return cli_unknown_flag(f->cmd, argc, argv);
        if (c == OPT_HELP) {
            run_usage(f->cmd);
            return -1;
        }
        int r = simple_flag(f, c, optarg);
        if (r)
            return r;
    }
    if (optind >= argc)
        return cli_usage_error(f->cmd, "\"hako %s\" requires at least 1 argument.", f->cmd);
    json_object_set_new(f->config, "Tty", json_boolean(f->tty));
    json_object_set_new(f->config, "OpenStdin", json_boolean(f->interactive));
    json_object_set_new(f->config, "StdinOnce", json_boolean(f->interactive && !f->detach));
    json_object_set_new(f->host_config, "AutoRemove", json_boolean(f->rm));
    if (f->no_healthcheck && json_object_get(f->config, "Healthcheck"))
        return cli_usage_error(f->cmd, "--no-healthcheck conflicts with --health-* options");
    if (f->no_healthcheck)
        json_object_set_new(f->config, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
    /* docker's -p and --mac-address work without --network: they need the bridge */
    if ((json_object_size(json_object_get(f->host_config, "PortBindings")) ||
         json_is_true(json_object_get(f->host_config, "PublishAllPorts")) ||
         json_object_get(f->config, "MacAddress")) &&
        strcmp(json_string_value(json_object_get(f->host_config, "NetworkMode")), "default") == 0)
        json_object_set_new(f->host_config, "NetworkMode", json_string("bridge"));
    if (argc - optind > 1) {
        json_t *cmd = json_array();
        for (int i = optind + 1; i < argc; i++)
            json_array_append_new(cmd, json_string(argv[i]));
        json_object_set_new(f->config, "Cmd", cmd);
    }
    return 0;
}

/* Whether the container may hold CAP_SYS_PTRACE (then run from a sealed copy of hako, see
 * util/selfexe.h: its processes could otherwise reach our binary). */
static bool may_ptrace(const json_t *hc)
{
    if (json_is_true(json_object_get(hc, "Privileged")))
        return true;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(hc, "CapAdd"), i, v)
    {
        const char *s = json_string_value(v);
        if (s && (strcasecmp(s, "ALL") == 0 || strcasestr(s, "SYS_PTRACE")))
            return true;
    }
    return false;
}

/* The image in the store, pulled first when missing (progress on stderr, as docker run). */
/* --platform against a local image: docker's error when it is another one's. */
static int platform_matches(const struct image *img, const char *name, const char *want,
                            struct hk_error *err)
{
    struct platform pl;
    platform_parse(want, &pl, NULL);
    const char *os = json_string_value(json_object_get(img->config, "os")) ?: "";
    const char *arch = json_string_value(json_object_get(img->config, "architecture")) ?: "";
    const char *variant = json_string_value(json_object_get(img->config, "variant")) ?: "";
    if (!strcmp(os, pl.os) && !strcmp(arch, pl.arch) && (!pl.variant[0] || !strcmp(variant, pl.variant)))
        return 0;
    return hk_error_set(err, -EINVAL, "image with reference %s was found but does not match "
                                      "the specified platform: wanted %s, actual: %s/%s%s%s",
                        name, want, os,
                        arch, variant[0] ? "/" : "", variant);
}

static int ensure_image(struct store *s, const char *name, const char *pull,
                        const char *platform, struct image **ret)
{
    struct hk_error err = {0};
    bool always = pull && strcmp(pull, "always") == 0;
    int r = always ? -ENOENT : image_lookup(s, name, ret, &err);
    if (r == 0 && platform && platform_matches(*ret, name, platform, &err) < 0) {
        *ret = image_free(*ret);
        return cli_fail(&err, 125);
    }
    if (r != -ENOENT)
        return r < 0 ? cli_fail(&err, 125) : 0;
    if (pull && strcmp(pull, "never") == 0) {
        cli_error("No such image: %s", name);
        return 125;
    }
    if (!always)
        fprintf(stderr, "Unable to find image '%s' locally\n", name);
    fflush(stdout);
    int saved = dup(1);
    dup2(2, 1);
    char *pull_argv[] = {"pull", (char *)name, NULL, NULL, NULL};
    int pull_argc = 2;
    if (platform) {
        pull_argv[1] = "--platform";
        pull_argv[2] = (char *)platform;
        pull_argv[3] = (char *)name;
        pull_argc = 4;
    }
    int prev = optind;
    optind = 0;
    r = cmd_pull(pull_argc, pull_argv);
    optind = prev;
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    if (r)
        return 125;
    hk_error_clear(&err);
    return image_lookup(s, name, ret, &err) < 0 ? cli_fail(&err, 125) : 0;
}

/* Create the container of f (image argv[optind]); *ret_id. Returns 0 or the exit status. */
static int do_create(struct engine *e, struct run_flags *f, const char *image, char **ret_id)
{
    struct store *s = NULL;
    int rc = cli_store_open(&s);
    if (rc)
        return rc;
    struct image *img = NULL;
    rc = ensure_image(s, image, f->pull, f->platform, &img);
    if (rc) {
        store_free(s);
        return rc;
    }
    struct create_request req = {.image = image, .img = img, .name = f->name,
                                 .config = f->config, .host_config = f->host_config};
    _cleanup_json_ json_t *warnings = json_array();
    struct hk_error err = {0};
    int r = engine_create(e, s, &req, ret_id, warnings, &err);
    image_free(img);
    store_free(s);
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w)
        fprintf(stderr, "WARNING: %s\n", json_string_value(w));
    return r < 0 ? cli_fail(&err, 125) : 0;
}

/* docker's exit status for a start that failed: 127 not found, 126 not executable, else 125. */
static int start_failure(const struct hk_error *err)
{
    return cli_fail(err, err->code == -ENOENT ? 127 : err->code == -EACCES ? 126 : 125);
}

static int run_or_create(int argc, char **argv, const char *cmd)
{
    struct run_flags f = {.cmd = cmd};
    int rc = parse_run_flags(argc, argv, &f);
    /* docker's CLI checks this before it creates anything, and exits 1 */
    if (rc == 0 && strcmp(cmd, "run") == 0 && f.tty && f.interactive && !f.detach &&
        !isatty(STDIN_FILENO)) {
        cli_error("the input device is not a TTY");
        rc = 1;
    }
    if (rc == 0 && may_ptrace(f.host_config))
        cli_protect_binary(); /* may re-exec: nothing was done yet */
    if (rc == 0 && f.cidfile && path_exists(f.cidfile)) {
        cli_error("Container ID file found, make sure the other container isn't running or "
                  "delete %s", f.cidfile);
        rc = 125;
    }
    struct engine *e = NULL;
    _cleanup_free_ char *id = NULL;
    if (rc == 0)
        rc = cli_engine_open(&e);
    if (rc == 0)
        rc = do_create(e, &f, argv[optind], &id);
    if (rc == 0 && f.cidfile) {
        struct hk_error err = {0};
        if (write_file_atomic(f.cidfile, id, strlen(id), 0644, &err) < 0) {
            rc = cli_fail(&err, 125);
            engine_remove(e, id, true, NULL);
        }
    }
    if (rc == 0 && strcmp(cmd, "create") == 0) {
        printf("%s\n", id);
    } else if (rc == 0) {
        struct hk_error err = {0};
        int conn = -1;
        int r = engine_start(e, NULL, id, f.detach ? NULL : &conn, &err);
        if (r < 0) {
            rc = start_failure(&err);
            if (f.rm)
                engine_remove(e, id, true, NULL);
        } else if (f.detach) {
            printf("%s\n", id);
        } else {
            r = cli_attach_relay(e, id, conn, f.tty, f.interactive, &rc);
            if (r < 0)
                rc = 125;
        }
    }
    json_decref(f.config);
    json_decref(f.host_config);
    engine_free(e);
    return rc < 0 ? 0 : rc;
}

int cmd_run(int argc, char **argv)
{
    return run_or_create(argc, argv, "run");
}

int cmd_create(int argc, char **argv)
{
    return run_or_create(argc, argv, "create");
}

static int start_one(struct engine *e, const char *ref, bool attach, bool with_stdin)
{
    _cleanup_free_ char *id = NULL;
    int rc = cli_resolve(e, ref, &id);
    if (rc)
        return rc;
    struct store *s = NULL;
    struct hk_error err = {0};
    store_open(engine_opts.root, &s, NULL); /* only to mount the rootfs again after a reboot */
    int conn = -1;
    int r = engine_start(e, s, id, attach ? &conn : NULL, &err);
    store_free(s);
    if (r < 0)
        return start_failure(&err);
    if (!attach || conn < 0) {
        printf("%s\n", ref);
        return 0;
    }
    struct record *rec = NULL;
    bool tty = false;
    if (record_open(e, id, false, &rec, NULL) == 0)
        tty = json_is_true(json_object_get(json_object_get(rec->j, "Config"), "Tty"));
    record_free(rec);
    int code = 0;
    r = cli_attach_relay(e, id, conn, tty, with_stdin, &code);
    return r < 0 ? 125 : code;
}

int cmd_start(int argc, char **argv)
{
    static const struct option opts[] = {
        {"attach", no_argument, NULL, 'a'}, {"interactive", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'H'},   {NULL, 0, NULL, 0},
    };
    bool attach = false, interactive = false;
    opterr = 0;
    int c;
    while ((c = cli_getopt(argc, argv, "+ai", opts)) != -1) {
        if (c == 'a')
            attach = true;
        else if (c == 'i')
            interactive = attach = true;
        else if (c == 'H') {
            printf("Usage: hako start [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                   "Start one or more stopped containers\n\nOptions:\n"
                   "  -a, --attach          Attach STDOUT/STDERR and forward signals\n"
                   "  -i, --interactive     Attach container's STDIN\n");
            return 0;
        } else
            return cli_unknown_flag("start", argc, argv);
    }
    if (optind >= argc)
        return cli_usage_error("start", "\"hako start\" requires at least 1 argument.");
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    for (int i = optind; rc == 0 && i < argc; i++)
        rc = start_one(e, argv[i], attach, interactive);
    engine_free(e);
    return rc;
}

/* Hidden: hako-monitor execs `hako monitor-exit ID STATUS CLIENTS` once the init exited. */
int cmd_monitor_exit(int argc, char **argv)
{
    if (argc != 4)
        return 125;
    struct engine *e = NULL;
    if (engine_open(engine_opts.root, engine_opts.runroot, &e, NULL) < 0)
        return 125;
    int clients[64];
    size_t n = 0;
    for (char *p = argv[3], *save = NULL, *t; n < 64 && (t = strtok_r(p, ",", &save)); p = NULL)
        if (strcmp(t, "-") != 0)
            clients[n++] = atoi(t);
    int rc = monitor_exit(e, argv[1], atoi(argv[2]), clients, n);
    engine_free(e);
    return rc;
}

/* Hidden: hako-monitor runs `hako health-probe ID` on the healthcheck's interval; the exit
 * status is the health status after it (engine/health.h). */
int cmd_health_probe(int argc, char **argv)
{
    struct engine *e = NULL;
    if (argc != 2 || engine_open(engine_opts.root, engine_opts.runroot, &e, NULL) < 0)
        return HEALTH_EXIT_SKIPPED;
    struct oci_process *p = NULL;
    int rc = HEALTH_EXIT_SKIPPED;
    if (health_probe_prepare(e, argv[1], &p, NULL) == 0) {
        if (container_process_can_ptrace(&e->rt, argv[1], p))
            cli_protect_binary(); /* may re-exec: nothing was changed yet */
        rc = health_probe_run(e, argv[1], p);
    }
    process_free(p);
    engine_free(e);
    return rc;
}
