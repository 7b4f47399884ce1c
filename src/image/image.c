/* image.c — image records: lookup by name or ID, tag, remove.
 *
 * <root>/repositories.json:
 *   {"images": {"sha256:<id>": {"manifest": "sha256:..", "manifest_media_type": "..",
 *                               "index": "sha256:.." (when chosen from an index),
 *                               "layers": [{"digest", "media_type", "size", "diff_id",
 *                                           "chain_id", "unpacked_size"}],
 *                               "size": <unpacked bytes>, "created": "<config.created>",
 *                               "added": <unix time>, "repo_digests": ["name@sha256:.."]}},
 *    "tags": {"docker.io/library/busybox:latest": "sha256:<id>"}} */
#include "image/image.h"

#include <ctype.h>
#include <string.h>

#include "image/reference.h"
#include "util/fs.h"

/* Find the ID matching a unique prefix of at least 4 hex digits (with or without "sha256:"). */
static int find_id_prefix(json_t *images, const char *name, const char **ret_id)
{
    const char *hex = strncmp(name, "sha256:", 7) == 0 ? name + 7 : name;
    size_t n = strlen(hex);
    if (n < 4 || n > DIGEST_HEX_LEN || strspn(hex, "0123456789abcdef") != n)
        return -ENOENT;
    const char *found = NULL, *id;
    json_t *v;
    json_object_foreach(images, id, v)
    {
        if (strncmp(digest_hex(id), hex, n) != 0)
            continue;
        if (found)
            return -EEXIST; /* ambiguous */
        found = id;
    }
    if (!found)
        return -ENOENT;
    *ret_id = found;
    return 0;
}

/* The image ID name refers to in records (borrowed from records). */
static int resolve_id(json_t *records, const char *name, const char **ret_id, struct hk_error *err)
{
    json_t *images = json_object_get(records, "images");
    struct image_ref ref = {0};
    if (ref_parse(name, &ref, NULL) == 0) {
        _cleanup_free_ char *full = ref_string(&ref), *rn = ref_name(&ref);
        const char *id = NULL;
        if (ref.digest) {
            _cleanup_free_ char *rd = xasprintf("%s@%s", rn, ref.digest);
            const char *k;
            json_t *img;
            json_object_foreach(images, k, img)
            {
                size_t i;
                json_t *d;
                json_array_foreach(json_object_get(img, "repo_digests"), i,
                                   d) if (strcmp(json_string_value(d), rd) == 0) id = k;
            }
        } else {
            id = json_string_value(json_object_get(json_object_get(records, "tags"), full));
        }
        ref_clear(&ref);
        if (id && json_object_get(images, id)) {
            *ret_id = json_object_iter_key(json_object_iter_at(images, id));
            return 0;
        }
    }
    int r = find_id_prefix(images, name, ret_id);
    if (r == -EEXIST)
        return hk_error_set(err, -EINVAL, "image ID prefix '%s' is ambiguous", name);
    if (r < 0)
        return hk_error_set(err, -ENOENT, "No such image: %s", name);
    return 0;
}

/* The tags pointing at id, sorted. */
static json_t *tags_of(json_t *records, const char *id)
{
    json_t *out = json_array();
    const char *tag;
    json_t *v;
    json_object_foreach(json_object_get(records, "tags"), tag,
                        v) if (strcmp(json_string_value(v), id) == 0)
        json_array_append_new(out, json_string(tag));
    return out;
}

static int fill_image(struct store *s, json_t *records, const char *id, struct image **ret,
                      struct hk_error *err)
{
    json_t *rec = json_object_get(json_object_get(records, "images"), id);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = store_read_blob_trusted(s, id, STORE_JSON_MAX, &text, &len, err);
    if (r < 0)
        return hk_error_prefix(err, r, "image %s: config", id);
    json_error_t jerr;
    json_t *config = json_loadb(text, len, 0, &jerr);
    if (!config)
        return hk_error_set(err, -EINVAL, "image %s: config: %s", id, jerr.text);
    struct image *img = xcalloc(1, sizeof(*img));
    img->id = xstrdup(id);
    img->manifest_digest = xstrdup(json_string_value(json_object_get(rec, "manifest")));
    img->config = config;
    img->record = json_incref(rec);
    img->tags = tags_of(records, id);
    json_t *layers = json_object_get(rec, "layers");
    img->n_layers = json_array_size(layers);
    img->layer_dirs = xcalloc(img->n_layers + 1, sizeof(char *));
    for (size_t i = 0; i < img->n_layers; i++) {
        const char *chain =
            json_string_value(json_object_get(json_array_get(layers, i), "chain_id"));
        _cleanup_free_ char *dir = store_layer_dir(s, chain ? chain : "");
        img->layer_dirs[i] = xasprintf("%s/diff", dir);
    }
    *ret = img;
    return 0;
}

