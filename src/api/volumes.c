/* volumes.c — /volumes: list, create, inspect, remove, prune, onto engine/volume.h (the same
 * calls `hako volume` makes). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "engine/volume.h"
#include "oci/parse.h"
#include "util/fs.h"
#include "util/json.h"

/* The filters= query as the array of "key=value" the engine's volume filters take. */
static int filters_array(struct api_call *c, json_t **ret)
{
    char **f = NULL;
    struct hk_error err = {0};
    int st = api_filters(&c->req, &f, &err);
    if (st) {
        strv_free(f);
        api_reply_msg(c, (unsigned)st, "%s", hk_error_msg(&err));
        return -1;
    }
    json_t *a = json_array();
    for (size_t i = 0; f[i]; i++)
        json_array_append_new(a, json_string(f[i]));
    strv_free(f);
    *ret = a;
    return 0;
}

static enum MHD_Result list(struct api_call *c)
{
    json_t *filters = NULL, *vols = NULL;
    if (filters_array(c, &filters) < 0)
        return MHD_YES;
    struct hk_error err = {0};
    if (volume_list(c->ctx->e, &vols, &err) < 0) {
        json_decref(filters);
        return api_reply_error(c, &err, 500);
    }
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(vols, i, v)
    {
        bool ok = true;
        if (volume_filter_match(c->ctx->e, v, filters, &ok, &err) < 0) {
            json_decref(out);
            json_decref(vols);
            json_decref(filters);
            return api_reply_msg(c, 400, "%s", hk_error_msg(&err));
        }
        if (ok)
            json_array_append(out, v);
    }
    json_decref(vols);
    json_decref(filters);
    return api_reply_json(c, 200, json_pack("{s:o,s:[]}", "Volumes", out, "Warnings"));
}

static enum MHD_Result create(struct api_call *c)
{
    const json_t *b = c->req.body;
    if (b && !json_is_object(b))
        return api_reply_msg(c, 400,
                             "json: cannot unmarshal into Go value of type "
                             "volume.CreateOptions");
    const json_t *name = json_object_get(b, "Name"), *driver = json_object_get(b, "Driver");
    const json_t *labels = json_object_get(b, "Labels"), *opts = json_object_get(b, "DriverOpts");
    if ((name && !json_is_string(name)) || (driver && !json_is_string(driver)) ||
        (labels && !json_is_object(labels) && !json_is_null(labels)) ||
        (opts && !json_is_object(opts) && !json_is_null(opts)))
        return api_reply_msg(c, 400,
                             "json: cannot unmarshal: Name and Driver are strings, "
                             "Labels and DriverOpts objects");
    const char *d = json_string_value(driver);
    if (d && d[0] && strcmp(d, "local") != 0)
        return api_reply_msg(c, 404, "plugin \"%s\" not found", d);
    const char *n = json_string_value(name);
    json_t *vol = NULL;
    struct hk_error err = {0};
    if (volume_create(c->ctx->e, n && n[0] ? n : NULL, json_is_object(labels) ? labels : NULL,
                      json_is_object(opts) ? opts : NULL, &vol, NULL, &err) < 0)
        return api_reply_msg(c, err.code == -EINVAL ? 400 : 500, "%s", hk_error_msg(&err));
    return api_reply_json(c, 201, vol);
}

static enum MHD_Result prune(struct api_call *c)
{
    json_t *filters = NULL, *removed = NULL;
    if (filters_array(c, &filters) < 0)
        return MHD_YES;
    /* docker's API: all=true in the filters removes named volumes too */
    bool all = false;
    json_t *rest = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(filters, i, v)
    {
        const char *f = json_string_value(v);
        if (strncmp(f, "all=", 4) == 0)
            all = strcmp(f + 4, "true") == 0 || strcmp(f + 4, "1") == 0;
        else
            json_array_append(rest, v);
    }
    json_decref(filters);
    long long bytes = 0;
    struct hk_error err = {0};
    int r = volume_prune(c->ctx->e, all, rest, &removed, &bytes, &err);
    json_decref(rest);
    if (r < 0)
        return api_reply_msg(c, err.code == -EINVAL ? 400 : 500, "%s", hk_error_msg(&err));
    return api_reply_json(c, 200,
                          json_pack("{s:o,s:I}", "VolumesDeleted", removed ? removed : json_array(),
                                    "SpaceReclaimed", (json_int_t)bytes));
}

enum MHD_Result api_volumes(struct api_call *c)
{
    struct hk_error err = {0};
    json_t *vol = NULL;
    switch (c->req.op) {
    case OP_VOL_LIST:
        return list(c);
    case OP_VOL_CREATE:
        return create(c);
    case OP_VOL_PRUNE:
        return prune(c);
    case OP_VOL_INSPECT:
        if (volume_get(c->ctx->e, c->req.object, &vol, &err) < 0)
            return api_reply_error(c, &err, 500);
        return api_reply_json(c, 200, vol);
    case OP_VOL_DELETE:
        if (volume_remove(c->ctx->e, c->req.object, false, &err) < 0)
            return api_reply_error(c, &err, 500);
        return api_reply_empty(c, 204);
    default:
        return api_reply_msg(c, 404, "page not found");
    }
}
