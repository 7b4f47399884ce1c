/* add.c — recording an image whose blobs are in the store (the last step of pull, load,
 * import and build-busybox). */
#include <string.h>
#include <time.h>

#include "image/image.h"
#include "image/unpack.h"
#include "util/fs.h"

struct record_req {
    const struct image_add *a;
    const char *id;
    json_t *rec;
};

static int do_record(json_t *records, void *ud, struct hk_error *err)
{
    struct record_req *q = ud;
    (void)err;
    json_t *images = json_object_get(records, "images");
    json_t *old = json_object_get(images, q->id);
    /* keep the repo digests the image already had */
    json_t *rds = json_object_get(q->rec, "repo_digests");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(old, "repo_digests"), i, d)
    {
        bool seen = false;
        size_t k;
        json_t *e;
        json_array_foreach(rds, k, e) seen |= json_equal(d, e);
        if (!seen)
            json_array_append(rds, d);
    }
    json_object_set(images, q->id, q->rec);
    if (q->a->tag)
        json_object_set_new(json_object_get(records, "tags"), q->a->tag, json_string(q->id));
    return 0;
}

/* The layers of manifest m joined with the config's diff IDs. */
static int layer_list(const struct manifest *m, json_t *diff_ids, json_t **ret,
                      struct hk_error *err)
{
    json_t *layers = json_array();
    for (size_t i = 0; i < m->n_layers; i++)
        json_array_append_new(
            layers, json_pack("{s:s, s:s, s:I, s:O}", "digest", m->layers[i].digest, "media_type",
                              m->layers[i].media_type, "size", (json_int_t)m->layers[i].size,
                              "diff_id", json_array_get(diff_ids, i)));
    (void)err;
    *ret = layers;
    return 0;
}

static int check_blobs(struct store *s, const struct manifest *m, struct hk_error *err)
{
    for (size_t i = 0; i < m->n_layers; i++)
        if (!store_has_blob(s, m->layers[i].digest))
            return hk_error_set(err, -ENOENT, "layer %s is not in the store", m->layers[i].digest);
    return 0;
}

static json_t *make_record(const struct image_add *a, const struct manifest *m, json_t *config,
                           json_t *layers)
{
    json_int_t size = 0;
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l) size +=
        json_integer_value(json_object_get(l, "unpacked_size"));
    json_t *rec = json_pack("{s:s, s:s, s:O, s:I, s:I, s:[]}", "manifest", a->manifest_digest,
                            "manifest_media_type", m->media_type, "layers", layers, "size", size,
                            "added", (json_int_t)time(NULL), "repo_digests");
    json_t *created = json_object_get(config, "created");
    if (json_is_string(created))
        json_object_set(rec, "created", created);
    if (a->index_digest)
        json_object_set_new(rec, "index", json_string(a->index_digest));
    if (a->repo_digest)
        json_array_append_new(json_object_get(rec, "repo_digests"), json_string(a->repo_digest));
    return rec;
}

static int load_config(struct store *s, const struct manifest *m, json_t **ret,
                       struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = store_read_blob(s, m->config.digest, STORE_JSON_MAX, &text, &len, err);
    if (r < 0)
        return hk_error_prefix(err, r, "config");
    json_error_t jerr;
    json_t *config = json_loadb(text, len, 0, &jerr);
    if (!config)
        return hk_error_set(err, -EINVAL, "config %s is not JSON: %s", m->config.digest, jerr.text);
    *ret = config;
    return 0;
}

int image_add(struct store *s, const struct image_add *a, char *ret_id, struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = store_read_blob(s, a->manifest_digest, STORE_JSON_MAX, &text, &len, err);
    if (r < 0)
        return hk_error_prefix(err, r, "manifest");
    struct manifest m = {0};
    r = manifest_parse(text, len, NULL, &m, err);
    if (r == 0 && m.is_index)
        r = hk_error_set(err, -EINVAL, "%s is an index, not an image manifest", a->manifest_digest);
    json_t *config = NULL, *diff_ids = NULL, *layers = NULL, *rec = NULL;
    if (r == 0)
        r = load_config(s, &m, &config, err);
    if (r == 0)
        r = config_diff_ids(config, m.n_layers, &diff_ids, err);
    if (r == 0)
        r = check_blobs(s, &m, err);
    if (r == 0)
        r = layer_list(&m, diff_ids, &layers, err);
    if (r == 0)
        r = unpack_layers(s, layers, a->progress, err);
    if (r == 0) {
        rec = make_record(a, &m, config, layers);
        struct record_req q = {a, m.config.digest, rec};
        r = store_records_update(s, do_record, &q, err);
    }
    if (r == 0 && ret_id)
        snprintf(ret_id, DIGEST_STR_SIZE, "%s", m.config.digest);
    json_decref(rec);
    json_decref(layers);
    json_decref(diff_ids);
    json_decref(config);
    manifest_clear(&m);
    return r;
}

int image_compose(struct store *s, const char *config, size_t config_len, json_t *layers,
                  const char *tag, const struct progress *progress, char *ret_id,
                  struct hk_error *err)
{
    char config_digest[DIGEST_STR_SIZE], manifest_digest[DIGEST_STR_SIZE];
    int r = store_put_blob(s, config, config_len, NULL, config_digest, err);
    if (r < 0)
        return r;
    json_t *descs = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l) json_array_append_new(
        descs, json_pack("{s:O, s:O, s:O}", "mediaType", json_object_get(l, "media_type"), "digest",
                         json_object_get(l, "digest"), "size", json_object_get(l, "size")));
    json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                          MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest",
                          config_digest, "size", (json_int_t)config_len, "layers", descs);
    char *text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    if (!text)
        abort();
    r = store_put_blob(s, text, strlen(text), NULL, manifest_digest, err);
    free(text);
    if (r < 0)
        return r;
    struct image_add a = {.manifest_digest = manifest_digest, .tag = tag, .progress = progress};
    return image_add(s, &a, ret_id, err);
}
