/* runtime-cmds.h — what the runtime command files (cli/runtime*.c) share. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "cli/cli.h"
#include "cli/runtime-values.h"
#include "runtime/container.h"
#include "runtime/features.h"

/* Global options (--root, --systemd-cgroup) as parsed by the front door. */
extern struct runtime rt_opts;

/* Print err (to stderr and the --log file), return runc's exit code 1. */
int rt_fail(const struct hk_error *err);
int rt_usage_error(const char *cmd, const char *fmt, ...) _printf_(2, 3);
/* A command without arguments: 0 to go on, -1 after printing its --help, else the usage
 * error's status for an argument it does not take. */
int rt_no_args(const char *cmd, const char *summary, int argc, char **argv);
/* Require the id at argv[optind] (and at most `extra` arguments after it). */
int rt_need_id(int argc, char **argv, int extra, const char *cmd);
/* Parse the options of a command that takes only an id (and --help, which prints
 * "Usage: hako-runtime <usage>" and returns -1); 0 when argv[optind] is the id. */
int rt_cmd_exec(int argc, char **argv);
int rt_cmd_seccomp_default(int argc, char **argv);
int rt_only_id(int argc, char **argv, const char *cmd, const char *usage);

/* The cgroup commands (cli/runtime-cgroup.c, cli/runtime-events.c). */
int rt_cmd_update(int argc, char **argv);
int rt_cmd_pause(int argc, char **argv);
int rt_cmd_resume(int argc, char **argv);
int rt_cmd_ps(int argc, char **argv);
int rt_cmd_events(int argc, char **argv);
/* CRIU (cli/runtime-checkpoint.c). */
int rt_cmd_checkpoint(int argc, char **argv);
int rt_cmd_restore(int argc, char **argv);

/* Commands defined in other files (exec, update, pause, resume, ps, events). */
extern const struct cli_command rt_extra_commands[];
extern const size_t rt_extra_commands_n;
