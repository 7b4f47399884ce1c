/* runtime.c — the `hako-runtime` front door: runc's command line, so containerd, CRI-O and
 * Podman can drive hako. Flags are accepted with one or two dashes, as runc's parser does. */
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <seccomp.h>

#include "cli/cli.h"
#include "cli/runtime-cmds.h"
#include "oci/spec.h"
#include "engine/options.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

extern const char *cli_prog;

struct runtime rt_opts = {.state_root = STATE_ROOT_DEFAULT};

int rt_fail(const struct hk_error *err)
{
    log_set_level(log_get_level() < LOG_ERROR ? LOG_ERROR : log_get_level());
    if (log_fd() != 2)
        log_error("%s", hk_error_msg(err));
    cli_error("%s", hk_error_msg(err));
    return 1;
}

int rt_usage_error(const char *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct hk_error err = {0};
    hk_error_set(&err, -EINVAL, "%s: %s", cmd, msg);
    return rt_fail(&err);
}

int rt_no_args(const char *cmd, const char *summary, int argc, char **argv)
{
    if (argc < 2)
        return 0;
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("Usage: hako-runtime %s\n\n%s\n", cmd, summary);
        return -1;
    }
    return rt_usage_error(cmd, "unexpected argument '%s' (it takes none)", argv[1]);
}

/* The container id: exactly one positional argument (with `extra` more allowed). */
int rt_need_id(int argc, char **argv, int extra, const char *cmd)
{
    int n = argc - optind;
    if (n < 1)
        return rt_usage_error(cmd, "a container id is required");
    if (n > 1 + extra)
        return rt_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1 + extra]);
    return 0;
}

