/* registry.c — the distribution-spec client; see registry.h. */
#include "image/registry.h"
#include "image/registry-internal.h"

#include <curl/curl.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "image/auth.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "util/base64.h"
#include "util/fs.h"
#include "util/log.h"

#define TOKEN_MAX (1u << 20)

struct registry {
    char *domain;
    char *repo;
    char *base; /* "https://host" or "http://host" */
    bool insecure;
    bool allow_http;
    char *user, *pass;
    char *scopes;        /* registry_opts.scopes, or NULL */
    char *authorization; /* the Authorization header value in use, or NULL */
};

/* "&scope=a&scope=b" for the space-separated scopes (each escaped), as docker sends them. */
static char *scope_params(CURL *h, const char *scopes)
{
    _cleanup_free_ char *copy = xstrdup(scopes);
    char *out = xstrdup(""), *save = NULL;
    for (char *s = strtok_r(copy, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
        char *esc = curl_easy_escape(h, s, 0);
        char *next = xasprintf("%s&scope=%s", out, esc ? esc : "");
        curl_free(esc);
        free(out);
        out = next;
    }
    return out;
}

/* "registry localhost:5000: repository x/y" — the context of every error. */
static int fail_ctx(struct registry *r, int code, struct hk_error *err)
{
    if (r->repo)
        return hk_error_prefix(err, code, "registry %s: repository %s", r->domain, r->repo);
    return hk_error_prefix(err, code, "registry %s", r->domain);
}

static int fetch_token(struct registry *r, const struct auth_challenge *c, struct hk_error *err)
{
    if (!c->realm)
        return hk_error_set(err, -EPROTO, "Bearer challenge without a realm");
    if (strncmp(c->realm, "https://", 8) != 0 &&
        !(strncmp(c->realm, "http://", 7) == 0 && r->allow_http))
        return hk_error_set(err, -EPROTO, "token realm '%s' is not https", c->realm);
    CURL *h = curl_easy_init();
    char *svc = c->service ? curl_easy_escape(h, c->service, 0) : NULL;
    _cleanup_free_ char *scope_s = c->scope    ? xstrdup(c->scope)
                                   : r->scopes ? xstrdup(r->scopes)
                                   : r->repo   ? xasprintf("repository:%s:pull", r->repo)
                                               : NULL;
    _cleanup_free_ char *scope = scope_s ? scope_params(h, scope_s) : xstrdup("");
    _cleanup_free_ char *params =
        xasprintf("%s%s%s", svc ? "&service=" : "", svc ? svc : "", scope);
    /* params start with '&' (or are empty): the first one becomes '?' unless realm has a query */
    _cleanup_free_ char *url = xasprintf("%s%s%s", c->realm,
                                         *params && !strchr(c->realm, '?') ? "?" : "",
                                         *params && !strchr(c->realm, '?') ? params + 1 : params);
    curl_free(svc);
    curl_easy_cleanup(h);
    _cleanup_free_ char *basic = NULL;
    if (r->user) {
        _cleanup_free_ char *plain = xasprintf("%s:%s", r->user, r->pass);
        _cleanup_free_ char *b64 = base64_encode(plain, strlen(plain));
        basic = xasprintf("Basic %s", b64);
    }
    struct http_request rq = {
        .url = url, .authorization = basic, .insecure = r->insecure, .max_body = TOKEN_MAX};
    struct http_response resp = {0};
    int ret = http_get(&rq, &resp, err);
    if (ret < 0)
        return hk_error_prefix(err, ret, "token from %s", c->realm);
    json_t *j = resp.status == 200 ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    const char *tok = json_string_value(json_object_get(j, "token"));
    if (!tok)
        tok = json_string_value(json_object_get(j, "access_token"));
    if (tok) {
        free(r->authorization);
        r->authorization = xasprintf("Bearer %s", tok);
    } else {
        char st[256];
        http_status_text(&resp, st, sizeof(st));
        ret = hk_error_set(err, resp.status == 401 || resp.status == 403 ? -EACCES : -EPROTO,
                           "token from %s: %s", c->realm,
                           resp.status == 200 ? "no token in the response" : st);
    }
    json_decref(j);
    http_response_clear(&resp);
    return ret;
}

/* Answer a 401's WWW-Authenticate header. */
static int authenticate(struct registry *r, const char *header, struct hk_error *err)
{
    struct auth_challenge c = {0};
    int ret = auth_parse_challenge(header ? header : "", &c, err);
    if (ret < 0)
        return ret;
    if (strcasecmp(c.scheme, "Bearer") == 0) {
        ret = fetch_token(r, &c, err);
    } else if (strcasecmp(c.scheme, "Basic") == 0) {
        if (!r->user)
            ret = hk_error_set(err, -EACCES, "authentication required: run 'hako login %s'",
                               r->domain);
        else {
            _cleanup_free_ char *plain = xasprintf("%s:%s", r->user, r->pass);
            _cleanup_free_ char *b64 = base64_encode(plain, strlen(plain));
            free(r->authorization);
            r->authorization = xasprintf("Basic %s", b64);
        }
    } else {
        ret = hk_error_set(err, -EOPNOTSUPP, "unsupported authentication scheme '%s'", c.scheme);
    }
    auth_challenge_clear(&c);
    return ret;
}

/* A request to path (under base, or an absolute URL) with the current credentials; on a 401
 * authenticate and retry once. rq carries everything but the URL and Authorization. */
static int request(struct registry *r, const char *path, struct http_request *rq,
                   struct http_response *resp, struct hk_error *err)
{
    bool absolute = strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0;
    _cleanup_free_ char *url = absolute ? xstrdup(path) : xasprintf("%s%s", r->base, path);
    /* a URL the registry handed out (an upload's Location) on another host gets no credentials */
    size_t nb = strlen(r->base);
    bool ours = !absolute || (strncmp(url, r->base, nb) == 0 && (url[nb] == '/' || !url[nb]));
    rq->url = url;
    rq->insecure = r->insecure;
    for (int attempt = 0;; attempt++) {
        rq->authorization = ours ? r->authorization : NULL;
        int ret = http_get(rq, resp, err);
        if (ret < 0)
            return ret;
        if (resp->status != 401 || attempt > 0)
            return 0;
        _cleanup_free_ char *hdr = xstrdup(resp->www_authenticate);
        bool had_auth = r->authorization != NULL && !(hdr && strcasestr(hdr, "scope="));
        if (had_auth)
            return 0; /* our credentials were refused: report the 401 */
        http_response_clear(resp);
        ret = authenticate(r, hdr, err);
        if (ret < 0)
            return ret;
    }
}

/* Find the scheme (https, or http where allowed) and authenticate from the /v2/ ping. */
static int ping(struct registry *r, const char *host, struct hk_error *err)
{
    struct http_request rq = {.max_body = 1u << 20};
    struct http_response resp = {0};
    struct hk_error https_err = {0};
    r->base = xasprintf("https://%s", host);
    int ret = request(r, "/v2/", &rq, &resp, &https_err);
    if (ret < 0 && r->allow_http) {
        free(r->base);
        r->base = xasprintf("http://%s", host);
        ret = request(r, "/v2/", &rq, &resp, err);
        if (ret < 0)
            return hk_error_prefix(err, ret, "cannot connect: https: %s; http",
                                   hk_error_msg(&https_err));
    } else if (ret < 0) {
        if (err)
            *err = https_err;
        return hk_error_prefix(err, ret, "cannot connect");
    }
    log_debug("registry %s: using %s", r->domain, r->base);
    char st[256];
    http_status_text(&resp, st, sizeof(st));
    if (resp.status == 401)
        ret = hk_error_set(err, -EACCES, "/v2/: %s: %s", st,
                           r->user ? "credentials refused" : "authentication required");
    else if (resp.status != 200)
        ret = hk_error_set(err, -EPROTO, "/v2/: %s (not a registry?)", st);
    http_response_clear(&resp);
    return ret;
}

int registry_open(const char *domain, const char *repo, const struct registry_opts *o,
                  struct registry **ret, struct hk_error *err)
{
    int e = http_init(err);
    if (e < 0)
        return e;
    struct registry *r = xcalloc(1, sizeof(*r));
    r->domain = xstrdup(domain);
    r->repo = xstrdup(repo);
    r->scopes = o->scopes ? xstrdup(o->scopes) : NULL;
    r->insecure = !o->tls_verify;
    r->allow_http = !o->tls_verify || ref_domain_is_local(domain);
    if (o->user) {
        r->user = xstrdup(o->user);
        r->pass = xstrdup(o->pass ? o->pass : "");
    } else {
        e = auth_get(o->authfile, domain, &r->user, &r->pass, err);
    }
    const char *host = strcmp(domain, REF_DEFAULT_DOMAIN) == 0 ? "registry-1.docker.io" : domain;
    if (e == 0)
        e = ping(r, host, err);
    if (e < 0) {
        e = fail_ctx(r, e, err);
        registry_free(r);
        return e;
    }
    *ret = r;
    return 0;
}

struct registry *registry_free(struct registry *r)
{
    if (!r)
        return NULL;
    free(r->domain);
    free(r->repo);
    free(r->base);
    free(r->user);
    free(r->pass);
    free(r->scopes);
    free(r->authorization);
    free(r);
    return NULL;
}

int registry_get_manifest(struct registry *r, const char *reference, struct http_response *ret,
                          struct hk_error *err)
{
    _cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s", r->repo, reference);
    struct http_request rq = {.accept = MANIFEST_ACCEPT, .max_body = STORE_JSON_MAX};
    struct http_response resp = {0};
    int e = request(r, path, &rq, &resp, err);
    if (e < 0)
        return hk_error_prefix(err, e, "registry %s: repository %s: manifest %s", r->domain,
                               r->repo, reference);
    if (resp.status != 200) {
        char st[256];
        http_status_text(&resp, st, sizeof(st));
        e = hk_error_set(err,
                         resp.status == 404   ? -ENOENT
                         : resp.status == 401 ? -EACCES
                                              : -EPROTO,
                         "registry %s: repository %s: manifest %s: %s", r->domain, r->repo,
                         reference, st);
        http_response_clear(&resp);
        return e;
    }
    *ret = resp;
    return 0;
}

int registry_request(struct registry *r, const char *where, struct http_request *rq,
                     struct http_response *resp, struct hk_error *err)
{
    return request(r, where, rq, resp, err);
}

/* --- for registry-blobs.c ------------------------------------------------------------------ */

int registry_blob_request(struct registry *r, const char *digest, struct http_request *rq,
                          char **ret_url)
{
    *ret_url = xasprintf("%s/v2/%s/blobs/%s", r->base, r->repo, digest);
    rq->url = *ret_url;
    rq->authorization = r->authorization;
    rq->insecure = r->insecure;
    return 0;
}

int registry_reauth(struct registry *r, const char *www_authenticate, struct hk_error *err)
{
    return authenticate(r, www_authenticate, err);
}

const char *registry_domain(const struct registry *r)
{
    return r->domain;
}

const char *registry_repo(const struct registry *r)
{
    return r->repo;
}
