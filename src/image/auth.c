#include "image/auth.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image/reference.h"
#include "util/base64.h"
#include "util/fs.h"
#include "util/json.h"

#define AUTHFILE_MAX (1u << 20)
#define HUB_KEY "https://index.docker.io/v1/"

/* One `key=value` or `key="quoted \" value"` at *p; advances past it and a following comma. */
static int parse_param(const char **p, char **ret_key, char **ret_val)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    const char *k = s;
    while (*s && *s != '=' && *s != ' ' && *s != ',')
        s++;
    if (*s != '=' || s == k)
        return -EINVAL;
    *ret_key = strndup(k, (size_t)(s - k));
    s++;
    char *v = xcalloc(1, strlen(s) + 1);
    size_t n = 0;
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && s[1])
                s++;
            v[n++] = *s;
        }
        if (*s != '"') {
            free(v);
            free(*ret_key);
            return -EINVAL;
        }
        s++;
    } else {
        while (*s && *s != ',' && *s != ' ')
            v[n++] = *s++;
    }
    *ret_val = v;
    *p = s;
    return 0;
}

int auth_parse_challenge(const char *header, struct auth_challenge *ret, struct hk_error *err)
{
    const char *p = header;
    while (isspace((unsigned char)*p))
        p++;
    const char *scheme = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (p == scheme)
        return hk_error_set(err, -EINVAL, "empty WWW-Authenticate header");
    struct auth_challenge c = {.scheme = strndup(scheme, (size_t)(p - scheme))};
    while (*p) {
        while (isspace((unsigned char)*p) || *p == ',')
            p++;
        if (!*p)
            break;
        char *k = NULL, *v = NULL;
        if (parse_param(&p, &k, &v) < 0) {
            auth_challenge_clear(&c);
            return hk_error_set(err, -EINVAL, "malformed WWW-Authenticate header '%.200s'", header);
        }
        char **dst = strcasecmp(k, "realm") == 0     ? &c.realm
                     : strcasecmp(k, "service") == 0 ? &c.service
                     : strcasecmp(k, "scope") == 0   ? &c.scope
                                                     : NULL;
        if (dst) {
            free(*dst);
            *dst = v;
        } else {
            free(v);
        }
        free(k);
    }
    *ret = c;
    return 0;
}

void auth_challenge_clear(struct auth_challenge *c)
{
    if (!c)
        return;
    free(c->scheme);
    free(c->realm);
    free(c->service);
    free(c->scope);
    *c = (struct auth_challenge){0};
}

char *auth_file_path(const char *authfile)
{
    if (authfile && *authfile)
        return xstrdup(authfile);
    const char *env = getenv("REGISTRY_AUTH_FILE");
    if (env && *env)
        return xstrdup(env);
    const char *xdg = getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg)
        return xasprintf("%s/hako/auth.json", xdg);
    const char *home = getenv("HOME");
    return xasprintf("%s/.config/hako/auth.json", home && *home ? home : "/root");
}

static const char *key_of(const char *domain)
{
    return strcmp(domain, REF_DEFAULT_DOMAIN) == 0 ? HUB_KEY : domain;
}

/* The file's JSON, or an empty {"auths": {}} when it does not exist. */
static int load(const char *path, json_t **ret, struct hk_error *err)
{
    json_t *j = NULL;
    if (!path_exists(path)) {
        *ret = json_pack("{s:{}}", "auths");
        return 0;
    }
    int r = json_load_file_text(path, AUTHFILE_MAX, &j, NULL, err);
    if (r < 0)
        return r;
    if (!json_is_object(j)) {
        json_decref(j);
        return hk_error_set(err, -EINVAL, "%s: expected a JSON object", path);
    }
    if (!json_is_object(json_object_get(j, "auths")))
        json_object_set_new(j, "auths", json_object());
    *ret = j;
    return 0;
}

static int lookup(const char *path, const char *domain, char **ret_user, char **ret_pass,
                  struct hk_error *err)
{
    json_t *j = NULL;
    int r = load(path, &j, err);
    if (r < 0)
        return r;
    const char *b64 = json_string_value(
        json_object_get(json_object_get(json_object_get(j, "auths"), key_of(domain)), "auth"));
    char *plain = NULL;
    if (b64 && base64_decode(b64, &plain, NULL) < 0)
        r = hk_error_set(err, -EINVAL, "%s: auths.%s.auth is not base64", path, key_of(domain));
    json_decref(j);
    if (r < 0 || !plain)
        return r;
    char *colon = strchr(plain, ':');
    if (!colon) {
        free(plain);
        return hk_error_set(err, -EINVAL, "%s: auths.%s.auth is not user:password", path,
                            key_of(domain));
    }
    *colon = '\0';
    *ret_user = xstrdup(plain);
    *ret_pass = xstrdup(colon + 1);
    free(plain);
    return 0;
}

int auth_get(const char *authfile, const char *domain, char **ret_user, char **ret_pass,
             struct hk_error *err)
{
    *ret_user = *ret_pass = NULL;
    _cleanup_free_ char *path = auth_file_path(authfile);
    int r = lookup(path, domain, ret_user, ret_pass, err);
    if (r < 0 || *ret_user || authfile)
        return r;
    const char *home = getenv("HOME");
    if (!home || !*home)
        return 0;
    _cleanup_free_ char *docker = xasprintf("%s/.docker/config.json", home);
    return lookup(docker, domain, ret_user, ret_pass, err);
}

static int save(const char *path, json_t *j, struct hk_error *err)
{
    _cleanup_free_ char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        int r = mkdir_p(dir, 0700);
        if (r < 0)
            return hk_error_errno(err, r, "create '%s'", dir);
    }
    char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (!text)
        abort();
    int r = write_file_atomic(path, text, strlen(text), 0600, err);
    free(text);
    return r;
}

int auth_set(const char *authfile, const char *domain, const char *user, const char *pass,
             struct hk_error *err)
{
    _cleanup_free_ char *path = auth_file_path(authfile);
    json_t *j = NULL;
    int r = load(path, &j, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *plain = xasprintf("%s:%s", user, pass);
    _cleanup_free_ char *b64 = base64_encode(plain, strlen(plain));
    json_object_set_new(json_object_get(j, "auths"), key_of(domain),
                        json_pack("{s:s}", "auth", b64));
    r = save(path, j, err);
    json_decref(j);
    return r;
}

int auth_delete(const char *authfile, const char *domain, struct hk_error *err)
{
    _cleanup_free_ char *path = auth_file_path(authfile);
    json_t *j = NULL;
    int r = load(path, &j, err);
    if (r < 0)
        return r;
    if (json_object_del(json_object_get(j, "auths"), key_of(domain)) < 0)
        r = hk_error_set(err, -ENOENT, "not logged in to %s", domain);
    else
        r = save(path, j, err);
    json_decref(j);
    return r;
}
