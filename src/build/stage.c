/* stage.c — see stage.h. */
#include "build/stage.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/decompress.h"
#include "image/digest.h"
#include "image/http.h"
#include "util/fs.h"

static bool is_url(const char *s)
{
    return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* The file name a URL's download gets: the last component of its path. */
static char *url_file_name(const char *url)
{
    const char *p = strstr(url, "://") + 3;
    size_t end = strcspn(p, "?#");
    const char *path = memchr(p, '/', end);
    if (!path)
        return NULL;
    size_t n = end - (size_t)(path - p);
    while (n > 1 && path[n - 1] == '/')
        n--;
    const char *base = path;
    for (size_t i = 0; i < n; i++)
        if (path[i] == '/')
            base = path + i + 1;
    size_t len = n - (size_t)(base - path);
    if (len == 0 || (len == 1 && base[0] == '.') || (len == 2 && strncmp(base, "..", 2) == 0))
        return NULL;
    return strndup(base, len);
}

struct fetch {
    int fd;
    struct sha256 *h;
    uint64_t got, max;
    struct hk_error *err;
};

static int fetch_sink(void *ud, const void *data, size_t len)
{
    struct fetch *f = ud;
    f->got += len;
    if (f->max && f->got > f->max)
        return hk_error_set(f->err, -EFBIG, "larger than %llu bytes", (unsigned long long)f->max);
    sha256_update(f->h, data, len);
    for (size_t off = 0; off < len;) {
        ssize_t n = write(f->fd, (const char *)data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hk_error_errno(f->err, -errno, "write");
        off += (size_t)n;
    }
    return 0;
}

/* Download url into dirfd/name (mode 0600, as docker): its digest must be checksum when set. */
static int fetch_url(struct store *s, const char *url, int dirfd, const char *name,
                     const char *checksum, struct hk_error *err)
{
    struct expand_limit lim;
    store_expand_limit(s, &lim);
    struct fetch f = {.max = lim.max, .err = err};
    f.fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f.fd < 0)
        return hk_error_errno(err, -errno, "create '%s'", name);
    int r = sha256_new(&f.h, err);
    struct http_request rq = {.url = url, .sink = fetch_sink, .sink_ud = &f, .body_fd = -1};
    struct http_response resp = {0};
    if (r == 0)
        r = http_get(&rq, &resp, err);
    if (r == 0 && (resp.status < 200 || resp.status > 299)) {
        char st[128];
        http_status_text(&resp, st, sizeof(st));
        r = hk_error_set(err, -EIO, "%s", st);
    }
    http_response_clear(&resp);
    char got[DIGEST_STR_SIZE];
    if (f.h)
        sha256_final(f.h, got);
    sha256_free(f.h);
    if (r == 0 && close(f.fd) < 0)
        r = hk_error_errno(err, -errno, "write '%s'", name);
    else if (r < 0)
        close(f.fd);
    if (r == 0 && checksum && strcmp(checksum, got) != 0)
        r = hk_error_set(err, -EBADMSG, "checksum mismatch: expected %s, got %s", checksum, got);
    return r < 0 ? hk_error_prefix(err, r, "fetch %s", url) : 0;
}

static int write_heredoc(const struct build_stage_req *q, const struct df_heredoc *h, int dirfd,
                         struct hk_error *err)
{
    _cleanup_free_ char *body = NULL;
    if (h->expand) {
        int r = df_expand_heredoc(h->content, q->escape, q->lookup, q->ud, &body, err);
        if (r < 0)
            return r;
    }
    const char *text = body ? body : h->content;
    _cleanup_close_ int fd =
        openat(dirfd, h->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0664);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, 0664) < 0)
        return hk_error_errno(err, -errno, "write the heredoc '%s'", h->name);
    return 0;
}

/* Make a fresh subdirectory i of the staging directory (created on first use). */
static int stage_subdir(struct store *s, struct build_stage *st, size_t i, int *ret,
                        struct hk_error *err)
{
    if (!st->dir) {
        int r = store_tmpdir(s, "stage", &st->dir, err);
        if (r < 0)
            return r;
        st->fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (st->fd < 0)
            return hk_error_errno(err, -errno, "open '%s'", st->dir);
    }
    char name[24];
    snprintf(name, sizeof(name), "%zu", i);
    if (mkdirat(st->fd, name, 0755) < 0)
        return hk_error_errno(err, -errno, "mkdir '%s/%s'", st->dir, name);
    *ret = openat(st->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    return *ret < 0 ? hk_error_errno(err, -errno, "open '%s/%s'", st->dir, name) : 0;
}

static int stage_one(struct store *s, const struct build_stage_req *q, struct build_stage *st,
                     size_t i, size_t *heredoc, struct hk_error *err)
{
    char *src = q->srcs[i];
    bool url = q->urls && is_url(src);
    bool here = strncmp(src, "<<", 2) == 0 && *heredoc < q->n_heredocs;
    if (!url && !here)
        return 0;
    _cleanup_free_ char *name = url ? url_file_name(src) : xstrdup(q->heredocs[(*heredoc)++].name);
    if (!name)
        return hk_error_set(err, -EINVAL, "cannot determine a file name from the URL %s", src);
    _cleanup_close_ int dfd = -1;
    int r = stage_subdir(s, st, i, &dfd, err);
    if (r == 0)
        r = url ? fetch_url(s, src, dfd, name, q->checksum, err)
                : write_heredoc(q, &q->heredocs[*heredoc - 1], dfd, err);
    if (r < 0)
        return r;
    st->roots[i] = st->fd;
    q->srcs[i] = xasprintf("/%zu/%s", i, name);
    free(src);
    return 0;
}

int build_stage_sources(struct store *s, const struct build_stage_req *q, struct build_stage *ret,
                        struct hk_error *err)
{
    *ret = (struct build_stage){.fd = -1, .roots = xcalloc(q->n_srcs ? q->n_srcs : 1, sizeof(int))};
    size_t n_urls = 0;
    for (size_t i = 0; i < q->n_srcs; i++) {
        ret->roots[i] = -1;
        n_urls += q->urls && is_url(q->srcs[i]);
    }
    if (q->checksum && (n_urls != 1 || q->n_srcs != 1))
        return hk_error_set(err, -EINVAL, "--checksum needs exactly one source, a URL");
    if (q->checksum && digest_check(q->checksum, err) < 0)
        return hk_error_prefix(err, -EINVAL, "--checksum=%s", q->checksum);
    for (size_t i = 0; i < q->n_srcs && !q->urls; i++)
        if (is_url(q->srcs[i]))
            return hk_error_set(err, -EINVAL, "source can't be a URL for COPY (ADD fetches "
                                "URLs): %s", q->srcs[i]);
    size_t heredoc = 0;
    for (size_t i = 0; i < q->n_srcs; i++) {
        int r = stage_one(s, q, ret, i, &heredoc, err);
        if (r < 0)
            return r;
    }
    return 0;
}

void build_stage_clear(struct build_stage *st)
{
    if (st->fd >= 0)
        close(st->fd);
    if (st->dir)
        rm_rf(st->dir);
    free(st->dir);
    free(st->roots);
    *st = (struct build_stage){.fd = -1};
}
