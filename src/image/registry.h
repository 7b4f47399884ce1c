/* registry.h — a client for one repository of an OCI distribution registry.
 *
 * registry_open() finds how to talk to the registry: HTTPS, or — only for localhost, 127.0.0.0/8,
 * ::1 and registries the user marks insecure (--tls-verify=false) — plain HTTP when HTTPS does
 * not answer. It pings /v2/ and, on a 401, follows the challenge: a Bearer token from the realm
 * (sending the stored credentials when there are any) or Basic credentials. Errors name the
 * registry, the repository and the HTTP status. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image/http.h"
#include "image/image.h"
#include "image/store.h"
#include "util/error.h"

struct registry_opts {
    bool tls_verify;      /* false: no certificate checks, plain HTTP allowed */
    const char *authfile; /* NULL: the default credentials file */
    const char *user;     /* explicit credentials (login), overriding the file */
    const char *pass;
    /* the token scopes to ask for, space-separated (NULL: "repository:<repo>:pull"); a push
     * asks for pull,push on its repository and pull on the repositories it mounts from */
    const char *scopes;
};

struct registry;

/* domain: as in a reference ("docker.io", "localhost:5000"); repo: "library/busybox" (NULL
 * to only check the credentials, as `login` does). */
int registry_open(const char *domain, const char *repo, const struct registry_opts *o,
                  struct registry **ret, struct hk_error *err);
struct registry *registry_free(struct registry *r);

/* GET a manifest or index by tag or digest: the 200 response (body, Content-Type,
 * Docker-Content-Digest) in *ret. */
int registry_get_manifest(struct registry *r, const char *reference, struct http_response *ret,
                          struct hk_error *err);

/* A request to the registry with the current credentials, retried once after answering a 401
 * challenge. where: a path under the registry ("/v2/...") or an absolute http(s) URL (an
 * upload's Location). rq carries everything but the URL and Authorization; *resp is the
 * response, whatever its status. */
int registry_request(struct registry *r, const char *where, struct http_request *rq,
                     struct http_response *resp, struct hk_error *err);

/* A blob to download into the store. */
struct blob_req {
    const char *digest;
    int64_t size;
    size_t index; /* reported to progress */
};

/* Download blobs into the store, up to 4 at a time, each verified (digest and size) while it
 * streams. Blobs already in the store are skipped. Stops at the first failure. */
int registry_fetch_blobs(struct registry *r, struct store *s, const struct blob_req *reqs, size_t n,
                         const struct progress *p, struct hk_error *err);
