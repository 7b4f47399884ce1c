/* system.c — /_ping, /version, /info, /system/df, /auth, and the swarm and plugin families
 * (answered as a dockerd that is not in a swarm and has no plugins). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "engine/lifecycle.h"
#include "image/image.h"
#include "image/registry.h"
#include "util/fs.h"
#include "util/json.h"

static enum MHD_Result ping(struct api_call *c)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(2, (void *)"OK", MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    MHD_add_response_header(r, "Builder-Version", "1");
    MHD_add_response_header(r, "Cache-Control", "no-cache, no-store, must-revalidate");
    MHD_add_response_header(r, "Pragma", "no-cache");
    MHD_add_response_header(r, "Swarm", "inactive");
    MHD_add_response_header(r, "Api-Version", API_VERSION);
    MHD_add_response_header(r, "Ostype", "linux");
    MHD_add_response_header(r, "Docker-Experimental", "false");
    MHD_add_response_header(r, "Server", "hako/" HAKO_VERSION " (linux)");
    c->status = 200;
    enum MHD_Result ret = MHD_queue_response(c->conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static const char *go_arch(const char *machine)
{
    return strcmp(machine, "x86_64") == 0    ? "amd64"
           : strcmp(machine, "aarch64") == 0 ? "arm64"
                                             : machine;
}

static enum MHD_Result version(struct api_call *c)
{
    struct utsname u;
    uname(&u);
    json_t *details =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ApiVersion", API_VERSION, "Arch",
                  go_arch(u.machine), "KernelVersion", u.release, "MinAPIVersion", API_MIN_VERSION,
                  "Os", "linux", "GitCommit", "", "Experimental", "false");
    return api_reply_json(
        c, 200,
        json_pack("{s:{s:s},s:[{s:s,s:s,s:o}],s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Platform",
                  "Name", "hako", "Components", "Name", "Engine", "Version", HAKO_VERSION,
                  "Details", details, "Version", HAKO_VERSION, "ApiVersion", API_VERSION,
                  "MinAPIVersion", API_MIN_VERSION, "GitCommit", "", "GoVersion", "n/a (C)", "Os",
                  "linux", "Arch", go_arch(u.machine), "KernelVersion", u.release, "BuildTime",
                  ""));
}

static long long mem_total(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (long long)pages * size : 0;
}

static char *os_name(void)
{
    _cleanup_free_ char *s = NULL;
    if (read_file("/etc/os-release", 1 << 16, &s, NULL, NULL) == 0) {
        char *p = strstr(s, "PRETTY_NAME=");
        if (p) {
            p += 12;
            if (*p == '"')
                p++;
            return strndup(p, strcspn(p, "\"\n"));
        }
    }
    return xstrdup("Linux");
}

static void count_containers(const struct engine *e, json_int_t n[4])
{
    json_t *list = NULL;
    memset(n, 0, 4 * sizeof(*n));
    if (record_list(e, &list, NULL) < 0)
        return;
    size_t i;
    json_t *rec;
    json_array_foreach(list, i, rec)
    {
        const char *st = record_status(rec);
        n[0]++;
        if (strcmp(st, "running") == 0 || strcmp(st, "restarting") == 0)
            n[1]++;
        else if (strcmp(st, "paused") == 0)
            n[2]++;
        else
            n[3]++;
    }
    json_decref(list);
}

static json_int_t count_images(const char *root)
{
    struct store *s = NULL;
    json_t *recs = NULL;
    json_int_t n = 0;
    if (store_open(root, &s, NULL) == 0 && image_records(s, &recs, NULL) == 0)
        n = (json_int_t)json_object_size(json_object_get(recs, "images"));
    json_decref(recs);
    store_free(s);
    return n;
}

static enum MHD_Result info(struct api_call *c)
{
    struct utsname u;
    uname(&u);
    json_int_t n[4];
    count_containers(c->ctx->e, n);
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    _cleanup_free_ char *os = os_name();
    char now[64];
    time_t t = time(NULL);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    json_t *j = json_pack(
        "{s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:[],s:{s:[],s:[],s:n,s:[s]},s:b,s:b,s:b,s:b,s:b,s:b,"
        "s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:i,s:I,s:s}",
        "ID", "hako", "Containers", n[0], "ContainersRunning", n[1], "ContainersPaused", n[2],
        "ContainersStopped", n[3], "Images", count_images(c->ctx->root), "Driver", "overlay",
        "DriverStatus", "Plugins", "Volume", "Network", "Authorization", "Log", "json-file",
        "MemoryLimit", 1, "SwapLimit", 1, "CpuCfsPeriod", 1, "CpuCfsQuota", 1, "CPUShares", 1,
        "CPUSet", 1, "PidsLimit", 1, "IPv4Forwarding", 1, "Debug", 0, "NFd", 0, "NGoroutines", 0,
        "SystemTime", now, "LoggingDriver", "json-file", "CgroupDriver", "cgroupfs",
        "CgroupVersion", path_exists("/sys/fs/cgroup/cgroup.controllers") ? "2" : "1",
        "NEventsListener", 0, "KernelVersion", u.release, "OperatingSystem", os, "OSType", "linux",
        "Architecture", u.machine, "NCPU", (int)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
        (json_int_t)mem_total(), "Name", host);
    json_object_set_new(j, "DockerRootDir", json_string(c->ctx->root));
    json_object_set_new(j, "ServerVersion", json_string(HAKO_VERSION));
    json_object_set_new(j, "IndexServerAddress", json_string("https://index.docker.io/v1/"));
    json_object_set_new(j, "RegistryConfig",
                        json_pack("{s:[s,s],s:{},s:[]}", "InsecureRegistryCIDRs", "::1/128",
                                  "127.0.0.0/8", "IndexConfigs", "Mirrors"));
    json_object_set_new(
        j, "Runtimes",
        json_pack("{s:{s:s}}", "hako", "path", c->ctx->self_exe ? c->ctx->self_exe : "hako"));
    json_object_set_new(j, "DefaultRuntime", json_string("hako"));
    json_object_set_new(j, "Swarm",
                        json_pack("{s:s,s:s,s:s,s:b,s:s}", "LocalNodeState", "inactive", "NodeID",
                                  "", "NodeAddr", "", "ControlAvailable", 0, "Error", ""));
    /* Every container keeps its own monitor: containers always outlive the service. */
    json_object_set_new(j, "LiveRestoreEnabled", json_true());
    json_object_set_new(j, "Labels", json_array());
    json_object_set_new(j, "ExperimentalBuild", json_false());
    json_object_set_new(j, "SecurityOptions", json_pack("[s]", "name=seccomp,profile=builtin"));
    json_object_set_new(j, "Warnings", json_array());
    return api_reply_json(c, 200, j);
}

