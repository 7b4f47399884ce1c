/* http.h — the HTTP(S) transfers of the registry client, over libcurl (loaded lazily).
 *
 * A transfer GETs one URL (or HEADs, POSTs, PUTs or PATCHes it, with a body from memory or a
 * range of a file: the uploads of a push), following redirects (http/https only). Headers a
 * registry client needs (Content-Type, Docker-Content-Digest, WWW-Authenticate, Content-Length,
 * Location) are captured
 * from the final response. A 2xx body goes to the sink when one is set, else to memory
 * (bounded); any other body is kept (up to 64 KiB) to explain the error. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct http_response {
    long status;
    char *content_type;
    char *docker_digest;
    char *www_authenticate;
    char *location;         /* Location (uploads), as sent: absolute or relative */
    int64_t content_length; /* -1 when absent */
    char *body;             /* NUL-terminated */
    size_t len;
};

/* Receives a 2xx body; returning < 0 aborts the transfer (the sink keeps its error). */
typedef int (*http_sink_fn)(void *ud, const void *data, size_t len);

struct http_request {
    const char *url;
    const char *accept;        /* Accept header, or NULL */
    const char *authorization; /* full Authorization value ("Bearer x", "Basic y"), or NULL */
    bool insecure;             /* skip TLS certificate verification */
    size_t max_body;           /* bound for an in-memory 2xx body */
    http_sink_fn sink;         /* when set, 2xx bodies stream here instead of memory */
    void *sink_ud;
    /* Uploads: method "HEAD", "POST", "PUT" or "PATCH" (NULL: GET); the body is body/body_len
     * from memory, or, when body_fd >= 0, body_len bytes of body_fd from body_off (pread, so a
     * retried request sends it again). */
    const char *method;
    const char *content_type;  /* Content-Type of the body, or NULL */
    const char *content_range; /* Content-Range value (chunked uploads), or NULL */
    const void *body;
    int body_fd;
    int64_t body_off;
    uint64_t body_len;
    /* called as body bytes go out (total sent so far) */
    void (*on_sent)(void *ud, uint64_t sent);
    void *sent_ud;
};

struct http_xfer;

/* Load libcurl and initialize it once. */
int http_init(struct hk_error *err);

/* Prepare a transfer (the request must outlive it). */
int http_xfer_new(const struct http_request *rq, struct http_xfer **ret, struct hk_error *err);
/* The curl easy handle, to drive it with a multi handle. */
void *http_xfer_handle(struct http_xfer *x);
/* After curl finished the transfer with code: fill resp (owned by the caller, cleared with
 * http_response_clear) or fail with a transport error ("cannot connect: ...",
 * "response too large", "transfer closed with 123 bytes remaining"). */
int http_xfer_finish(struct http_xfer *x, int code, struct http_response *resp,
                     struct hk_error *err);
struct http_xfer *http_xfer_free(struct http_xfer *x);

/* A whole transfer, blocking (GET, or rq->method). An upload request must set body_fd (-1 for a
 * memory body): a zeroed http_request has body_fd 0, which is never a body here. */
int http_get(const struct http_request *rq, struct http_response *resp, struct hk_error *err);
void http_response_clear(struct http_response *resp);

/* "HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)": the status plus the first error of a
 * registry's JSON error body when it has one. */
void http_status_text(const struct http_response *resp, char *buf, size_t size);
