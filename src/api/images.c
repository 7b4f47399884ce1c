/* images.c — /images/...: list, create (pull, a JSON progress stream), inspect, tag, delete,
 * get (save) and load, onto the image functions `hako` uses. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/internal.h"
#include "image/archive-io.h"
#include "image/digest.h"
#include "image/image.h"
#include "image/inspect.h"
#include "image/push.h"
#include "image/pull.h"
#include "image/reference.h"
#include "util/base64.h"
#include "oci/parse.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"

static int open_store(struct api_call *c, struct store **ret)
{
    struct hk_error err = {0};
    if (store_open(c->ctx->root, ret, &err) < 0) {
        api_reply_error(c, &err, 500);
        return -1;
    }
    store_set_holders(*ret, record_image_holders, (void *)c->ctx->root);
    return 0;
}

static void append_familiar(json_t *arr, const char *ref)
{
    char *f = ref_familiar(ref);
    json_array_append_new(arr, json_string(f));
    free(f);
}

/* docker's image summary of the store record rec of image id (tags: tag → id). */
static json_t *summary(const char *id, const json_t *rec, const json_t *tags)
{
    json_t *rt = json_array(), *rd = json_array();
    const char *t;
    json_t *v;
    size_t i;
    json_object_foreach((json_t *)tags, t, v) if (strcmp(json_string_value(v), id) == 0)
        append_familiar(rt, t);
    json_array_foreach(json_object_get(rec, "repo_digests"), i, v)
        append_familiar(rd, json_string_value(v));
    json_int_t size = json_integer_value(json_object_get(rec, "size"));
    int64_t created = human_parse_time(json_string_value(json_object_get(rec, "created")));
    return json_pack("{s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:I,s:{},s:i}", "Id", id, "ParentId", "",
                     "RepoTags", rt, "RepoDigests", rd, "Created",
                     (json_int_t)(created < 0 ? 0 : created), "Size", size, "VirtualSize", size,
                     "SharedSize", (json_int_t)-1, "Labels", "Containers", -1);
}

static enum MHD_Result list(struct api_call *c)
{
    struct store *s = NULL;
    if (open_store(c, &s) < 0)
        return MHD_YES;
    json_t *recs = NULL;
    struct hk_error err = {0};
    if (image_records(s, &recs, &err) < 0) {
        store_free(s);
        return api_reply_error(c, &err, 500);
    }
    json_t *out = json_array();
    const char *id;
    json_t *rec;
    json_object_foreach(json_object_get(recs, "images"), id, rec)
        json_array_append_new(out, summary(id, rec, json_object_get(recs, "tags")));
    json_decref(recs);
    store_free(s);
    return api_reply_json(c, 200, out);
}

/* The store and the image the path names; answered (404 or 500) on failure. */
static int open_image(struct api_call *c, struct store **ret_s, struct image **ret_img)
{
    struct hk_error err = {0};
    if (open_store(c, ret_s) < 0)
        return -1;
    if (image_lookup(*ret_s, c->req.object, ret_img, &err) < 0) {
        *ret_s = store_free(*ret_s);
        api_reply_msg(c, err.code == -ENOENT ? 404 : 500, "%s", hk_error_msg(&err));
        return -1;
    }
    return 0;
}

static enum MHD_Result inspect(struct api_call *c)
{
    struct store *s = NULL;
    struct image *img = NULL;
    if (open_image(c, &s, &img) < 0)
        return MHD_YES;
    json_t *j = image_inspect(img);
    image_free(img);
    store_free(s);
    return api_reply_json(c, 200, j);
}

/* docker's history: the config's history entries, newest first; the image ID on the newest,
 * "<missing>" on the others (as docker shows pulled images), sizes of the layers in order. */
