/* engine.c — the `hako` front door: global options, then one command. */
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "util/fs.h"
#include "engine/options.h"
#include "util/log.h"

struct engine_opts engine_opts = {
    .root = "/var/lib/hako",
    .runroot = "/run/hako",
};

static const struct cli_command commands[] = {
    {"attach", cmd_attach, "Attach to a running container's input and output"},
    {"checkpoint", cmd_checkpoint, "Checkpoint running containers through CRIU"},
    {"cp", cmd_cp, "Copy files between a container and the host"},
    {"build", cmd_build, "Build an image from a Dockerfile"},
    {"commit", cmd_commit, "Create a new image from a container's changes"},
    {"container", cmd_container, "Manage containers (ls, run, rm, prune, ...)"},
    {"create", cmd_create, "Create a new container"},
    {"diff", cmd_diff, "Show a container's changed files (A added, C changed, D deleted)"},
    {"events", cmd_events, "Get real time events from the engine"},
    {"exec", cmd_exec, "Run a command in a running container"},
    {"export", cmd_export, "Export a container's filesystem as a tar archive"},
    {"history", cmd_history, "Show the history of an image"},
    {"images", cmd_images, "List images"},
    {"image", cmd_image, "Manage images (inspect, ls, rm, build-busybox)"},
    {"import", cmd_import, "Import a rootfs tarball as an image"},
    {"info", cmd_info, "Show the system's containers, images and host facts"},
    {"inspect", cmd_inspect, "Show containers in detail (with what the kernel sees)"},
    {"kill", cmd_kill, "Send a signal to containers"},
    {"load", cmd_load, "Load images from a docker-archive or oci-archive"},
    {"login", cmd_login, "Log in to a registry"},
    {"logout", cmd_logout, "Log out from a registry"},
    {"logs", cmd_logs, "Show a container's output"},
    {"network", cmd_network, "Manage networks (create, ls, inspect, rm, prune)"},
    {"pause", cmd_pause, "Freeze every process of containers"},
    {"port", cmd_port, "List a container's published ports"},
    {"ps", cmd_ps, "List containers"},
    {"pull", cmd_pull, "Pull an image from a registry"},
    {"push", cmd_push, "Push an image to a registry"},
    {"rename", cmd_rename, "Rename a container"},
    {"restart", cmd_restart, "Restart containers"},
    {"restore", cmd_restore, "Restore checkpointed containers"},
    {"rm", cmd_rm, "Remove containers"},
    {"rmi", cmd_rmi, "Remove images"},
    {"run", cmd_run, "Create and run a new container"},
    {"save", cmd_save, "Save images to a docker-archive"},
    {"start", cmd_start, "Start containers"},
    {"stats", cmd_stats, "Show containers' resource usage"},
    {"stop", cmd_stop, "Stop containers"},
    {"tag", cmd_tag, "Tag an image"},
    {"top", cmd_top, "Show a container's processes (host and container pids)"},
    {"unpause", cmd_unpause, "Thaw the processes of containers"},
    {"update", cmd_update, "Update configuration of one or more containers"},
    {"version", cmd_version, "Show hako's version"},
    {"volume", cmd_volume, "Manage volumes (create, ls, inspect, rm, prune)"},
    {"wait", cmd_wait, "Wait for containers to stop and print their exit codes"},
    {"system", cmd_system, "The Docker Engine API service (system service)"},
    {"monitor-exit", cmd_monitor_exit, NULL},
    {"health-probe", cmd_health_probe, NULL},
    {"service-helper", cmd_service_helper, NULL},
    {"dns-serve", cmd_dns_serve, NULL},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: hako [OPTIONS] COMMAND [ARG...]\n\n"
               "A small daemonless container engine.\n\n"
               "Options:\n"
               "  --root DIR        storage root (default /var/lib/hako, or $HAKO_ROOT)\n"
               "  --runroot DIR     runtime state (default /run/hako, or $HAKO_RUNROOT)\n"
               "  --cgroup-parent P cgroup parent of new containers (default /hako)\n"
               "  --max-archive-size SIZE\n"
               "                    the most one layer or load/import archive may unpack to\n"
               "                    (default 64g, or $HAKO_MAX_ARCHIVE_SIZE); the store's free\n"
               "                    space less a reserve (5%%, at most 1g) bounds it too\n"
               "  --log-level LVL   error, warn, info or debug\n"
               "  -v, --version     print the version\n"
               "  -h, --help        this help\n\n"
               "Commands:\n");
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        if (commands[i].summary) /* hidden: internal commands */
            fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-10s %s\n", "runtime", "The OCI runtime (same as hako-runtime)");
}

