/* container.h — what the container command files (cli/container-*.c) share. */
#pragma once

#include <stdbool.h>

#include "engine/record.h"

/* The engine at --root/--runroot; prints the error and returns 125 on failure. */
int cli_engine_open(struct engine **ret);

/* A container by name, ID or unique ID prefix; prints docker's error ("Error: No such
 * container: x") and returns 125 on failure. */
int cli_resolve(const struct engine *e, const char *ref, char **ret_id);


/* Relay an attach connection to our stdio until the container exits: the terminal in raw
 * mode with -t (window size followed), stdin sent when with_stdin, signals forwarded to the
 * container without -t (sig-proxy). Ctrl-P Ctrl-Q detaches on a terminal. *ret_code: the
 * container's exit status (or 0 when detached). */
int cli_attach_relay(const struct engine *e, const char *id, int conn, bool tty, bool with_stdin,
                     int *ret_code);

/* The next relay's detach keys (docker's --detach-keys: "ctrl-p,ctrl-q", "a,ctrl-x"; 125 and
 * docker's message when invalid) and whether it forwards signals (--sig-proxy). */
int cli_attach_detach_keys(const char *spec);
void cli_attach_sig_proxy(bool on);

/* Container commands. */
int cmd_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_monitor_exit(int argc, char **argv);
int cmd_health_probe(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_network(int argc, char **argv);
int cmd_dns_serve(int argc, char **argv);
int cmd_port(int argc, char **argv);
int cmd_container(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_update(int argc, char **argv);
