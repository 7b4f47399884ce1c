/* console.h — the container's terminal: a pty made inside the container's devpts, its master
 * handed to whoever drives the container (a --console-socket, or hako's own relay). */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "oci/spec.h"
#include "util/error.h"

/* In the container: open a pty in its devpts and apply process.consoleSize (exec). */
int console_open_pty(const struct oci_process *p, int *ret_master, int *ret_slave,
                     struct hk_error *err);

/* In the container (after pivot_root): open /dev/pts/ptmx, unlock, open the slave, apply
 * process.consoleSize, and bind the slave over /dev/console (by fd, refusing a symlinked
 * /dev/console). Returns both ends. */
int console_create(const struct oci_process *p, int *ret_master, int *ret_slave,
                   struct hk_error *err);

/* Make the slave the controlling terminal and stdin/stdout/stderr of the calling process,
 * owned by uid (the process user, as runc). */
int console_attach_slave(int slave, uid_t uid, struct hk_error *err);

/* Connect to the unix socket at path and send the master with SCM_RIGHTS (runc's protocol:
 * the data is the pty name). */
int console_send(const char *socket_path, int master, struct hk_error *err);

/* Relay between our stdin/stdout and the master until the child pid exits (reaped here, its
 * wait status in *ret_status), forwarding signals to it and the window size to the pty.
 * Restores the terminal mode before returning. */
int console_relay(int master, pid_t child, int *ret_status, struct hk_error *err);

/* The signals a foreground runtime forwards to its container. */
void console_forward_set(sigset_t *set);

/* Without a terminal: wait for the child, forwarding the signals we receive to it. */
int wait_forwarding_signals(pid_t child, int *ret_status, struct hk_error *err);
