/* commit.c — a new image from a base image, a config and one more layer (or none): the last
 * step of `hako commit` and of each `hako build` step. */
#include <string.h>
#include <time.h>

#include "image/commit.h"
#include "image/manifest.h"
#include "util/fs.h"

void image_time_string(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *image_config_from(const struct image *base)
{
    if (base && base->config) {
        json_t *c = json_deep_copy(base->config);
        if (!json_is_object(json_object_get(c, "config")))
            json_object_set_new(c, "config", json_object());
        if (!json_is_array(json_object_get(c, "history")))
            json_object_set_new(c, "history", json_array());
        return c;
    }
    struct platform p;
    platform_host(&p);
    return json_pack("{s:s, s:s, s:{}, s:{s:s, s:[]}, s:[]}", "architecture", p.arch, "os", p.os,
                     "config", "rootfs", "type", "layers", "diff_ids", "history");
}

void image_config_history(json_t *config, const char *created, const char *created_by,
                          const char *author, const char *comment, bool empty_layer)
{
    json_t *h = json_pack("{s:s}", "created", created);
    if (created_by)
        json_object_set_new(h, "created_by", json_string(created_by));
    if (author && *author)
        json_object_set_new(h, "author", json_string(author));
    if (comment && *comment)
        json_object_set_new(h, "comment", json_string(comment));
    if (empty_layer)
        json_object_set_new(h, "empty_layer", json_true());
    json_t *hist = json_object_get(config, "history");
    if (!json_is_array(hist)) {
        hist = json_array();
        json_object_set_new(config, "history", hist);
    }
    json_array_append_new(hist, h);
    json_object_set_new(config, "created", json_string(created));
    if (author && *author)
        json_object_set_new(config, "author", json_string(author));
}

static json_t *base_layers(const struct image *base)
{
    json_t *out = json_array();
    size_t i;
    json_t *l;
    if (base && base->record)
        json_array_foreach(json_object_get(base->record, "layers"), i, l)
            json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O}", "digest",
                                                 json_object_get(l, "digest"), "media_type",
                                                 json_object_get(l, "media_type"), "size",
                                                 json_object_get(l, "size"), "diff_id",
                                                 json_object_get(l, "diff_id")));
    return out;
}

int image_commit(struct store *s, const struct image *base, json_t *config,
                 const struct layer_created *layer, const char *tag, char ret_id[DIGEST_STR_SIZE],
                 struct hk_error *err)
{
    if (!json_is_object(config))
        return hk_error_set(err, -EINVAL, "commit: no image config to write");
    json_t *layers = base_layers(base);
    json_t *rootfs = json_object_get(config, "rootfs");
    if (!json_is_object(rootfs)) {
        rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
        json_object_set_new(config, "rootfs", rootfs);
    }
    json_t *diff_ids = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l) json_array_append(diff_ids, json_object_get(l, "diff_id"));
    if (layer) {
        json_array_append_new(layers, json_pack("{s:s, s:s, s:I, s:s}", "digest", layer->digest,
                                                "media_type", layer->media_type, "size",
                                                (json_int_t)layer->size, "diff_id",
                                                layer->diff_id));
        json_array_append_new(diff_ids, json_string(layer->diff_id));
    }
    json_object_set_new(rootfs, "diff_ids", diff_ids);
    char *text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        abort(); /* out of memory */
    int r = image_compose(s, text, strlen(text), layers, tag, NULL, ret_id, err);
    free(text);
    json_decref(layers);
    return r;
}

struct mark {
    const char *id;
    bool on;
};

static int do_mark(json_t *records, void *ud, struct hk_error *err)
{
    (void)err;
    struct mark *m = ud;
    json_t *rec = json_object_get(json_object_get(records, "images"), m->id);
    if (!rec)
        return 0;
    if (m->on)
        json_object_set_new(rec, "intermediate", json_true());
    else
        json_object_del(rec, "intermediate");
    return 0;
}

int image_mark_intermediate(struct store *s, const char *id, bool on, struct hk_error *err)
{
    struct mark m = {id, on};
    return store_records_update(s, do_mark, &m, err);
}