int image_lookup(struct store *s, const char *name, struct image **ret, struct hk_error *err)
{
    json_t *records = NULL;
    int r = store_records_load(s, &records, err);
    if (r < 0)
        return r;
    const char *id;
    r = resolve_id(records, name, &id, err);
    if (r == 0)
        r = fill_image(s, records, id, ret, err);
    json_decref(records);
    return r;
}

struct image *image_free(struct image *img)
{
    if (!img)
        return NULL;
    free(img->id);
    free(img->manifest_digest);
    json_decref(img->config);
    json_decref(img->record);
    json_decref(img->tags);
    for (size_t i = 0; i < img->n_layers; i++)
        free(img->layer_dirs[i]);
    free(img->layer_dirs);
    free(img);
    return NULL;
}

int image_records(struct store *s, json_t **ret, struct hk_error *err)
{
    return store_records_load(s, ret, err);
}

/* --- tag ----------------------------------------------------------------------------------- */

struct tag_req {
    const char *src;
    const char *dst; /* normalized */
};

static int do_tag(json_t *records, void *ud, struct hk_error *err)
{
    struct tag_req *t = ud;
    const char *id;
    int r = resolve_id(records, t->src, &id, err);
    if (r < 0)
        return r;
    json_object_set_new(json_object_get(records, "tags"), t->dst, json_string(id));
    return 0;
}

int image_tag(struct store *s, const char *src, const char *dst, struct hk_error *err)
{
    struct image_ref ref = {0};
    int r = ref_parse(dst, &ref, err);
    if (r < 0)
        return r;
    if (ref.digest) {
        ref_clear(&ref);
        return hk_error_set(err, -EINVAL, "refusing to create a tag with a digest reference: %s",
                            dst);
    }
    _cleanup_free_ char *full = ref_string(&ref);
    ref_clear(&ref);
    struct tag_req t = {src, full};
    return store_records_update(s, do_tag, &t, err);
}

/* --- remove -------------------------------------------------------------------------------- */

struct remove_req {
    struct store *s;
    const char *name;
    bool force;
    struct image_removal *out;
};

static bool names_tag(const char *name, const char **ret_tag_key, json_t *records)
{
    struct image_ref ref = {0};
    if (ref_parse(name, &ref, NULL) < 0)
        return false;
    bool ok = false;
    if (!ref.digest) {
        _cleanup_free_ char *full = ref_string(&ref);
        json_t *tags = json_object_get(records, "tags");
        void *it = json_object_iter_at(tags, full);
        if (it) {
            *ret_tag_key = json_object_iter_key(it);
            ok = true;
        }
    }
    ref_clear(&ref);
    return ok;
}

static void untag(json_t *records, const char *tag, struct image_removal *out)
{
    json_array_append_new(out->untagged, json_string(tag));
    json_object_del(json_object_get(records, "tags"), tag);
}

static int do_remove(json_t *records, void *ud, struct hk_error *err)
{
    struct remove_req *q = ud;
    const char *found;
    int r = resolve_id(records, q->name, &found, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *id = xstrdup(found);
    json_t *tags = tags_of(records, id);
    const char *tag_key = NULL;
    bool by_tag = names_tag(q->name, &tag_key, records);
    if (by_tag && json_array_size(tags) > 1) {
        untag(records, tag_key, q->out); /* other names remain: only this one goes */
        json_decref(tags);
        return 0;
    }
    if (!by_tag && json_array_size(tags) > 1 && !q->force) {
        json_decref(tags);
        return hk_error_set(err, -EBUSY,
                            "conflict: unable to delete %.12s (must be forced) - "
                            "image is referenced in multiple repositories",
                            digest_hex(id));
    }
    _cleanup_free_ char *holder = NULL;
    bool held = q->s->holders && q->s->holders(id, q->s->holders_data, &holder) > 0;
    if (held && !q->force) {
        json_decref(tags);
        return hk_error_set(err, -EBUSY,
                            "conflict: unable to remove image %s (must force) - %s "
                            "is using it",
                            q->name, holder ? holder : "a container");
    }
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) untag(records, json_string_value(t), q->out);
    json_decref(tags);
    if (held)
        return 0; /* forced: the container keeps its (now untagged) image */
    json_object_del(json_object_get(records, "images"), id);
    q->out->deleted = TAKE_PTR(id);
    return 0;
}

int image_remove(struct store *s, const char *name, bool force, struct image_removal *ret,
                 struct hk_error *err)
{
    struct image_removal out = {.untagged = json_array()};
    struct remove_req q = {s, name, force, &out};
    int r = store_records_update(s, do_remove, &q, err);
    if (r < 0) {
        image_removal_clear(&out);
        return r;
    }
    if (out.deleted) {
        struct hk_error gc_err = {0};
        store_gc(s, &gc_err); /* best effort: whatever stays is collected next time */
    }
    *ret = out;
    return 0;
}

void image_removal_clear(struct image_removal *r)
{
    if (!r)
        return;
    json_decref(r->untagged);
    free(r->deleted);
    *r = (struct image_removal){0};
}