static enum MHD_Result disk_usage(struct api_call *c)
{
    struct store *s = NULL;
    json_t *recs = NULL, *images = json_array();
    struct hk_error err = {0};
    if (store_open(c->ctx->root, &s, &err) < 0 || image_records(s, &recs, &err) < 0) {
        store_free(s);
        json_decref(images);
        return api_reply_error(c, &err, 500);
    }
    json_int_t total = 0;
    const char *id;
    json_t *rec;
    json_object_foreach(json_object_get(recs, "images"), id, rec)
    {
        json_int_t size = json_integer_value(json_object_get(rec, "size"));
        total += size;
        json_array_append_new(images, json_pack("{s:s,s:I,s:I,s:i,s:i}", "Id", id, "Size", size,
                                                "SharedSize", (json_int_t)-1, "Containers", -1,
                                                "Created", 0));
    }
    json_decref(recs);
    store_free(s);
    json_t *list = NULL;
    record_list(c->ctx->e, &list, NULL);
    return api_reply_json(c, 200,
                          json_pack("{s:I,s:o,s:o,s:[],s:[]}", "LayersSize", total, "Images",
                                    images, "Containers", list ? list : json_array(), "Volumes",
                                    "BuildCache"));
}

static enum MHD_Result auth(struct api_call *c)
{
    const json_t *b = c->req.body;
    const char *user = json_string_value(json_object_get(b, "username"));
    const char *pass = json_string_value(json_object_get(b, "password"));
    const char *server = json_string_value(json_object_get(b, "serveraddress"));
    if (!user || !pass)
        return api_reply_msg(c, 400, "username and password are required");
    const char *s = server && server[0] ? server : "docker.io";
    if (strncmp(s, "https://", 8) == 0)
        s += 8;
    else if (strncmp(s, "http://", 7) == 0)
        s += 7;
    _cleanup_free_ char *domain = strndup(s, strcspn(s, "/"));
    if (strcmp(domain, "index.docker.io") == 0)
        domain = (free(domain), xstrdup("docker.io"));
    struct registry_opts o = {.tls_verify = true, .user = user, .pass = pass};
    struct registry *r = NULL;
    struct hk_error err = {0};
    if (registry_open(domain, NULL, &o, &r, &err) < 0)
        return api_reply_msg(c, 401, "login attempt to %s failed: %s", domain, hk_error_msg(&err));
    registry_free(r);
    return api_reply_json(c, 200,
                          json_pack("{s:s,s:s}", "Status", "Login Succeeded", "IdentityToken", ""));
}

enum MHD_Result api_system(struct api_call *c)
{
    switch (c->req.op) {
    case OP_PING:
        return ping(c);
    case OP_VERSION:
        return version(c);
    case OP_INFO:
        return info(c);
    case OP_DF:
        return disk_usage(c);
    case OP_AUTH:
        return auth(c);
    case OP_SWARM:
        return api_reply_msg(c, 503,
                             "This node is not a swarm manager. Use \"docker swarm "
                             "init\" or \"docker swarm join\" to connect this node to "
                             "swarm and try again.");
    case OP_PLUGIN:
        return api_reply_msg(c, 501, "hako has no plugin support");
    default:
        return api_reply_msg(c, 501, "not implemented by hako yet");
    }
}
