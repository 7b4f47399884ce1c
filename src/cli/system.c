/* system.c — `hako version` and `hako info`: docker's fields where they apply, as text or
 * through --format (Go template, or "json"). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/container-table.h"
#include "cli/container.h"
#include "engine/lifecycle.h"
#include "image/image.h"
#include "runtime/cgroup.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"

#if defined(__x86_64__)
#define GOARCH "amd64"
#elif defined(__aarch64__)
#define GOARCH "arm64"
#else
#define GOARCH "unknown"
#endif

/* --format and --help of version/info; returns 0 to go on, else the exit status + 1. */
static int format_flag(int argc, char **argv, const char *cmd, const char **ret)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+f:", opts)) != -1) {
        if (c == 'f') {
            *ret = optarg;
        } else if (c == 'h') {
            printf("Usage: hako %s [-f|--format json|TEMPLATE]\n", cmd);
            return 1;
        } else {
            return cli_unknown_flag(cmd, argc, argv) + 1;
        }
    }
    return 0;
}

/* Print obj by --format: "json" (compact), a template, or (NULL) not at all. */
static int print_formatted(const json_t *obj, const char *format)
{
    if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = json_dumps(obj, JSON_COMPACT);
        printf("%s\n", s);
        return 0;
    }
    _cleanup_free_ char *tmpl = format_unescape(format);
    struct hk_error err = {0};
    return format_row(tmpl, obj, &err) < 0 ? cli_fail(&err, 125) : 0;
}

int cmd_version(int argc, char **argv)
{
    const char *format = NULL;
    int rc = format_flag(argc, argv, "version", &format);
    if (rc)
        return rc - 1;
    struct utsname u;
    uname(&u);
    _cleanup_json_ json_t *v = json_pack(
        "{s:{s:s,s:s,s:s,s:s},s:{s:s,s:s,s:s,s:s,s:[{s:s,s:s},{s:s,s:s}]}}", "Client", "Version",
        HAKO_VERSION, "ApiVersion", "1.43", "Os", "linux", "Arch", GOARCH, "Server", "Version",
        HAKO_VERSION, "Os", "linux", "Arch", GOARCH, "KernelVersion", u.release, "Components",
        "Name", "Engine", "Version", HAKO_VERSION, "Name", "hako-runtime", "Version",
        HAKO_VERSION);
    if (format)
        return print_formatted(v, format);
    printf("Client:\n Version:           %s\n OS/Arch:           linux/%s\n\n"
           "Server: hako (daemonless: the engine runs in each command)\n Engine:\n"
           "  Version:          %s\n  OS/Arch:          linux/%s\n  Kernel Version:   %s\n"
           " hako-runtime:\n  Version:          %s\n",
           HAKO_VERSION, GOARCH, HAKO_VERSION, GOARCH, u.release, HAKO_VERSION);
    return 0;
}

/* PRETTY_NAME of /etc/os-release, or "Linux". */
static char *os_name(void)
{
    _cleanup_free_ char *text = NULL;
    if (read_file("/etc/os-release", 1 << 16, &text, NULL, NULL) == 0) {
        char *p = strstr(text, "PRETTY_NAME=");
        if (p) {
            p += 12;
            if (*p == '"')
                p++;
            size_t n = strcspn(p, "\"\n");
            return strndup(p, n);
        }
    }
    return xstrdup("Linux");
}

/* The counts and host facts docker's info shows. */
static json_t *info_json(const struct engine *e)
{
    json_int_t running = 0, paused = 0, stopped = 0, images = 0;
    _cleanup_json_ json_t *recs = NULL;
    size_t i;
    json_t *r;
    if (record_list(e, &recs, NULL) == 0)
        json_array_foreach(recs, i, r)
        {
            const char *s = record_status(r);
            if (strcmp(s, "paused") == 0)
                paused++;
            else if (engine_status_live(s))
                running++;
            else
                stopped++;
        }
    struct store *s = NULL;
    _cleanup_json_ json_t *records = NULL;
    if (store_open(engine_opts.root, &s, NULL) == 0 && image_records(s, &records, NULL) == 0)
        images = (json_int_t)json_object_size(json_object_get(records, "images"));
    store_free(s);
    enum cgroup_layout layout = CGROUP_LAYOUT_V1;
    cgroup_layout_detect(&layout, NULL);
    struct utsname u;
    uname(&u);
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    _cleanup_free_ char *os = os_name();
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:s,s:s,s:s,"
                     "s:s,s:{s:{s:s}},s:[s]}",
                     "Containers", (json_int_t)json_array_size(recs), "ContainersRunning",
                     running, "ContainersPaused", paused, "ContainersStopped", stopped, "Images",
                     images, "Driver", "overlay2", "CgroupDriver", "cgroupfs", "CgroupVersion",
                     layout == CGROUP_LAYOUT_V2 ? "2" : "1", "KernelVersion", u.release,
                     "OperatingSystem", os, "OSType", "linux", "Architecture", u.machine, "NCPU",
                     (int)sysconf(_SC_NPROCESSORS_ONLN), "MemTotal",
                     (json_int_t)pages * (json_int_t)psize, "Name", host, "DockerRootDir", e->root,
                     "ServerVersion", HAKO_VERSION, "DefaultRuntime", "hako-runtime", "Runtimes",
                     "hako-runtime", "path", "hako-runtime", "SecurityOptions",
                     "name=seccomp,profile=builtin");
}

static const char *str_of(const json_t *j, const char *k)
{
    const char *s = json_string_value(json_object_get(j, k));
    return s ? s : "";
}

int cmd_info(int argc, char **argv)
{
    const char *format = NULL;
    int rc = format_flag(argc, argv, "info", &format);
    if (rc)
        return rc - 1;
    struct engine *e = NULL;
    if ((rc = cli_engine_open(&e)))
        return rc;
    _cleanup_json_ json_t *j = info_json(e);
    engine_free(e);
    if (format)
        return print_formatted(j, format);
    char mem[32];
#define I(k) ((long long)json_integer_value(json_object_get(j, k)))
#define S(k) str_of(j, k)
    printf("Client:\n Version:    %s\n Context:    default\n\nServer:\n Containers: %lld\n"
           "  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n Images: %lld\n"
           " Server Version: %s\n Storage Driver: %s\n Cgroup Driver: %s\n Cgroup Version: %s\n"
           " Runtimes: hako-runtime\n Default Runtime: hako-runtime\n Security Options:\n"
           "  seccomp\n   Profile: builtin\n Kernel Version: %s\n Operating System: %s\n"
           " OSType: linux\n Architecture: %s\n CPUs: %lld\n Total Memory: %s\n Name: %s\n"
           " Docker Root Dir: %s\n",
           HAKO_VERSION, I("Containers"), I("ContainersRunning"), I("ContainersPaused"),
           I("ContainersStopped"), I("Images"), HAKO_VERSION, S("Driver"), S("CgroupDriver"),
           S("CgroupVersion"), S("KernelVersion"), S("OperatingSystem"), S("Architecture"),
           I("NCPU"), human_size((uint64_t)I("MemTotal"), mem, sizeof(mem)), S("Name"),
           S("DockerRootDir"));
#undef I
#undef S
    return 0;
}
