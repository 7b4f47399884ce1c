/* sync.h — the messages between the runtime (parent) and the container's init (child).
 *
 * A SOCK_SEQPACKET socketpair carries one fixed-size message per packet. Errors cross the
 * process boundary as data: the child reports {code, step, text} and the parent turns it
 * into an hk_error, so the user reads "create 'x': mount 3 ('/data'): ...". File descriptors
 * (the pty master, a seccomp listener) travel with SCM_RIGHTS. */
#pragma once

#include <stdint.h>

#include "util/error.h"

enum sync_type {
    SYNC_GO = 1,          /* parent → child: go on (create: id maps written; exec: pid known) */
    SYNC_HOOKS,           /* child → parent: run prestart + createRuntime hooks now */
    SYNC_HOOKS_DONE,      /* parent → child */
    SYNC_CONSOLE,         /* child → parent: pty master attached */
    SYNC_SECCOMP_FD,      /* child → parent: seccomp listener fd attached */
    SYNC_SECCOMP_DONE,    /* parent → child */
    SYNC_READY,           /* child → parent: set up, waiting for start */
    SYNC_CHILD_PID,       /* child → parent: the init's pid (when an extra fork was needed) */
    SYNC_ERROR,           /* either way: failure with a message */
};

struct sync_msg {
    uint32_t type;
    int32_t code;  /* negative errno for SYNC_ERROR; a value (pid) otherwise */
    char text[HK_ERROR_MAX];
};

int sync_send(int fd, enum sync_type type, int32_t code, const char *text, int pass_fd);
/* Receive one message; *ret_fd (optional) gets a passed fd or -1. -EPIPE when the peer is
 * gone (the child died before reporting). */
int sync_recv(int fd, struct sync_msg *msg, int *ret_fd);
/* Receive and require a type; a SYNC_ERROR becomes err's message. */
int sync_expect(int fd, enum sync_type type, struct sync_msg *msg, int *ret_fd,
                struct hk_error *err);
/* Send an error (the child's report of what failed). */
int sync_send_error(int fd, const struct hk_error *err);

/* Send/receive fds over any unix socket (console socket, seccomp listener). */
int send_fd(int sock, int fd, const void *data, size_t len);
int recv_fd(int sock, int *ret_fd, void *data, size_t size, size_t *ret_len);
