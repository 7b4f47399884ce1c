/* cli.h — the two front doors and the helpers the command files share.
 *
 * Only src/cli prints errors and chooses exit codes. Each command family lives in its own
 * file and exposes `int cmd_<name>(int argc, char **argv)` (argv[0] is the command name),
 * returning the process exit status. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

int runtime_main(int argc, char **argv);

/* argv as main() got it, for re-executing ourselves (util/selfexe.h). */
extern char **cli_orig_argv;

/* Before a command that starts processes inside a container: make sure we run from a sealed
 * copy of our binary (CVE-2019-5736). May re-exec; returns when no (more) re-exec is needed. */
void cli_protect_binary(void);
int engine_main(int argc, char **argv);

/* Global options of the engine front door, set before a command runs. */
struct engine_opts {
    const char *root;    /* --root, default /var/lib/hako */
    const char *runroot; /* --runroot, default /run/hako */
    const char *cgroup_parent; /* --cgroup-parent, NULL: the engine's default (/hako) */
    uint64_t max_archive_size; /* --max-archive-size: what one archive may unpack to (0: the
                                * store's default) */
};
extern struct engine_opts engine_opts;

/* Print "<prog>: <message>" to stderr. */
void cli_error(const char *fmt, ...) _printf_(1, 2);
/* Print the error's message with a prefix naming the command, return exit code. */
int cli_fail(const struct hk_error *err, int exit_code);

/* A command of a front door. */
struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

/* Engine commands, one family per file (cli/image.c, cli/container.c, ...). */
int cmd_pull(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_volume(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_system(int argc, char **argv);
int cmd_service_helper(int argc, char **argv);
