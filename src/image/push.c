/* push.c — pushing an image to a registry; see push.h. */
#include "image/push.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/reference.h"
#include "image/registry.h"
#include "util/fs.h"

#define MAX_MOUNT_SOURCES 3

struct push {
    struct store *s;
    const struct push_opts *o;
    struct image_ref ref;
    struct registry *reg;
    json_t *records;
    char *manifest;
    size_t manifest_len;
    struct manifest m;
    size_t index; /* the layer being pushed (SIZE_MAX: the config) */
};

static void report(struct push *p, enum progress_state st, uint64_t done, uint64_t total,
                   const char *digest)
{
    const struct progress *pr = p->o->progress;
    if (pr && pr->layer && p->index != SIZE_MAX)
        pr->layer(pr->ud, p->index, digest, st, done, total);
}

/* Fail with the response's status: "<what>: HTTP 403 (DENIED: ...)". */
static int status_error(const struct http_response *resp, const char *what, struct hk_error *err)
{
    char st[256];
    http_status_text(resp, st, sizeof(st));
    return hk_error_set(err, resp->status == 401 || resp->status == 403 ? -EACCES : -EPROTO,
                        "%s: %s", what, st);
}

/* Other repositories of the same registry that hold blob digest: the repo digests of the
 * store's images that have it as a layer. */
static size_t mount_sources(struct push *p, const char *digest, char **out, size_t max)
{
    size_t n = 0;
    const char *id;
    json_t *img;
    json_object_foreach(json_object_get(p->records, "images"), id, img)
    {
        bool has = false;
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(img, "layers"), i, l) has |=
            json_string_value(json_object_get(l, "digest")) &&
            strcmp(json_string_value(json_object_get(l, "digest")), digest) == 0;
        json_t *rd;
        json_array_foreach(json_object_get(img, "repo_digests"), i, rd)
        {
            struct image_ref r = {0};
            if (!has || n == max || ref_parse(json_string_value(rd), &r, NULL) < 0)
                continue;
            bool dup = false;
            for (size_t k = 0; k < n; k++)
                dup |= strcmp(out[k], r.path) == 0;
            if (!dup && strcmp(r.domain, p->ref.domain) == 0 && strcmp(r.path, p->ref.path) != 0)
                out[n++] = xstrdup(r.path);
            ref_clear(&r);
        }
    }
    return n;
}

/* "repository:<repo>:pull,push" plus pull on every repository a layer may be mounted from. */
static char *scopes(struct push *p)
{
    char *s = xasprintf("repository:%s:pull,push", p->ref.path);
    for (size_t i = 0; i < p->m.n_layers; i++) {
        char *src[MAX_MOUNT_SOURCES];
        size_t n = mount_sources(p, p->m.layers[i].digest, src, MAX_MOUNT_SOURCES);
        for (size_t k = 0; k < n; k++) {
            _cleanup_free_ char *one = xasprintf("repository:%s:pull", src[k]);
            if (!strstr(s, one)) {
                char *next = xasprintf("%s %s", s, one);
                free(s);
                s = next;
            }
            free(src[k]);
        }
    }
    return s;
}

/* HEAD the blob: 1 when the registry has it, 0 when not. */
static int blob_exists(struct push *p, const char *digest, struct hk_error *err)
{
    _cleanup_free_ char *path = xasprintf("/v2/%s/blobs/%s", p->ref.path, digest);
    struct http_request rq = {.method = "HEAD", .body_fd = -1};
    struct http_response resp = {0};
    int r = registry_request(p->reg, path, &rq, &resp, err);
    if (r == 0 && resp.status != 200 && resp.status != 404)
        r = status_error(&resp, "HEAD blob", err);
    if (r == 0)
        r = resp.status == 200;
    http_response_clear(&resp);
    return r;
}

/* POST an upload (with ?mount=&from=, a cross-repository mount). Returns 1 when the registry
 * mounted the blob (201), else 0 with *ret_location (allocated) where to upload. */
static int start_upload(struct push *p, const char *digest, const char *from,
                        char **ret_location, struct hk_error *err)
{
    _cleanup_free_ char *path =
        from ? xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", p->ref.path, digest, from)
             : xasprintf("/v2/%s/blobs/uploads/", p->ref.path);
    struct http_request rq = {.method = "POST", .body_fd = -1};
    struct http_response resp = {0};
    int r = registry_request(p->reg, path, &rq, &resp, err);
    if (r == 0 && from && resp.status == 201)
        r = 1;
    else if (r == 0 && resp.status == 202 && resp.location)
        *ret_location = xstrdup(resp.location);
    else if (r == 0)
        r = status_error(&resp, "start upload", err);
    http_response_clear(&resp);
    return r;
}

struct sending {
    struct push *p;
    const struct descriptor *d;
    uint64_t base; /* bytes of the blob sent before this request */
};

static void on_sent(void *ud, uint64_t sent)
{
    struct sending *s = ud;
    report(s->p, PROGRESS_PUSHING, s->base + sent, (uint64_t)s->d->size, s->d->digest);
}

