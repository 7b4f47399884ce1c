/* handle.h — an open, locked container, for the runtime operations that act on one
 * (lifecycle.c: start, kill, delete; control.c: pause, resume, update, ps, events). */
#pragma once

#include "runtime/container.h"
#include "runtime/state.h"
#include "util/error.h"

/* An open, locked container: its state dir, state, and derived status. */
struct handle {
    int rootfd, dirfd;
    struct container_state *st;
    enum container_status status;
};

/* Open <root>/<id> with an exclusive lock, load its state and derive its status. On failure
 * *h holds nothing (fds -1). -ENOENT: "container '<id>' does not exist". */
int handle_open(const struct runtime *rt, const char *id, struct handle *h,
                struct hk_error *err);
/* Release the lock and everything handle_open took. */
void handle_close(struct handle *h);

struct oci_spec;
/* The config.json saved at create (hooks, exec and listeners use it), or NULL when it cannot
 * be read (err says why when given). */
struct oci_spec *handle_saved_spec(const struct handle *h, struct hk_error *err);
