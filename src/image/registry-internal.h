/* registry-internal.h — what registry-blobs.c needs of struct registry (owned by registry.c). */
#pragma once

#include "image/registry.h"

/* Fill rq (URL, credentials, TLS) for GET /v2/<repo>/blobs/<digest>; *ret_url owns the URL. */
int registry_blob_request(struct registry *r, const char *digest, struct http_request *rq,
                          char **ret_url);
/* Answer a 401 challenge met while downloading (a token that expired or lacks a scope). */
int registry_reauth(struct registry *r, const char *www_authenticate, struct hk_error *err);
const char *registry_domain(const struct registry *r);
const char *registry_repo(const struct registry *r);