static int cmd_spec(int argc, char **argv)
{
    static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
                                         {"rootless", no_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *bundle = ".";
    bool rootless = false;
    int c;
    while ((c = getopt_long_only(argc, argv, "b:", opts, NULL)) != -1) {
        if (c == 'b')
            bundle = optarg;
        else if (c == 'r')
            rootless = true;
        else if (c == 'h') {
            puts("Usage: hako-runtime spec [--bundle DIR] [--rootless]");
            return 0;
        } else
            return rt_usage_error("spec", "unknown option");
    }
    _cleanup_free_ char *path = xasprintf("%s/config.json", bundle);
    if (path_exists(path))
        return rt_usage_error("spec", "'%s' exists: remove it first", path);
    _cleanup_json_ json_t *j = spec_default_json(rootless);
    _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    struct hk_error err = {0};
    size_t len = strlen(text);
    text = xrealloc(text, len + 2);
    text[len] = '\n';
    text[len + 1] = '\0';
    if (write_file_atomic(path, text, len + 1, 0644, &err) < 0)
        return rt_fail(&err);
    return 0;
}

/* create and run share their flags. */
static int parse_create_opts(int argc, char **argv, const char *cmd, struct create_opts *o,
                             bool *ret_detach)
{
    static const struct option opts[] = {
        {"bundle", required_argument, NULL, 'b'},   {"pid-file", required_argument, NULL, 'p'},
        {"console-socket", required_argument, NULL, 'c'},
        {"no-pivot", no_argument, NULL, 'P'},       {"no-new-keyring", no_argument, NULL, 'K'},
        {"preserve-fds", required_argument, NULL, 'f'},
        {"detach", no_argument, NULL, 'd'},         {"keep", no_argument, NULL, 'k'},
        {"no-subreaper", no_argument, NULL, 'S'},   {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct create_opts){.bundle = "."};
    int c;
    while ((c = getopt_long_only(argc, argv, "b:d", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->bundle = optarg;
            break;
        case 'p':
            o->pid_file = optarg;
            break;
        case 'c':
            o->console_socket = optarg;
            break;
        case 'P':
            o->no_pivot = true;
            break;
        case 'K':
            o->no_new_keyring = true;
            break;
        case 'f': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 0 || n > 65536)
                return rt_usage_error(cmd, "--preserve-fds: '%s' is not a count", optarg);
            o->preserve_fds = (int)n;
            break;
        }
        case 'd':
            if (!ret_detach)
                return rt_usage_error(cmd, "unknown option '--detach'");
            *ret_detach = true;
            break;
        case 'k':
            if (!ret_detach)
                return rt_usage_error(cmd, "unknown option '--keep'");
            o->keep = true;
            break;
        case 'S':
            break;
        case 'h':
            printf("Usage: hako-runtime %s [--bundle DIR] [--pid-file F] [--console-socket S] "
                   "[--no-pivot] [--no-new-keyring] [--preserve-fds N]%s ID\n",
                   cmd, ret_detach ? " [--detach]" : "");
            return -1;
        default:
            return rt_usage_error(cmd, "unknown option (see --help)");
        }
    }
    return rt_need_id(argc, argv, 0, cmd);
}

/* The init runs our binary until it execs through hako-dmz, guarded by being non-dumpable;
 * a container that may ptrace (host root with CAP_SYS_PTRACE) gets a sealed copy instead. */
static void protect_binary_for(const char *bundle)
{
    struct oci_spec *s = NULL;
    if (spec_load(bundle, &s, NULL) == 0 && spec_process_can_ptrace(s, s->process))
        cli_protect_binary();
    spec_free(s);
}

static int cmd_create(int argc, char **argv)
{
    struct create_opts o;
    int r = parse_create_opts(argc, argv, "create", &o, NULL);
    if (r)
        return r < 0 ? 0 : r;
    protect_binary_for(o.bundle);
    struct hk_error err = {0};
    if (container_create(&rt_opts, argv[optind], &o, &err) < 0)
        return rt_fail(&err);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    struct create_opts o;
    bool detach = false;
    int r = parse_create_opts(argc, argv, "run", &o, &detach);
    if (r)
        return r < 0 ? 0 : r;
    protect_binary_for(o.bundle);
    struct hk_error err = {0};
    int code = 0;
    if (container_run(&rt_opts, argv[optind], &o, detach, &code, &err) < 0)
        return rt_fail(&err);
    return code;
}

int rt_only_id(int argc, char **argv, const char *cmd, const char *usage)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h') {
            printf("Usage: hako-runtime %s\n", usage);
            return -1;
        }
        return rt_usage_error(cmd, "unknown option");
    }
    return rt_need_id(argc, argv, 0, cmd);
}

static int cmd_start(int argc, char **argv)
{
    int r = rt_only_id(argc, argv, "start", "start ID");
    if (r)
        return r < 0 ? 0 : r;
    struct hk_error err = {0};
    if (container_start(&rt_opts, argv[optind], &err) < 0)
        return rt_fail(&err);
    return 0;
}

static int cmd_state(int argc, char **argv)
{
    int r = rt_only_id(argc, argv, "state", "state ID");
    if (r)
        return r < 0 ? 0 : r;
    struct hk_error err = {0};
    json_t *j;
    if (container_state(&rt_opts, argv[optind], &j, &err) < 0)
        return rt_fail(&err);
    _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    puts(text);
    return 0;
}

static int cmd_kill(int argc, char **argv)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool all = false;
    int c;
    while ((c = getopt_long_only(argc, argv, "a", opts, NULL)) != -1) {
        if (c == 'a')
            all = true;
        else if (c == 'h') {
            puts("Usage: hako-runtime kill [--all] ID [SIGNAL]  (TERM, SIGKILL, 9, RTMIN+3; default SIGTERM)");
            return 0;
        } else
            return rt_usage_error("kill", "unknown option");
    }
    int r = rt_need_id(argc, argv, 1, "kill");
    if (r)
        return r;
    int sig = SIGTERM;
    /* signal 0 probes, as with runc: exit 0 while the init lives */
    if (argc - optind > 1 && strcmp(argv[optind + 1], "0") == 0)
        sig = 0;
    else if (argc - optind > 1 && opt_parse_signal(argv[optind + 1], &sig, NULL) < 0)
        return rt_usage_error("kill", "'%s' is not a signal", argv[optind + 1]);
    struct hk_error err = {0};
    if (container_kill(&rt_opts, argv[optind], sig, all, &err) < 0)
        return rt_fail(&err);
    return 0;
}