static enum MHD_Result history(struct api_call *c)
{
    struct store *s = NULL;
    struct image *img = NULL;
    if (open_image(c, &s, &img) < 0)
        return MHD_YES;
    const json_t *hist = json_object_get(img->config, "history");
    const json_t *layers = json_object_get(img->record, "layers");
    json_t *out = json_array();
    size_t i, layer = 0, n = json_array_size(hist);
    json_t *h;
    json_array_foreach(hist, i, h)
    {
        bool empty = json_is_true(json_object_get(h, "empty_layer"));
        json_int_t size = 0;
        if (!empty)
            size = json_integer_value(json_object_get(json_array_get(layers, layer++), "size"));
        int64_t t = human_parse_time(json_string_value(json_object_get(h, "created")));
        const char *by = json_string_value(json_object_get(h, "created_by"));
        const char *comment = json_string_value(json_object_get(h, "comment"));
        bool newest = i + 1 == n;
        json_array_insert_new(out, 0,
                              json_pack("{s:s,s:I,s:s,s:o,s:I,s:s}", "Id",
                                        newest ? img->id : "<missing>", "Created",
                                        (json_int_t)(t < 0 ? 0 : t), "CreatedBy", by ? by : "",
                                        "Tags", newest ? json_deep_copy(img->tags) : json_null(),
                                        "Size", size, "Comment", comment ? comment : ""));
    }
    image_free(img);
    store_free(s);
    return api_reply_json(c, 200, out);
}

static enum MHD_Result tag(struct api_call *c)
{
    const char *repo = api_query(&c->req, "repo"), *t = api_query(&c->req, "tag");
    if (!repo || !repo[0])
        return api_reply_msg(c, 400, "repository name must have at least one component");
    _cleanup_free_ char *dst = t && t[0] ? xasprintf("%s:%s", repo, t) : xstrdup(repo);
    struct store *s = NULL;
    if (open_store(c, &s) < 0)
        return MHD_YES;
    struct hk_error err = {0};
    int r = image_tag(s, c->req.object, dst, &err);
    store_free(s);
    if (r < 0)
        return api_reply_msg(c, err.code == -ENOENT ? 404 : 400, "%s", hk_error_msg(&err));
    return api_reply_empty(c, 201);
}

static enum MHD_Result delete (struct api_call *c) {
    struct store *s = NULL; if (open_store(c, &s) < 0) return MHD_YES;
    struct image_removal rm = {0}; struct hk_error err = {0};
    int r = image_remove(s, c->req.object, api_query_bool(&c->req, "force"), &rm, &err);
    store_free(s);
    if (r < 0){image_removal_clear(&rm); return api_reply_msg(c,
                                                              err.code == -ENOENT  ? 404
                                                              : err.code == -EBUSY ? 409
                                                                                   : 500,
                                                              "%s", hk_error_msg(&err));}
json_t *out = json_array();
size_t i;
json_t *v;
json_array_foreach(rm.untagged, i, v)
{
    char *f = ref_familiar(json_string_value(v));
    json_array_append_new(out, json_pack("{s:s}", "Untagged", f));
    free(f);
}
if (rm.deleted)
    json_array_append_new(out, json_pack("{s:s}", "Deleted", rm.deleted));
image_removal_clear(&rm);
return api_reply_json(c, 200, out);
}

/* --- pull -------------------------------------------------------------------------------- */

struct pull_job {
    const char *root;
    char *name, *user, *pass;
    int fd;
    char tag[64];
    bool broken;
};

static void pull_free(void *p)
{
    struct pull_job *j = p;
    free(j->name);
    free(j->user);
    if (j->pass)
        explicit_bzero(j->pass, strlen(j->pass));
    free(j->pass);
    free(j);
}

static void send_line(struct pull_job *j, json_t *o)
{
    api_write_message(j->fd, &j->broken, o);
}

static const char *const state_text[] = {
    [PROGRESS_WAITING] = "Pulling fs layer",     [PROGRESS_EXISTS] = "Already exists",
    [PROGRESS_DOWNLOADING] = "Downloading",      [PROGRESS_VERIFYING] = "Verifying Checksum",
    [PROGRESS_DOWNLOADED] = "Download complete", [PROGRESS_EXTRACTING] = "Extracting",
    [PROGRESS_COMPLETE] = "Pull complete",
};

static void on_layer(void *ud, size_t index, const char *digest, enum progress_state st,
                     uint64_t done, uint64_t total)
{
    (void)index;
    struct pull_job *j = ud;
    char id[13];
    snprintf(id, sizeof(id), "%.12s", digest_hex(digest));
    const char *text = (unsigned)st < ELEMENTSOF(state_text) ? state_text[st] : "Waiting";
    if (st == PROGRESS_DOWNLOADING || st == PROGRESS_EXTRACTING)
        send_line(j, json_pack("{s:s,s:{s:I,s:I},s:s}", "status", text, "progressDetail", "current",
                               (json_int_t)done, "total", (json_int_t)total, "id", id));
    else
        send_line(j, json_pack("{s:s,s:{},s:s}", "status", text, "progressDetail", "id", id));
}

