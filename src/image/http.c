/* http.c — libcurl transfers for the registry client; see http.h. */
#include "image/http.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/fs.h"
#include "util/lazy.h"

#define ERROR_BODY_MAX (64u << 10)

struct http_xfer {
    const struct http_request *rq;
    CURL *h;
    struct curl_slist *headers;
    char errbuf[CURL_ERROR_SIZE];
    struct http_response resp;
    size_t cap;
    bool too_large;
    bool sink_failed;
    uint64_t sent; /* body bytes sent */
};

/* One connection cache, DNS cache and TLS session cache for every transfer of the process:
 * the ping, the token, the manifests and the blobs of a pull reuse one connection (and one
 * TLS handshake) where the registry allows. Transfers run in one thread, so no locking. */
static CURLSH *share;

int http_init(struct hk_error *err)
{
    static bool done;
    int r = lazy_require(LAZY_CURL, err);
    if (r < 0 || done)
        return r;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return hk_error_set(err, -EIO, "curl_global_init failed");
    share = curl_share_init();
    if (share) {
        curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    done = true;
    return 0;
}

static void set_str(char **dst, const char *v, size_t n)
{
    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    free(*dst);
    *dst = strndup(v, n);
}

/* Keep the headers of the last response only: a new status line (after a redirect or a
 * "100 Continue") starts over. */
static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    struct http_xfer *x = ud;
    size_t len = size * n;
    struct {
        const char *name;
        char **dst;
    } keep[] = {{"content-type:", &x->resp.content_type},
                {"docker-content-digest:", &x->resp.docker_digest},
                {"www-authenticate:", &x->resp.www_authenticate},
                {"location:", &x->resp.location}};
    if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        for (size_t i = 0; i < ELEMENTSOF(keep); i++) {
            free(*keep[i].dst);
            *keep[i].dst = NULL;
        }
        x->resp.content_length = -1;
        return len;
    }
    for (size_t i = 0; i < ELEMENTSOF(keep); i++) {
        size_t k = strlen(keep[i].name);
        if (len > k && strncasecmp(buf, keep[i].name, k) == 0)
            set_str(keep[i].dst, buf + k, len - k);
    }
    if (len > 15 && strncasecmp(buf, "content-length:", 15) == 0)
        x->resp.content_length = strtoll(buf + 15, NULL, 10);
    return len;
}

static size_t to_memory(struct http_xfer *x, const char *data, size_t len, size_t max)
{
    if (x->resp.len + len > max) {
        if (max == ERROR_BODY_MAX)
            return len; /* an error body: keeping its start is enough */
        x->too_large = true;
        return 0;
    }
    if (x->resp.len + len + 1 > x->cap) {
        x->cap = (x->resp.len + len + 1) * 2;
        x->resp.body = xrealloc(x->resp.body, x->cap);
    }
    memcpy(x->resp.body + x->resp.len, data, len);
    x->resp.len += len;
    x->resp.body[x->resp.len] = '\0';
    return len;
}

static size_t on_data(char *data, size_t size, size_t n, void *ud)
{
    struct http_xfer *x = ud;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return to_memory(x, data, len, ERROR_BODY_MAX);
    if (!x->rq->sink)
        return to_memory(x, data, len, x->rq->max_body);
    if (x->rq->sink(x->rq->sink_ud, data, len) < 0) {
        x->sink_failed = true;
        return 0;
    }
    return len;
}

/* The body of an upload, from memory or by pread from its file. */
static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    struct http_xfer *x = ud;
    const struct http_request *rq = x->rq;
    size_t want = size * n;
    if (want > rq->body_len - x->sent)
        want = (size_t)(rq->body_len - x->sent);
    if (want == 0)
        return 0;
    ssize_t got;
    if (rq->body_fd >= 0) {
        do
            got = pread(rq->body_fd, buf, want, rq->body_off + (int64_t)x->sent);
        while (got < 0 && errno == EINTR);
        if (got <= 0)
            return CURL_READFUNC_ABORT;
    } else {
        memcpy(buf, (const char *)rq->body + x->sent, want);
        got = (ssize_t)want;
    }
    x->sent += (uint64_t)got;
    if (rq->on_sent)
        rq->on_sent(rq->sent_ud, x->sent);
    return (size_t)got;
}

