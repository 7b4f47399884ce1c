/* auth.h — registry credentials and authentication challenges.
 *
 * Credentials live in a JSON file shaped like Docker's config.json:
 *     {"auths": {"localhost:5000": {"auth": "<base64 of user:password>"}}}
 * (Docker Hub's key is "https://index.docker.io/v1/"). The file is --authfile, else
 * $REGISTRY_AUTH_FILE, else $XDG_CONFIG_HOME/hako/auth.json (~/.config/hako/auth.json);
 * lookups fall back to ~/.docker/config.json. Written atomically, mode 0600. */
#pragma once

#include "util/error.h"

/* A parsed WWW-Authenticate header: `Bearer realm="...",service="...",scope="..."`. */
struct auth_challenge {
    char *scheme; /* "Bearer" or "Basic" (as sent) */
    char *realm;
    char *service;
    char *scope;
};

int auth_parse_challenge(const char *header, struct auth_challenge *ret, struct hk_error *err);
void auth_challenge_clear(struct auth_challenge *c);

/* The credentials file in effect (allocated). */
char *auth_file_path(const char *authfile);
/* The credentials for domain, or *ret_user = *ret_pass = NULL when there are none. */
int auth_get(const char *authfile, const char *domain, char **ret_user, char **ret_pass,
             struct hk_error *err);
int auth_set(const char *authfile, const char *domain, const char *user, const char *pass,
             struct hk_error *err);
/* -ENOENT when there were no credentials for domain. */
int auth_delete(const char *authfile, const char *domain, struct hk_error *err);