static int cmd_delete(int argc, char **argv)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool force = false;
    int c;
    while ((c = getopt_long_only(argc, argv, "f", opts, NULL)) != -1) {
        if (c == 'f')
            force = true;
        else if (c == 'h') {
            puts("Usage: hako-runtime delete [--force] ID");
            return 0;
        } else
            return rt_usage_error("delete", "unknown option");
    }
    int r = rt_need_id(argc, argv, 0, "delete");
    if (r)
        return r;
    struct hk_error err = {0};
    r = container_delete(&rt_opts, argv[optind], force, &err);
    /* runc: deleting a missing container with --force is not an error. */
    if (r == -ENOENT && force)
        return 0;
    if (r < 0)
        return rt_fail(&err);
    return 0;
}

static void print_list_table(json_t *arr)
{
    size_t i;
    json_t *v;
    size_t w_id = 2, w_bundle = 6;
    json_array_foreach(arr, i, v)
    {
        size_t a = strlen(json_string_value(json_object_get(v, "id")));
        size_t b = strlen(json_string_value(json_object_get(v, "bundle")));
        w_id = a > w_id ? a : w_id;
        w_bundle = b > w_bundle ? b : w_bundle;
    }
    printf("%-*s   %-10s %-10s %-*s   %-30s   %s\n", (int)w_id, "ID", "PID", "STATUS",
           (int)w_bundle, "BUNDLE", "CREATED", "OWNER");
    json_array_foreach(arr, i, v)
    {
        const char *owner = json_string_value(json_object_get(v, "owner"));
        printf("%-*s   %-10lld %-10s %-*s   %-30s   %s\n", (int)w_id,
               json_string_value(json_object_get(v, "id")),
               (long long)json_integer_value(json_object_get(v, "pid")),
               json_string_value(json_object_get(v, "status")), (int)w_bundle,
               json_string_value(json_object_get(v, "bundle")),
               json_string_value(json_object_get(v, "created")),
               owner && owner[0] ? owner : "root");
    }
}

static int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *format = "table";
    bool quiet = false;
    int c;
    while ((c = getopt_long_only(argc, argv, "f:q", opts, NULL)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 'q')
            quiet = true;
        else if (c == 'h') {
            puts("Usage: hako-runtime list [--format table|json] [-q]");
            return 0;
        } else
            return rt_usage_error("list", "unknown option");
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return rt_usage_error("list", "--format: '%s' is not table or json", format);
    struct hk_error err = {0};
    json_t *arr;
    if (container_list(&rt_opts, &arr, &err) < 0)
        return rt_fail(&err);
    size_t i;
    json_t *v;
    if (quiet) {
        json_array_foreach(arr, i, v) puts(json_string_value(json_object_get(v, "id")));
    } else if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(json_array_size(arr) ? text : "null");
    } else {
        print_list_table(arr);
    }
    json_decref(arr);
    return 0;
}

static int cmd_features(int argc, char **argv)
{
    int r = rt_no_args("features", "Show the enabled features (JSON, as runc's)", argc, argv);
    if (r)
        return r < 0 ? 0 : r;
    _cleanup_json_ json_t *j = runtime_features_json();
    _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    puts(text);
    return 0;
}

static const struct cli_command rt_commands[] = {
    {"create", cmd_create, "Create a container"},
    {"delete", cmd_delete, "Delete a container and what it holds"},
    {"features", cmd_features, "Show the enabled features"},
    {"kill", cmd_kill, "Send a signal to the container's init"},
    {"list", cmd_list, "List containers"},
    {"run", cmd_run, "Create and start a container"},
    {"spec", cmd_spec, "Write a new config.json"},
    {"start", cmd_start, "Start a created container"},
    {"state", cmd_state, "Output the state of a container"},
};