/* Curl rewinds the body when it must send it again (after a redirect or a 401 it reads). */
static int on_seek(void *ud, curl_off_t off, int origin)
{
    struct http_xfer *x = ud;
    if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->rq->body_len)
        return CURL_SEEKFUNC_CANTSEEK;
    x->sent = (uint64_t)off;
    return CURL_SEEKFUNC_OK;
}

static void setup_method(struct http_xfer *x)
{
    const struct http_request *rq = x->rq;
    CURL *h = x->h;
    if (!rq->method)
        return;
    if (strcmp(rq->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        return;
    }
    if (strcmp(rq->method, "POST") == 0 && rq->body_len == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        return;
    }
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_len);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, x);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
    if (strcmp(rq->method, "PUT") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    /* no "Expect: 100-continue" round trip before each blob */
    x->headers = curl_slist_append(x->headers, "Expect:");
}

static void add_header(struct http_xfer *x, const char *name, const char *value)
{
    if (!value)
        return;
    _cleanup_free_ char *a = xasprintf("%s: %s", name, value);
    x->headers = curl_slist_append(x->headers, a);
}

static void setup(struct http_xfer *x)
{
    const struct http_request *rq = x->rq;
    CURL *h = x->h;
    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    if (share)
        curl_easy_setopt(h, CURLOPT_SHARE, share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "hako/" HAKO_VERSION);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    /* a stalled transfer (under 1 byte/s for 60 s) fails instead of hanging */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    if (rq->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    add_header(x, "Accept", rq->accept);
    add_header(x, "Authorization", rq->authorization);
    add_header(x, "Content-Type", rq->content_type);
    add_header(x, "Content-Range", rq->content_range);
    setup_method(x);
    if (x->headers)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
}

int http_xfer_new(const struct http_request *rq, struct http_xfer **ret, struct hk_error *err)
{
    int r = http_init(err);
    if (r < 0)
        return r;
    struct http_xfer *x = xcalloc(1, sizeof(*x));
    x->rq = rq;
    x->resp.content_length = -1;
    x->h = curl_easy_init();
    if (!x->h) {
        free(x);
        return hk_error_set(err, -ENOMEM, "curl_easy_init failed");
    }
    setup(x);
    *ret = x;
    return 0;
}

void *http_xfer_handle(struct http_xfer *x)
{
    return x->h;
}

int http_xfer_finish(struct http_xfer *x, int code, struct http_response *resp,
                     struct hk_error *err)
{
    if (x->sink_failed)
        return err && err->code ? err->code : -EIO; /* the sink said why */
    if (x->too_large)
        return hk_error_set(err, -EFBIG, "%s: response larger than %zu bytes", x->rq->url,
                            x->rq->max_body);
    if (code != CURLE_OK) {
        int e = code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ? -ECONNREFUSED
                : code == CURLE_OPERATION_TIMEDOUT                                  ? -ETIMEDOUT
                                                                                    : -EIO;
        return hk_error_set(err, e, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(code));
    }
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->resp.status);
    *resp = x->resp;
    x->resp = (struct http_response){0};
    return 0;
}

struct http_xfer *http_xfer_free(struct http_xfer *x)
{
    if (!x)
        return NULL;
    curl_easy_cleanup(x->h);
    curl_slist_free_all(x->headers);
    http_response_clear(&x->resp);
    free(x);
    return NULL;
}

int http_get(const struct http_request *rq, struct http_response *resp, struct hk_error *err)
{
    struct http_xfer *x = NULL;
    int r = http_xfer_new(rq, &x, err);
    if (r < 0)
        return r;
    CURLcode code = curl_easy_perform(x->h);
    r = http_xfer_finish(x, code, resp, err);
    http_xfer_free(x);
    return r;
}

void http_response_clear(struct http_response *resp)
{
    if (!resp)
        return;
    free(resp->content_type);
    free(resp->docker_digest);
    free(resp->www_authenticate);
    free(resp->location);
    free(resp->body);
    *resp = (struct http_response){.content_length = -1};
}

void http_status_text(const struct http_response *resp, char *buf, size_t size)
{
    json_t *j = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
    json_t *e = json_array_get(json_object_get(j, "errors"), 0);
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (code || msg)
        snprintf(buf, size, "HTTP %ld (%s%s%s)", resp->status, code ? code : "",
                 code && msg ? ": " : "", msg ? msg : "");
    else
        snprintf(buf, size, "HTTP %ld", resp->status);
    json_decref(j);
}
