/* api.h — `hako system service`: the Docker Engine API over a unix socket or TCP.
 *
 * The service is an optional front door: every container keeps its own monitor, so stopping
 * or restarting the service never stops one. See docs/API.md for the process model (why the
 * threads of the HTTP server never clone(): starts and execs run in spawned `hako` helpers). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/error.h"

/* The service's configuration file, /etc/hako/daemon.json (--config-file), with dockerd's keys
 * where they apply: hosts, data-root, exec-root, log-level, debug, tls, tlsverify, tlscacert,
 * tlscert, tlskey, default-ulimits, live-restore (only true), default-runtime (only "hako"),
 * runtimes (only empty). Other keys are errors naming them. Strings point into j. */
struct api_config {
    const char *path;
    json_t *j;
    char *text;
    bool loaded;
    const char **hosts;
    size_t n_hosts;
    const char *data_root, *exec_root;
    bool has_log_level, has_debug, debug, has_tls, has_tlsverify, tlsverify;
    int log_level; /* enum log_level */
    const char *tlscacert, *tlscert, *tlskey;
    json_t *default_ulimits; /* HostConfig.Ulimits entries, or NULL */
};

/* Load path; a missing file is fine unless must_exist (the file was named). */
int api_config_load(const char *path, bool must_exist, struct api_config *c,
                    struct hk_error *err);
void api_config_clear(struct api_config *c);
void api_config_apply_ulimits(const struct api_config *c, json_t *host_config);

struct api_opts {
    const char *root, *runroot;
    const char *const *hosts; /* "unix:///path", "tcp://127.0.0.1:2375" */
    size_t n_hosts;           /* none, and no LISTEN_FDS: unix://<runroot>/hako.sock */
    long idle_seconds;        /* 0: never exit; else exit after that long without a client */
    bool insecure_tcp;        /* plain TCP, allowed only on a loopback address */
    bool tlsverify;           /* tcp:// with TLS and client certificates the CA signed */
    const char *tls_ca, *tls_cert, *tls_key; /* PEM files (all three with tlsverify) */
    const struct api_config *config;          /* daemon.json (defaults for containers) */
};

/* Serve until SIGTERM/SIGINT or the idle time. Returns 0, or a negative errno with err set
 * (a host that cannot be listened on, TCP without TLS, ...). */
int api_serve(const struct api_opts *o, struct hk_error *err);

/* The hidden helper command the service spawns (`hako service-helper start ID [WANT]`), in a
 * fresh single-threaded process. attach: the ATTACH_* streams to say hello with and send the
 * attach connection back on fd 3, or -1. Returns the exit status. */
int api_helper_start(const char *root, const char *runroot, const char *id, int attach);
