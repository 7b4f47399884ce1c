/* api.h — `hako system service`: the Docker Engine API over a unix socket or TCP.
 *
 * The service is an optional front door: every container keeps its own monitor, so stopping
 * or restarting the service never stops one. See docs/API.md for the process model (why the
 * threads of the HTTP server never clone(): starts and execs run in spawned `hako` helpers). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct api_opts {
    const char *root, *runroot;
    const char *const *hosts; /* "unix:///path", "tcp://127.0.0.1:2375" */
    size_t n_hosts;           /* none, and no LISTEN_FDS: unix://<runroot>/hako.sock */
    long idle_seconds;        /* 0: never exit; else exit after that long without a client */
    bool insecure_tcp;        /* plain TCP, allowed only on a loopback address */
    const char *tls_ca, *tls_cert, *tls_key; /* TLS with client verification on tcp:// */
};

/* Serve until SIGTERM/SIGINT or the idle time. Returns 0, or a negative errno with err set
 * (a host that cannot be listened on, TCP without TLS, ...). */
int api_serve(const struct api_opts *o, struct hk_error *err);

/* The hidden helper commands the service spawns (`hako service-helper start ID [attach]`):
 * run in a fresh single-threaded process. Returns the exit status. */
int api_helper_start(const char *root, const char *runroot, const char *id, bool attach);