/* Send [off, off+len) of fd to location: a PATCH (want 202) or the final PUT with ?digest=
 * (want 201). *location is replaced by the next one the registry gives. */
static int send_part(struct push *p, const struct descriptor *d, char **location, int fd,
                     uint64_t off, uint64_t len, bool final, struct hk_error *err)
{
    _cleanup_free_ char *range = len ? xasprintf("%llu-%llu", (unsigned long long)off,
                                                 (unsigned long long)(off + len - 1))
                                     : NULL;
    _cleanup_free_ char *where =
        final ? xasprintf("%s%sdigest=%s", *location, strchr(*location, '?') ? "&" : "?",
                          d->digest)
              : xstrdup(*location);
    struct sending sd = {p, d, off};
    struct http_request rq = {
        .method = final ? "PUT" : "PATCH",
        .content_type = "application/octet-stream",
        .content_range = final ? NULL : range,
        .body_fd = len ? fd : -1,
        .body_off = (int64_t)off,
        .body_len = len,
        .on_sent = on_sent,
        .sent_ud = &sd,
    };
    struct http_response resp = {0};
    int r = registry_request(p->reg, where, &rq, &resp, err);
    if (r == 0 && resp.status != (final ? 201 : 202))
        r = status_error(&resp, final ? "PUT blob" : "PATCH blob", err);
    if (r == 0 && !final) {
        if (!resp.location)
            r = hk_error_set(err, -EPROTO, "PATCH blob: no Location in the answer");
        else {
            free(*location);
            *location = xstrdup(resp.location);
        }
    }
    http_response_clear(&resp);
    return r;
}

/* Upload the store's blob to location: one PUT up to PUSH_CHUNK, else PATCHes and a PUT. */
static int upload(struct push *p, const struct descriptor *d, char **location,
                  struct hk_error *err)
{
    _cleanup_close_ int fd = -1;
    int r = store_blob_open(p->s, d->digest, &fd, err);
    struct stat st;
    if (r == 0 && fstat(fd, &st) < 0)
        r = hk_error_errno(err, -errno, "stat");
    if (r == 0 && st.st_size != d->size)
        r = hk_error_set(err, -EIO, "the store's blob has %lld bytes, the manifest says %lld",
                         (long long)st.st_size, (long long)d->size);
    if (r < 0)
        return r;
    uint64_t size = (uint64_t)d->size;
    if (size <= PUSH_CHUNK)
        return send_part(p, d, location, fd, 0, size, true, err);
    uint64_t off = 0;
    for (; r == 0 && off < size; off += PUSH_CHUNK) {
        uint64_t len = size - off < PUSH_CHUNK ? size - off : PUSH_CHUNK;
        r = send_part(p, d, location, fd, off, len, false, err);
    }
    return r < 0 ? r : send_part(p, d, location, fd, size, 0, true, err);
}

/* One blob: skipped when there, mounted when another repository has it, else uploaded. */
static int push_blob(struct push *p, const struct descriptor *d, struct hk_error *err)
{
    int r = blob_exists(p, d->digest, err);
    if (r != 0) {
        if (r > 0)
            report(p, PROGRESS_EXISTS, 0, 0, d->digest);
        return r < 0 ? r : 0;
    }
    _cleanup_free_ char *location = NULL;
    char *src[MAX_MOUNT_SOURCES];
    size_t n = p->index == SIZE_MAX ? 0 : mount_sources(p, d->digest, src, MAX_MOUNT_SOURCES);
    for (size_t k = 0; k < n; k++) {
        if (r == 0 && !location) {
            r = start_upload(p, d->digest, src[k], &location, err);
            if (r > 0 && p->o->on_mount)
                p->o->on_mount(p->o->progress ? p->o->progress->ud : NULL, p->index, src[k]);
        }
        free(src[k]);
    }
    if (r > 0) {
        report(p, PROGRESS_MOUNTED, 0, 0, d->digest);
        return 0;
    }
    if (r == 0 && !location)
        r = start_upload(p, d->digest, NULL, &location, err);
    if (r == 0)
        r = upload(p, d, &location, err);
    if (r == 0)
        report(p, PROGRESS_PUSHED, (uint64_t)d->size, (uint64_t)d->size, d->digest);
    return r;
}

static int put_manifest(struct push *p, struct push_result *ret, struct hk_error *err)
{
    _cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s", p->ref.path, p->ref.tag);
    struct http_request rq = {
        .method = "PUT",
        .content_type = p->m.media_type ? p->m.media_type : MT_OCI_MANIFEST,
        .body = p->manifest,
        .body_fd = -1,
        .body_len = p->manifest_len,
    };
    struct http_response resp = {0};
    int r = registry_request(p->reg, path, &rq, &resp, err);
    if (r == 0 && resp.status != 201)
        r = status_error(&resp, "PUT manifest", err);
    char digest[DIGEST_STR_SIZE];
    if (r == 0)
        r = digest_buffer(p->manifest, p->manifest_len, digest, err);
    if (r == 0 && resp.docker_digest && strcmp(resp.docker_digest, digest) != 0)
        r = hk_error_set(err, -EBADMSG, "PUT manifest: the registry stored %s, not %s",
                         resp.docker_digest, digest);
    http_response_clear(&resp);
    if (r < 0)
        return hk_error_prefix(err, r, "manifest %s", p->ref.tag);
    memcpy(ret->digest, digest, DIGEST_STR_SIZE);
    ret->tag = xstrdup(p->ref.tag);
    ret->size = p->manifest_len;
    return 0;
}