static void on_manifest(void *ud, const char *ref, const char *path, size_t n)
{
    (void)n;
    struct pull_job *j = ud;
    _cleanup_free_ char *msg = xasprintf("Pulling from %s", path);
    send_line(j, json_pack("{s:s,s:s}", "status", msg, "id", ref));
}

/* One pull at a time: the registry client's lazy loading of libcurl is not thread-safe. */
static pthread_mutex_t pull_lock = PTHREAD_MUTEX_INITIALIZER;

static void pull_run(int fd, void *ud)
{
    struct pull_job *j = ud;
    j->fd = fd;
    struct progress pr = {on_layer, j};
    struct pull_opts o = {.name = j->name,
                          .tls_verify = true,
                          .user = j->user,
                          .pass = j->pass,
                          .progress = &pr,
                          .on_manifest = on_manifest};
    struct pull_result res = {0};
    struct hk_error err = {0};
    struct store *s = NULL;
    pthread_mutex_lock(&pull_lock);
    int r = store_open(j->root, &s, &err);
    if (r == 0)
        r = image_pull(s, &o, &res, &err);
    store_free(s);
    pthread_mutex_unlock(&pull_lock);
    if (r < 0) {
        /* docker's in-stream error: the status was 200 already */
        send_line(j, json_pack("{s:{s:s},s:s}", "errorDetail", "message", hk_error_msg(&err),
                               "error", hk_error_msg(&err)));
    } else {
        _cleanup_free_ char *fam = ref_familiar(res.name);
        _cleanup_free_ char *d = xasprintf("Digest: %s", res.digest);
        _cleanup_free_ char *st = xasprintf(
            "Status: %s for %s", res.newer ? "Downloaded newer image" : "Image is up to date", fam);
        send_line(j, json_pack("{s:s}", "status", d));
        send_line(j, json_pack("{s:s}", "status", st));
    }
    pull_result_clear(&res);
}

/* X-Registry-Auth: base64url of {"username", "password", ...} (padding optional). */
static void parse_auth(const char *hdr, struct pull_job *j)
{
    if (!hdr || !hdr[0])
        return;
    size_t n = strlen(hdr);
    _cleanup_free_ char *b = xcalloc(n + 4, 1);
    for (size_t i = 0; i < n; i++)
        b[i] = hdr[i] == '-' ? '+' : hdr[i] == '_' ? '/' : hdr[i];
    while (n % 4)
        b[n++] = '=';
    char *raw = NULL;
    size_t len = 0;
    if (base64_decode(b, &raw, &len) < 0)
        return;
    json_t *o = json_loadb(raw, len, 0, NULL);
    free(raw);
    const char *u = json_string_value(json_object_get(o, "username"));
    const char *p = json_string_value(json_object_get(o, "password"));
    if (u && u[0] && p) {
        j->user = xstrdup(u);
        j->pass = xstrdup(p);
    }
    json_decref(o);
}

/* --- push: POST /images/{name}/push?tag=, docker's JSON progress stream ------------------ */

static const char *push_text(enum progress_state st)
{
    switch (st) {
    case PROGRESS_PREPARING:
        return "Preparing";
    case PROGRESS_EXISTS:
        return "Layer already exists";
    case PROGRESS_PUSHING:
        return "Pushing";
    case PROGRESS_PUSHED:
        return "Pushed";
    default:
        return "Waiting";
    }
}

struct push_job {
    struct pull_job base; /* root, name, credentials, the stream */
    char **from;          /* per layer: the repository it was mounted from */
    size_t n;
};

static void push_free(void *p)
{
    struct push_job *j = p;
    for (size_t i = 0; i < j->n; i++)
        free(j->from[i]);
    free(j->from);
    pull_free(&j->base);
}

static void on_push_start(void *ud, const char *repo, size_t n)
{
    struct push_job *j = ud;
    j->from = xcalloc(n ? n : 1, sizeof(*j->from));
    j->n = n;
    _cleanup_free_ char *msg = xasprintf("The push refers to repository [%s]", repo);
    send_line(&j->base, json_pack("{s:s}", "status", msg));
}

