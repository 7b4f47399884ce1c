/* pull.c — pulling an image from a registry; see pull.h. */
#include "image/pull.h"

#include <string.h>

#include "image/reference.h"
#include "image/registry.h"
#include "util/fs.h"

struct pull {
    struct store *s;
    const struct pull_opts *o;
    struct image_ref ref;
    struct registry *reg;
    char index_digest[DIGEST_STR_SIZE]; /* "" when the reference named a manifest */
    char manifest_digest[DIGEST_STR_SIZE];
    struct manifest m;
};

/* GET reference and check it: by digest, the body must hash to it; by tag, a
 * Docker-Content-Digest header must match the body. Stores the document as a blob. */
static int fetch_doc(struct pull *p, const char *reference, char digest[DIGEST_STR_SIZE],
                     struct manifest *ret, struct hk_error *err)
{
    struct http_response resp = {0};
    int r = registry_get_manifest(p->reg, reference, &resp, err);
    if (r < 0)
        return r;
    r = digest_buffer(resp.body ? resp.body : "", resp.len, digest, err);
    const char *claimed = digest_is_valid(reference) ? reference : resp.docker_digest;
    if (r == 0 && claimed && digest_is_valid(claimed) && strcmp(claimed, digest) != 0)
        r = hk_error_set(err, -EBADMSG, "manifest %s: digest mismatch: expected %s, got %s",
                         reference, claimed, digest);
    if (r == 0)
        r = manifest_parse(resp.body ? resp.body : "", resp.len, resp.content_type, ret, err);
    if (r == 0)
        r = store_put_blob(p->s, resp.body ? resp.body : "", resp.len, digest, NULL, err);
    http_response_clear(&resp);
    if (r < 0)
        return hk_error_prefix(err, r, "registry %s: repository %s: manifest %s", p->ref.domain,
                               p->ref.path, reference);
    return 0;
}

/* The platform manifest: the document itself, or the index entry for the platform. */
static int resolve_manifest(struct pull *p, struct hk_error *err)
{
    const char *reference = p->ref.digest ? p->ref.digest : p->ref.tag;
    char digest[DIGEST_STR_SIZE];
    int r = fetch_doc(p, reference, digest, &p->m, err);
    if (r < 0 || !p->m.is_index) {
        memcpy(p->manifest_digest, digest, sizeof(digest));
        return r;
    }
    memcpy(p->index_digest, digest, sizeof(digest));
    struct platform host;
    const struct platform *want = p->o->platform;
    if (!want) {
        platform_host(&host);
        want = &host;
    }
    size_t i;
    r = manifest_choose(&p->m, want, &i, err);
    if (r < 0)
        return hk_error_prefix(err, r, "%s", p->o->name);
    _cleanup_free_ char *chosen = xstrdup(p->m.manifests[i].digest);
    manifest_clear(&p->m);
    r = fetch_doc(p, chosen, p->manifest_digest, &p->m, err);
    if (r == 0 && p->m.is_index)
        r = hk_error_set(err, -EINVAL, "manifest %s: an index inside an index", chosen);
    return r;
}

static void report(const struct progress *pr, size_t i, const char *digest, enum progress_state st)
{
    if (pr && pr->layer)
        pr->layer(pr->ud, i, digest, st, 0, 0);
}

/* Download the config and the layers not in the store. */
static int fetch_blobs(struct pull *p, struct hk_error *err)
{
    size_t n = p->m.n_layers;
    if (p->m.config.size > (int64_t)STORE_JSON_MAX)
        return hk_error_set(err, -EFBIG, "config %s: %lld bytes, more than the %u allowed",
                            p->m.config.digest, (long long)p->m.config.size, STORE_JSON_MAX);
    struct blob_req *reqs = xcalloc(n + 1, sizeof(*reqs));
    reqs[0] = (struct blob_req){p->m.config.digest, p->m.config.size, SIZE_MAX};
    for (size_t i = 0; i < n; i++) {
        const struct descriptor *d = &p->m.layers[i];
        bool have = store_has_blob(p->s, d->digest);
        report(p->o->progress, i, d->digest, have ? PROGRESS_EXISTS : PROGRESS_WAITING);
        reqs[i + 1] = (struct blob_req){d->digest, d->size, i};
    }
    /* the config first, alone: a small request that also proves the credentials */
    int r = registry_fetch_blobs(p->reg, p->s, reqs, 1, NULL, err);
    if (r == 0)
        r = registry_fetch_blobs(p->reg, p->s, reqs + 1, n, p->o->progress, err);
    free(reqs);
    return r;
}

static const char *current_id(struct store *s, const char *tag, char buf[DIGEST_STR_SIZE])
{
    json_t *records = NULL;
    buf[0] = '\0';
    if (!tag || store_records_load(s, &records, NULL) < 0)
        return buf;
    const char *id = json_string_value(json_object_get(json_object_get(records, "tags"), tag));
    if (id)
        snprintf(buf, DIGEST_STR_SIZE, "%s", id);
    json_decref(records);
    return buf;
}

static int pull_run(struct pull *p, struct pull_result *ret, struct hk_error *err)
{
    struct registry_opts ro = {.tls_verify = p->o->tls_verify, .authfile = p->o->authfile,
                              .user = p->o->user, .pass = p->o->pass};
    int r = registry_open(p->ref.domain, p->ref.path, &ro, &p->reg, err);
    if (r == 0)
        r = resolve_manifest(p, err);
    if (r < 0)
        return r;
    if (p->o->on_manifest)
        p->o->on_manifest(p->o->progress ? p->o->progress->ud : NULL,
                          p->ref.digest ? p->ref.digest : p->ref.tag, p->ref.path, p->m.n_layers);
    r = fetch_blobs(p, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *name = ref_name(&p->ref);
    _cleanup_free_ char *full = ref_string(&p->ref);
    const char *resolved = p->index_digest[0] ? p->index_digest : p->manifest_digest;
    _cleanup_free_ char *repo_digest = xasprintf("%s@%s", name, resolved);
    _cleanup_free_ char *tag = p->ref.digest ? NULL : xstrdup(full);
    char before[DIGEST_STR_SIZE];
    current_id(p->s, tag, before);
    struct image_add a = {
        .manifest_digest = p->manifest_digest,
        .index_digest = p->index_digest[0] ? p->index_digest : NULL,
        .tag = tag,
        .repo_digest = repo_digest,
        .progress = p->o->progress,
    };
    r = image_add(p->s, &a, ret->id, err);
    if (r < 0)
        return r;
    memcpy(ret->digest, resolved, DIGEST_STR_SIZE);
    ret->name = TAKE_PTR(full);
    ret->newer = strcmp(before, ret->id) != 0;
    return 0;
}

int image_pull(struct store *s, const struct pull_opts *o, struct pull_result *ret,
               struct hk_error *err)
{
    struct pull p = {.s = s, .o = o};
    int r = ref_parse(o->name, &p.ref, err);
    if (r < 0)
        return r;
    struct pull_result res = {0};
    r = pull_run(&p, &res, err);
    registry_free(p.reg);
    manifest_clear(&p.m);
    ref_clear(&p.ref);
    if (r < 0) {
        pull_result_clear(&res);
        store_gc(s, NULL); /* drop the verified blobs of the failed pull, unless others run */
        return r;
    }
    *ret = res;
    return 0;
}

void pull_result_clear(struct pull_result *r)
{
    if (!r)
        return;
    free(r->name);
    r->name = NULL;
}
