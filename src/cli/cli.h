/* cli.h — the two front doors and the helpers the command files share.
 *
 * Only src/cli prints errors and chooses exit codes. Each command family lives in its own
 * file and exposes `int cmd_<name>(int argc, char **argv)` (argv[0] is the command name),
 * returning the process exit status. */
#pragma once

#include <jansson.h>
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

/* Exit statuses, as docker's: a command's operation that failed (no such container, ...) is 1,
 * except for run and create, whose own errors are 125 (126/127 for the program); a bad flag
 * is 125 everywhere. Commands return 125 for both; cli_fail and cli_op_error note that an
 * operation failed, and the front door turns 125 into 1 for commands other than run/create. */
extern bool cli_op_failed;
/* Note an operation's failure (its message printed already); returns 125. */
int cli_op_error(void);

struct option;
/* getopt_long without its abbreviations: docker (and runc) match long options exactly, so
 * "--priv" is an unknown flag and "--pid host" is never read as "--pids-limit host". A long
 * option typed as a prefix returns '?' with optopt 0 and argv[optind - 1] the word typed. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);
/* docker's "unknown flag" / bad-value messages, exit 125. */
int cli_usage_error(const char *cmd, const char *fmt, ...) _printf_(2, 3);
/* The unknown option getopt just saw (opterr off), as docker words it. */
int cli_unknown_flag(const char *cmd, int argc, char **argv);
/* The shortopts of the last cli_getopt call (to tell a missing value from an unknown flag). */
extern const char *cli_shortopts;

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

/* `hako GROUP SUB ...` (volume, container): run the subcommand argv[1] names, or print the
 * list (exit 0 for --help, 125 for an unknown one). */
int cli_subcommand(const char *group, const struct cli_command *subs, size_t n, int argc,
                   char **argv, const char *summary);
/* docker's prune prompt ("WARNING! This will remove <what>. ... [y/N]"): whether the user said
 * yes on stdin. */
bool cli_confirm(const char *what);

/* Engine commands, one family per file (cli/image.c, cli/container.c, ...). */
int cmd_pull(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_volume(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_info(int argc, char **argv);
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
/* `system df` and `system prune` (argv[0] names which); `image prune`. */
int cmd_system_disk(int argc, char **argv);
int cmd_image_prune(int argc, char **argv);
/* container prune's part (also system prune's): remove the stopped containers, print docker's
 * "Deleted Containers:" list, add what their upper layers held to *reclaimed. */
struct engine;
struct hk_error;
int cli_containers_prune(struct engine *e, uint64_t *reclaimed, struct hk_error *err);
/* The prune commands' flags: -a, -f, --filter (appended to filters), --volumes (when
 * volumes). Returns 0, -1 after printing help, or the exit status of a bad flag. */
struct prune_opts {
    bool all, force, volumes;
    json_t *filters;
};
int cli_prune_flags(int argc, char **argv, const char *cmd, bool volumes, const char *help,
                    struct prune_opts *o);
int cmd_service_helper(int argc, char **argv);