/* run, create and exec keep what they are given in JSON records, which hold only UTF-8: refuse
 * anything else here rather than lose it later. */
static int check_utf8(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        json_t *s = json_string(argv[i]);
        if (!s) {
            cli_error("%s: argument %d is not valid UTF-8 (hako keeps container settings as "
                      "JSON, which cannot hold it)",
                      argv[0], i);
            return 125;
        }
        json_decref(s);
    }
    return 0;
}

static int set_max_archive_size(const char *what, const char *value)
{
    int64_t v = 0;
    struct hk_error err = {0};
    if (opt_parse_bytes(value, &v, &err) < 0 || v <= 0) {
        cli_error("%s: '%s' is not a size (e.g. 512m, 20g)", what, value);
        return -EINVAL;
    }
    engine_opts.max_archive_size = (uint64_t)v;
    return 0;
}

int engine_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, NULL, 'r'},  {"runroot", required_argument, NULL, 'R'},
        {"log-level", required_argument, NULL, 'l'}, {"version", no_argument, NULL, 'v'},
        {"max-archive-size", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},        {"cgroup-parent", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    if (getenv("HAKO_ROOT"))
        engine_opts.root = getenv("HAKO_ROOT");
    if (getenv("HAKO_RUNROOT"))
        engine_opts.runroot = getenv("HAKO_RUNROOT");
    if (getenv("HAKO_MAX_ARCHIVE_SIZE") &&
        set_max_archive_size("$HAKO_MAX_ARCHIVE_SIZE", getenv("HAKO_MAX_ARCHIVE_SIZE")) < 0)
        return 125;
    int c;
    /* "+" stops at the first non-option: the command's own flags follow it. */
    while ((c = cli_getopt(argc, argv, "+vh", opts)) != -1) {
        switch (c) {
        case 'r':
            engine_opts.root = optarg;
            break;
        case 'R':
            engine_opts.runroot = optarg;
            break;
        case 'c':
            engine_opts.cgroup_parent = optarg;
            break;
        case 'M':
            if (set_max_archive_size("--max-archive-size", optarg) < 0)
                return 125;
            break;
        case 'l': {
            enum log_level lvl;
            if (log_level_from_string(optarg, &lvl) < 0) {
                cli_error("--log-level: '%s' is not one of error, warn, info, debug", optarg);
                return 125;
            }
            log_set_level(lvl);
            break;
        }
        case 'v':
            printf("hako version %s\n", HAKO_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 125;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 125;
    }
    const char *name = argv[optind];
    if (strcmp(name, "runtime") == 0) {
        /* `hako [GLOBAL OPTIONS] runtime ...`: the runtime whose state the engine keeps,
         * <runroot>/runtime (the runtime's own --root after it still wins) */
        const char *runroot = engine_opts.runroot ? engine_opts.runroot : "/run/hako";
        _cleanup_free_ char *rt_root = xasprintf("%s/runtime", runroot);
        int n = argc - optind;
        char **rargv = xcalloc((size_t)n + 3, sizeof(char *));
        rargv[0] = argv[optind];
        rargv[1] = (char *)"--root";
        rargv[2] = rt_root;
        for (int i = 1; i < n; i++)
            rargv[i + 2] = argv[optind + i];
        optind = 0;
        int rc = runtime_main(n + 2, rargv);
        free(rargv);
        return rc;
    }
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        if (strcmp(commands[i].name, name) == 0) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* reset getopt for the command's own parser */
            bool stored = strcmp(name, "run") == 0 || strcmp(name, "create") == 0 ||
                          strcmp(name, "exec") == 0;
            int rc = stored ? check_utf8(sub_argc, sub_argv) : 0;
            if (rc == 0)
                rc = commands[i].run(sub_argc, sub_argv);
            /* run and create, also as "container run" */
            const char *verb = strcmp(name, "container") == 0 && sub_argc > 1 ? sub_argv[1] : name;
            bool run_like = strcmp(verb, "run") == 0 || strcmp(verb, "create") == 0;
            return rc == 125 && cli_op_failed && !run_like ? 1 : rc;
        }
    cli_error("'%s' is not a hako command. See 'hako --help'", name);
    return 125;
}
