/* internal.h — what the endpoint files (containers.c, images.c, exec.c, system.c) share with
 * the server (server.c): the call being answered and the ways to answer it. */
#pragma once

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <sys/types.h>

#include "api/route.h"
#include "engine/record.h"
#include "util/error.h"

struct api_ctx {
    struct engine *e;
    const char *root, *runroot;
    char *self_exe; /* our binary, for the helpers */
    const struct api_config *config; /* daemon.json, or NULL */
};

struct api_call {
    struct api_ctx *ctx;
    struct MHD_Connection *conn;
    struct api_request req;
    const char *auth_header; /* X-Registry-Auth, or NULL */
    char *body;
    size_t n, cap;
    bool too_big;
    int body_fd; /* a raw body (images/load) spooled to a temp file, or -1 */
    unsigned status;   /* the answer's status, for the request log */
    long start_us;     /* when the request came, for the request log */
    char *method, *url; /* kept for the request log (debug level only) */
};

/* Answers: each queues a response and returns MHD's result. */
enum MHD_Result api_reply_json(struct api_call *c, unsigned status, json_t *j); /* steals j */
enum MHD_Result api_reply_empty(struct api_call *c, unsigned status);
/* Queue a response made by the caller (docker's common headers added; r is destroyed). */
enum MHD_Result api_reply_response(struct api_call *c, unsigned status, struct MHD_Response *r);
enum MHD_Result api_reply_msg(struct api_call *c, unsigned status, const char *fmt, ...)
    _printf_(3, 4);
/* An engine error: 404 for -ENOENT, 409 for -EEXIST/-EBUSY, 400 for -EINVAL, else dflt. */
enum MHD_Result api_reply_error(struct api_call *c, const struct hk_error *err, unsigned dflt);

/* A streamed answer: fn runs in its own thread and writes the body to fd (a pipe MHD reads),
 * and must stop when a write fails (the client went away). ud is freed with free_ud. */
typedef void (*api_stream_fn)(int fd, void *ud);
enum MHD_Result api_reply_stream(struct api_call *c, const char *content_type, api_stream_fn fn,
                                 void *ud, void (*free_ud)(void *));

/* A hijacked connection (101 Switching Protocols): fn runs in its own thread with the socket
 * and the bytes the server had already read after the request; the connection is closed when
 * it returns. */
typedef void (*api_upgrade_fn)(int sock, const char *extra, size_t n_extra, void *ud);
enum MHD_Result api_reply_upgrade(struct api_call *c, const char *content_type, api_upgrade_fn fn,
                                  void *ud, void (*free_ud)(void *));

/* Write all of n bytes; -EPIPE etc. when the reader went away. */
int api_write_all(int fd, const void *p, size_t n);
/* One JSON message of a progress stream (pull, push, build): o and "\r\n" in one write, so a
 * client's JSON splitter (docker-py's) never gets the "\r\n" alone. Steals o; once a write
 * failed (*broken), nothing more is written. */
void api_write_message(int fd, bool *broken, json_t *o);
/* Write one of docker's multiplexed frames (stream 1 stdout, 2 stderr). */
int api_write_frame(int fd, int stream, const void *p, size_t n);
/* Whether the reader of pipe fd went away (poll POLLERR), waiting at most ms. */
bool api_peer_gone(int fd, int ms);

/* Spawn our own binary with the global options and args (NULL-terminated); stdio of the child
 * from fds (-1: /dev/null), fd 3 of the child from extra_fd (-1: none). */
int api_spawn(const struct api_ctx *x, const char *const *args, const int fds[3], int extra_fd,
              pid_t *ret_pid, struct hk_error *err);

/* A container reference resolved to its ID: 404 "No such container" answered otherwise. */
bool api_resolve(struct api_call *c, char **ret_id);

/* Endpoint families. */
enum MHD_Result api_system(struct api_call *c);
enum MHD_Result api_containers(struct api_call *c);
enum MHD_Result api_files(struct api_call *c); /* export, changes, commit, archive */
enum MHD_Result api_build(struct api_call *c); /* POST /build */
enum MHD_Result api_container_streams(struct api_call *c);
enum MHD_Result api_images(struct api_call *c);
enum MHD_Result api_exec(struct api_call *c);
enum MHD_Result api_events(struct api_call *c);
enum MHD_Result api_volumes(struct api_call *c);
enum MHD_Result api_networks(struct api_call *c);

/* Whether attach clients wait for id to start; they are claimed by the caller, a start, which
 * then must call api_attach_handoff() with the attach connection (or -1 when it failed).
 * *ret_want: the ATTACH_* streams the first one asked for (the start says hello with them). */
bool api_attach_waiting(const char *id, unsigned char *ret_want);
/* Hand conn to one claimed client (the others attach on their own). Returns whether one
 * took it. */
bool api_attach_handoff(const char *id, int conn);
/* POST /containers/{id}/resize: the terminal size, through the monitor. */
enum MHD_Result api_attach_resize(struct api_call *c, const char *id);

/* Counts live streams and hijacked connections for the idle timer. */
void api_busy(int delta);
