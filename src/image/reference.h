/* reference.h — image references as Docker writes them.
 *
 *   busybox                   = docker.io/library/busybox:latest
 *   user/app:1.0              = docker.io/user/app:1.0
 *   host:5000/ns/name:tag     registry host:5000, repository ns/name
 *   name@sha256:<hex>         by digest (no tag)
 *
 * Grammar and normalization follow github.com/distribution/reference: lowercase path
 * components separated by '/', a first component with '.' or ':' (or "localhost") is the
 * registry, tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, names at most 255 characters. */
#pragma once

#include <stdbool.h>

#include "util/error.h"

#define REF_DEFAULT_DOMAIN "docker.io"
#define REF_NAME_MAX 255

struct image_ref {
    char *domain;     /* "docker.io", "localhost:5000", "[::1]:5000" */
    char *path;       /* "library/busybox" */
    char *tag;        /* "latest"; NULL when the reference has only a digest */
    char *digest;     /* "sha256:..." or NULL */
    bool tag_default; /* the tag was not written and "latest" was assumed */
};

/* Parse and normalize s into ret (which the caller clears with ref_clear). Without a tag or a
 * digest the tag is "latest". On failure ret is untouched and err says what is wrong. */
int ref_parse(const char *s, struct image_ref *ret, struct hk_error *err);
void ref_clear(struct image_ref *r);

/* "docker.io/library/busybox" */
char *ref_name(const struct image_ref *r);
/* "docker.io/library/busybox:latest", "...@sha256:...", or "...:tag@sha256:..." */
char *ref_string(const struct image_ref *r);
/* The name as docker shows it: "busybox", "user/app", "localhost:5000/x". */
char *ref_familiar_name(const char *name);
/* The host to talk to for r's registry: "registry-1.docker.io" for docker.io. */
const char *ref_api_host(const struct image_ref *r);
/* True for registries reached over plain HTTP without asking: localhost, 127.0.0.0/8, ::1. */
bool ref_domain_is_local(const char *domain);

/* "busybox:latest" for "docker.io/library/busybox:latest" (tags and repo digests). Allocated. */
char *ref_familiar(const char *ref);
