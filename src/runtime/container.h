/* container.h — the OCI runtime operations: create, start, run, state, kill, delete, list.
 *
 * A container moves creating → created → running → stopped (and paused ↔ running). create
 * returns once the container's init has been set up and waits, before the user program, for
 * start. This is the API the runtime CLI (cli/runtime.c) and, later, the engine call. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

struct runtime {
    const char *state_root; /* --root */
    bool systemd_cgroup;    /* --systemd-cgroup */
    const char *criu;       /* --criu: the criu binary checkpoint and restore run */
};

struct create_opts {
    const char *bundle;         /* default "." */
    const char *pid_file;
    const char *console_socket;
    bool no_pivot;
    bool no_new_keyring;
    int preserve_fds;
    bool keep_console;          /* run in the foreground with a terminal: hako relays it */
    bool keep;                  /* run --keep: the exited container stays (stopped) */
};

int container_create(const struct runtime *rt, const char *id, const struct create_opts *o,
                     struct hk_error *err);

/* What create leaves to a caller that stays the container's parent (the engine's monitor):
 * the init's pid (our child: waitpid() it) and, with keep_console and a terminal, the pty
 * master (-1 otherwise), which the caller owns. */
struct create_result {
    int pid;
    int console_master;
};
int container_create_ex(const struct runtime *rt, const char *id, const struct create_opts *o,
                        struct create_result *ret, struct hk_error *err);

/* Let the created container's init exec the user program; runs the poststart hooks. */
int container_start(const struct runtime *rt, const char *id, struct hk_error *err);

/* create + start; unless detach, wait for the container, relay its terminal, forward signals,
 * delete it, and give its exit status as a shell would (128+N for signal N). */
int container_run(const struct runtime *rt, const char *id, const struct create_opts *o,
                  bool detach, int *ret_exit_code, struct hk_error *err);

/* The OCI state JSON (new reference). */
int container_state(const struct runtime *rt, const char *id, json_t **ret, struct hk_error *err);

/* Signal the init (or, with all, every process in the container's cgroup). */
int container_kill(const struct runtime *rt, const char *id, int sig, bool all,
                   struct hk_error *err);

/* Remove a stopped container (with force, kill it first): cgroup, state, poststop hooks. */
int container_delete(const struct runtime *rt, const char *id, bool force, struct hk_error *err);

/* Every container's state JSON, as an array (new reference). */
int container_list(const struct runtime *rt, json_t **ret, struct hk_error *err);

struct oci_process;

struct exec_opts {
    const char *console_socket;
    const char *pid_file;
    bool detach;       /* return once the process runs (its pid in ret->pid) */
    int preserve_fds;
    bool keep_console; /* with a terminal, no socket and detach: hand the master back */
    bool ignore_paused; /* exec into a paused container (the process starts on resume) */
    char **cgroups;     /* --cgroup [CONTROLLER:]PATH: sub-cgroups to run in (NULL-terminated) */
};

struct exec_result {
    int pid;            /* host pid of the new process */
    int console_master; /* keep_console only; -1 otherwise */
    int exit_code;      /* foreground: the process's status (128+N for signal N) */
};

/* A copy of the container's process (from its config) for exec to start from, and whether a
 * process like p could ptrace its way to the runtime's binary (spec_process_can_ptrace). */
int container_process(const struct runtime *rt, const char *id, struct oci_process **ret,
                      struct hk_error *err);
bool container_process_can_ptrace(const struct runtime *rt, const char *id,
                                  const struct oci_process *p);

/* Run process p in the running container: the new process joins every namespace of the
 * container's init and its cgroup, gets p's capabilities, rlimits, user, no_new_privs and the
 * container's seccomp profile, and execs in the container's root. In the foreground (not
 * detach) we relay its terminal or stdio, forward signals and return its exit status. */
int container_exec(const struct runtime *rt, const char *id, const struct oci_process *p,
                   const struct exec_opts *o, struct exec_result *ret, struct hk_error *err);