static void on_push_mount(void *ud, size_t index, const char *from)
{
    struct push_job *j = ud;
    if (index < j->n) {
        free(j->from[index]);
        j->from[index] = xstrdup(from);
    }
}

static void on_push_layer(void *ud, size_t index, const char *digest, enum progress_state st,
                          uint64_t done, uint64_t total)
{
    struct push_job *j = ud;
    char id[13];
    snprintf(id, sizeof(id), "%.12s", digest_hex(digest));
    if (st == PROGRESS_MOUNTED) {
        _cleanup_free_ char *m =
            xasprintf("Mounted from %s",
                      index < j->n && j->from[index] ? j->from[index] : "another repository");
        send_line(&j->base, json_pack("{s:s,s:{},s:s}", "status", m, "progressDetail", "id", id));
    } else if (st == PROGRESS_PUSHING) {
        send_line(&j->base,
                  json_pack("{s:s,s:{s:I,s:I},s:s}", "status", "Pushing", "progressDetail",
                            "current", (json_int_t)done, "total", (json_int_t)total, "id", id));
    } else {
        send_line(&j->base,
                  json_pack("{s:s,s:{},s:s}", "status", push_text(st), "progressDetail", "id", id));
    }
}

static void push_run(int fd, void *ud)
{
    struct push_job *j = ud;
    j->base.fd = fd;
    struct progress pr = {on_push_layer, j};
    struct push_opts o = {.name = j->base.name,
                          .tls_verify = true,
                          .user = j->base.user,
                          .pass = j->base.pass,
                          .progress = &pr,
                          .on_start = on_push_start,
                          .on_mount = on_push_mount};
    struct push_result res = {0};
    struct hk_error err = {0};
    struct store *s = NULL;
    pthread_mutex_lock(&pull_lock);
    int r = store_open(j->base.root, &s, &err);
    if (r == 0)
        r = image_push(s, &o, &res, &err);
    store_free(s);
    pthread_mutex_unlock(&pull_lock);
    if (r < 0) {
        send_line(&j->base, json_pack("{s:{s:s},s:s}", "errorDetail", "message", hk_error_msg(&err),
                                      "error", hk_error_msg(&err)));
    } else {
        _cleanup_free_ char *st = xasprintf("%s: digest: %s size: %llu", res.tag, res.digest,
                                            (unsigned long long)res.size);
        send_line(&j->base, json_pack("{s:s}", "status", st));
        send_line(&j->base, json_pack("{s:{},s:{s:s,s:s,s:I}}", "progressDetail", "aux", "Tag",
                                      res.tag, "Digest", res.digest, "Size", (json_int_t)res.size));
    }
    push_result_clear(&res);
}

static enum MHD_Result push(struct api_call *c)
{
    const char *t = api_query(&c->req, "tag");
    struct push_job *j = xcalloc(1, sizeof(*j));
    j->base.root = c->ctx->root;
    j->base.name = t && t[0] ? xasprintf("%s:%s", c->req.object, t) : xstrdup(c->req.object);
    parse_auth(c->auth_header, &j->base);
    struct store *s = NULL;
    struct image *img = NULL;
    struct hk_error err = {0};
    /* an image that is not here is docker's 404 before any stream */
    int r = store_open(c->ctx->root, &s, &err);
    if (r == 0)
        r = image_lookup(s, j->base.name, &img, &err);
    image_free(img);
    store_free(s);
    if (r < 0) {
        enum MHD_Result ret = err.code == -ENOENT
                                  ? api_reply_msg(c, 404,
                                                  "An image does not exist locally with "
                                                  "the tag: %s",
                                                  c->req.object)
                                  : api_reply_error(c, &err, 500);
        push_free(j);
        return ret;
    }
    return api_reply_stream(c, "application/json", push_run, j, push_free);
}

static enum MHD_Result create(struct api_call *c)
{
    const char *from = api_query(&c->req, "fromImage"), *t = api_query(&c->req, "tag");
    if (api_query(&c->req, "fromSrc"))
        return api_reply_msg(c, 501, "import through the API is not supported by hako yet");
    if (!from || !from[0])
        return api_reply_msg(c, 400, "fromImage or fromSrc is required");
    struct pull_job *j = xcalloc(1, sizeof(*j));
    j->root = c->ctx->root;
    bool digest = t && strncmp(t, "sha256:", 7) == 0;
    j->name = t && t[0] ? xasprintf("%s%s%s", from, digest ? "@" : ":", t) : xstrdup(from);
    parse_auth(c->auth_header, j);
    struct image_ref ref = {0};
    struct hk_error err = {0};
    if (ref_parse(j->name, &ref, &err) < 0) {
        pull_free(j);
        return api_reply_msg(c, 400, "%s", hk_error_msg(&err));
    }
    ref_clear(&ref);
    return api_reply_stream(c, "application/json", pull_run, j, pull_free);
}

