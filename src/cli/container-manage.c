/* container-manage.c — `hako container COMMAND`: docker's management form of the container
 * commands (container ls, run, rm, ...), and `container prune`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "engine/lifecycle.h"
#include "util/human.h"
#include "util/json.h"

static int container_prune(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    bool force = false;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+f", opts)) != -1) {
        if (c == 'f')
            force = true;
        else if (c == 'h') {
            printf("Usage: hako container prune [OPTIONS]\n\nRemove all stopped containers\n\n"
                   "Options:\n"
                   "  -f, --force   Do not prompt for confirmation\n");
            return 0;
        } else
            return cli_unknown_flag("container prune", argc, argv);
    }
    if (!force && !cli_confirm("all stopped containers"))
        return 0;
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    if (rc)
        return rc;
    struct hk_error err = {0};
    uint64_t reclaimed = 0;
    int r = cli_containers_prune(e, &reclaimed, &err);
    engine_free(e);
    if (r < 0)
        return cli_fail(&err, 125);
    char buf[32];
    printf("Total reclaimed space: %s\n", human_size(reclaimed, buf, sizeof(buf)));
    return 0;
}

static const struct cli_command subs[] = {
    {"attach", cmd_attach, "Attach to a running container's input and output"},
    {"checkpoint", cmd_checkpoint, "Checkpoint running containers through CRIU"},
    {"create", cmd_create, "Create a new container"},
    {"exec", cmd_exec, "Run a command in a running container"},
    {"inspect", cmd_inspect, "Show containers in detail"},
    {"kill", cmd_kill, "Send a signal to containers"},
    {"logs", cmd_logs, "Show a container's output"},
    {"ls", cmd_ps, "List containers"},
    {"list", cmd_ps, NULL},
    {"ps", cmd_ps, NULL},
    {"pause", cmd_pause, "Freeze every process of containers"},
    {"prune", container_prune, "Remove all stopped containers"},
    {"rename", cmd_rename, "Rename a container"},
    {"restart", cmd_restart, "Restart containers"},
    {"restore", cmd_restore, "Restore checkpointed containers"},
    {"rm", cmd_rm, "Remove containers"},
    {"remove", cmd_rm, NULL},
    {"run", cmd_run, "Create and run a new container"},
    {"start", cmd_start, "Start containers"},
    {"stats", cmd_stats, "Show containers' resource usage"},
    {"stop", cmd_stop, "Stop containers"},
    {"top", cmd_top, "Show a container's processes"},
    {"unpause", cmd_unpause, "Thaw the processes of containers"},
    {"update", cmd_update, "Update configuration of one or more containers"},
    {"wait", cmd_wait, "Wait for containers to stop and print their exit codes"},
};

int cmd_container(int argc, char **argv)
{
    return cli_subcommand("container", subs, ELEMENTSOF(subs), argc, argv, "Manage containers");
}