/* The image's manifest from the store, parsed; and the records (for mount sources). */
static int load_image(struct push *p, struct hk_error *err)
{
    struct image *img = NULL;
    _cleanup_free_ char *full = ref_string(&p->ref);
    int r = image_lookup(p->s, full, &img, err);
    if (r < 0)
        return hk_error_prefix(err, r, "An image does not exist locally with the tag: %s",
                               full);
    r = store_read_blob(p->s, img->manifest_digest, STORE_JSON_MAX, &p->manifest,
                        &p->manifest_len, err);
    const char *mt = json_string_value(json_object_get(img->record, "manifest_media_type"));
    if (r == 0)
        r = manifest_parse(p->manifest, p->manifest_len, mt, &p->m, err);
    if (r == 0 && p->m.is_index)
        r = hk_error_set(err, -EINVAL, "%s: an index, not an image manifest", full);
    image_free(img);
    if (r == 0)
        r = store_records_load(p->s, &p->records, err);
    return r;
}

static int add_repo_digest(json_t *records, void *ud, struct hk_error *err)
{
    (void)err;
    const char **a = ud; /* {manifest digest, repo digest} */
    const char *id;
    json_t *img;
    json_object_foreach(json_object_get(records, "images"), id, img)
    {
        const char *m = json_string_value(json_object_get(img, "manifest"));
        json_t *rds = json_object_get(img, "repo_digests");
        if (!m || strcmp(m, a[0]) != 0 || !json_is_array(rds))
            continue;
        bool have = false;
        size_t i;
        json_t *d;
        json_array_foreach(rds, i, d) have |= json_string_value(d) &&
                                              strcmp(json_string_value(d), a[1]) == 0;
        if (!have)
            json_array_append_new(rds, json_string(a[1]));
    }
    return 0;
}

static int push_run(struct push *p, struct push_result *ret, struct hk_error *err)
{
    int r = load_image(p, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *name = ref_name(&p->ref);
    if (p->o->on_start)
        p->o->on_start(p->o->progress ? p->o->progress->ud : NULL, name, p->m.n_layers);
    for (p->index = 0; p->index < p->m.n_layers; p->index++)
        report(p, PROGRESS_PREPARING, 0, 0, p->m.layers[p->index].digest);
    _cleanup_free_ char *sc = scopes(p);
    struct registry_opts ro = {
        .tls_verify = p->o->tls_verify, .authfile = p->o->authfile, .scopes = sc,
        .user = p->o->user, .pass = p->o->pass};
    r = registry_open(p->ref.domain, p->ref.path, &ro, &p->reg, err);
    for (p->index = 0; r == 0 && p->index < p->m.n_layers; p->index++) {
        r = push_blob(p, &p->m.layers[p->index], err);
        if (r < 0)
            r = hk_error_prefix(err, r, "registry %s: repository %s: layer %s", p->ref.domain,
                                p->ref.path, p->m.layers[p->index].digest);
    }
    p->index = SIZE_MAX;
    if (r == 0) {
        r = push_blob(p, &p->m.config, err);
        if (r < 0)
            r = hk_error_prefix(err, r, "registry %s: repository %s: config %s", p->ref.domain,
                                p->ref.path, p->m.config.digest);
    }
    if (r == 0) {
        r = put_manifest(p, ret, err);
        if (r < 0)
            r = hk_error_prefix(err, r, "registry %s: repository %s", p->ref.domain,
                                p->ref.path);
    }
    if (r == 0) {
        _cleanup_free_ char *rd = xasprintf("%s@%s", name, ret->digest);
        const char *a[2] = {ret->digest, rd};
        r = store_records_update(p->s, add_repo_digest, a, err);
    }
    return r;
}

int image_push(struct store *s, const struct push_opts *o, struct push_result *ret,
               struct hk_error *err)
{
    struct push p = {.s = s, .o = o, .index = SIZE_MAX};
    int r = ref_parse(o->name, &p.ref, err);
    if (r == 0 && !p.ref.tag)
        r = hk_error_set(err, -EINVAL, "push: '%s': give a tag, not a digest", o->name);
    if (r < 0) {
        ref_clear(&p.ref);
        return r;
    }
    struct push_result res = {0};
    r = push_run(&p, &res, err);
    registry_free(p.reg);
    manifest_clear(&p.m);
    json_decref(p.records);
    free(p.manifest);
    ref_clear(&p.ref);
    if (r < 0) {
        push_result_clear(&res);
        return r;
    }
    *ret = res;
    return 0;
}

void push_result_clear(struct push_result *r)
{
    if (!r)
        return;
    free(r->tag);
    r->tag = NULL;
}