/* --- save and load --------------------------------------------------------------------------- */

struct save_job {
    const char *root;
    char **names;
};

static void save_free(void *p)
{
    struct save_job *j = p;
    strv_free(j->names);
    free(j);
}

static void save_run(int fd, void *ud)
{
    struct save_job *j = ud;
    struct store *s = NULL;
    if (store_open(j->root, &s, NULL) == 0)
        image_save(s, j->names, strv_length(j->names), fd, NULL);
    store_free(s);
}

static enum MHD_Result get(struct api_call *c)
{
    struct save_job *j = xcalloc(1, sizeof(*j));
    j->root = c->ctx->root;
    j->names = xcalloc(2, sizeof(char *));
    if (c->req.object) {
        j->names[0] = xstrdup(c->req.object);
    } else {
        /* names=a&names=b: the server's query map keeps one; the raw query has all */
        const char *n = api_query(&c->req, "names");
        if (n && n[0])
            j->names[0] = xstrdup(n);
    }
    struct store *s = NULL;
    struct image *img = NULL;
    struct hk_error err = {0};
    int r = j->names[0] ? store_open(c->ctx->root, &s, &err) : -EINVAL;
    if (r == 0)
        r = image_lookup(s, j->names[0], &img, &err);
    image_free(img);
    store_free(s);
    if (r < 0) {
        save_free(j);
        return api_reply_msg(c, r == -ENOENT ? 404 : 400, "%s",
                             r == -EINVAL && !err.msg[0] ? "no image named" : hk_error_msg(&err));
    }
    return api_reply_stream(c, "application/x-tar", save_run, j, save_free);
}

static enum MHD_Result load(struct api_call *c)
{
    if (c->body_fd < 0)
        return api_reply_msg(c, 400, "no archive in the request body");
    lseek(c->body_fd, 0, SEEK_SET);
    struct store *s = NULL;
    if (open_store(c, &s) < 0)
        return MHD_YES;
    json_t *loaded = NULL;
    struct hk_error err = {0};
    int r = image_load(s, c->body_fd, &loaded, &err);
    store_free(s);
    if (r < 0) {
        json_decref(loaded);
        return api_reply_msg(c, 400, "%s", hk_error_msg(&err));
    }
    /* docker's JSON-message stream, in one piece */
    _cleanup_free_ char *body = xstrdup("");
    size_t i;
    json_t *l;
    json_array_foreach(loaded, i, l)
    {
        const char *name = json_string_value(json_object_get(l, "name"));
        _cleanup_free_ char *fam = name ? ref_familiar(name) : NULL;
        _cleanup_free_ char *msg =
            fam ? xasprintf("Loaded image: %s\n", fam)
                : xasprintf("Loaded image ID: %s\n", json_string_value(json_object_get(l, "id")));
        json_t *o = json_pack("{s:s}", "stream", msg);
        char *s1 = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        char *nb = xasprintf("%s%s\n", body, s1);
        free(s1);
        free(body);
        body = nb;
    }
    json_decref(loaded);
    size_t len = strlen(body);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, TAKE_PTR(body), MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Api-Version", API_VERSION);
    c->status = 200;
    enum MHD_Result ret = MHD_queue_response(c->conn, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result api_images(struct api_call *c)
{
    switch (c->req.op) {
    case OP_IMG_LIST:
        return list(c);
    case OP_IMG_CREATE:
        return create(c);
    case OP_IMG_INSPECT:
        return inspect(c);
    case OP_IMG_HISTORY:
        return history(c);
    case OP_IMG_PUSH:
        return push(c);
    case OP_IMG_TAG:
        return tag(c);
    case OP_IMG_DELETE:
        return delete (c);
    case OP_IMG_GET:
        return get(c);
    case OP_IMG_LOAD:
        return load(c);
    default:
        return api_reply_msg(c, 501, "not implemented by hako yet");
    }
}