static void rt_usage(FILE *f)
{
    fprintf(f, "Usage: hako-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] ID\n\n"
               "An OCI runtime with runc's command line.\n\n"
               "Global options:\n"
               "  --root DIR          state directory (default " STATE_ROOT_DEFAULT ")\n"
               "  --log FILE          write logs to FILE\n"
               "  --log-format FMT    text or json\n"
               "  --debug             debug logging\n"
               "  --systemd-cgroup    use systemd for cgroups (not supported yet)\n"
               "  -v, --version       print the version\n\n"
               "Commands:\n");
    for (size_t i = 0; i < ELEMENTSOF(rt_commands); i++)
        fprintf(f, "  %-10s %s\n", rt_commands[i].name, rt_commands[i].summary);
    for (size_t i = 0; i < rt_extra_commands_n; i++)
        fprintf(f, "  %-10s %s\n", rt_extra_commands[i].name, rt_extra_commands[i].summary);
}

static int rt_global_opts(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, NULL, 'r'},       {"log", required_argument, NULL, 'l'},
        {"log-format", required_argument, NULL, 'F'}, {"debug", no_argument, NULL, 'D'},
        {"systemd-cgroup", no_argument, NULL, 's'},   {"rootless", required_argument, NULL, 'R'},
        {"criu", required_argument, NULL, 'C'},       {"version", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long_only(argc, argv, "+vh", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            rt_opts.state_root = optarg;
            break;
        case 'l':
            if (log_set_file(optarg) < 0) {
                cli_error("--log: cannot open '%s'", optarg);
                return 1;
            }
            break;
        case 'F':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                cli_error("--log-format: '%s' is not text or json", optarg);
                return 1;
            }
            log_set_json(strcmp(optarg, "json") == 0);
            break;
        case 'D':
            log_set_level(LOG_DEBUG);
            break;
        case 's':
            rt_opts.systemd_cgroup = true;
            break;
        case 'C':
            rt_opts.criu = optarg;
            break;
        case 'R':
            /* runc's --rootless: auto means "rootless when not root", which hako-runtime never
             * is (it needs root); true would ask for the rootless cgroup manager we lack. */
            if (strcmp(optarg, "false") != 0 && strcmp(optarg, "auto") != 0) {
                if (strcmp(optarg, "true") == 0)
                    cli_error("--rootless true: rootless mode is not implemented "
                              "(hako-runtime runs as root)");
                else
                    cli_error("--rootless: '%s' is not true, false or auto", optarg);
                return 1;
            }
            break;
        case 'v': {
            const struct scmp_version *v = seccomp_version();
            printf("hako-runtime version %s\nspec: %s\nlibseccomp: %u.%u.%u\n", HAKO_VERSION,
                   OCI_VERSION, v->major, v->minor, v->micro);
            return -1;
        }
        case 'h':
            rt_usage(stdout);
            return -1;
        default:
            rt_usage(stderr);
            return 1;
        }
    }
    return 0;
}

int runtime_main(int argc, char **argv)
{
    cli_prog = "hako-runtime";
    int r = rt_global_opts(argc, argv);
    if (r)
        return r < 0 ? 0 : r;
    if (optind >= argc) {
        rt_usage(stderr);
        return 1;
    }
    const char *name = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    for (size_t i = 0; i < ELEMENTSOF(rt_commands); i++)
        if (strcmp(rt_commands[i].name, name) == 0) {
            optind = 0;
            return rt_commands[i].run(sub_argc, sub_argv);
        }
    for (size_t i = 0; i < rt_extra_commands_n; i++)
        if (strcmp(rt_extra_commands[i].name, name) == 0) {
            optind = 0;
            return rt_extra_commands[i].run(sub_argc, sub_argv);
        }
    cli_error("'%s' is not a hako-runtime command (see --help)", name);
    return 1;
}
