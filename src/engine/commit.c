/* commit.c — see commit.h. */
#include "engine/commit.h"

#include <fcntl.h>
#include <string.h>
#include <time.h>

#include "engine/lifecycle.h"
#include "image/commit.h"
#include "util/fs.h"

/* The container's settings over the image's, as docker's commit merges them. */
static void merge_container_config(json_t *cfg, const json_t *rec_config)
{
    static const char *const keys[] = {"Cmd",  "Entrypoint", "Env",        "WorkingDir",
                                       "User", "Labels",     "StopSignal", "ExposedPorts",
                                       "Volumes"};
    for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
        json_t *v = json_object_get(rec_config, keys[i]);
        if (!v)
            continue;
        if (json_is_null(v) && strcmp(keys[i], "Entrypoint") != 0 && strcmp(keys[i], "Cmd") != 0)
            continue;
        json_object_set(cfg, keys[i], v);
    }
}

/* "sh -c echo hi": the container's command, as docker writes created_by for a commit. */
static char *command_of(const json_t *rec)
{
    size_t cap = 256, len = 0;
    char *s = xcalloc(1, cap);
    const char *path = json_string_value(json_object_get(rec, "Path"));
    json_t *args = json_object_get(rec, "Args");
    size_t n = json_array_size(args);
    for (size_t i = 0; i <= n; i++) {
        const char *a = i == 0 ? path : json_string_value(json_array_get(args, i - 1));
        if (!a)
            continue;
        size_t need = len + strlen(a) + 2;
        if (need > cap)
            s = xrealloc(s, cap = need * 2);
        len += (size_t)sprintf(s + len, "%s%s", len ? " " : "", a);
    }
    return s;
}

static int write_layer(const struct engine *e, struct store *s, const struct commit_request *q,
                       struct layer_created *ret, struct hk_error *err)
{
    _cleanup_free_ char *upper = xasprintf("%s/%s/upper", e->containers, q->id);
    _cleanup_close_ int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(err, -errno,
                              "container %.12s has no overlay upper directory (commit needs the "
                              "overlay root filesystem)", q->id);
    struct layer_create_opts o = {
        .compression = q->compression, .mtime = layer_epoch(), .skip_etc_mounts = true};
    return layer_create(s, fd, &o, ret, err);
}

int engine_commit(const struct engine *e, struct store *s, const struct commit_request *q,
                  char ret_id[DIGEST_STR_SIZE], struct hk_error *err)
{
    struct record *rec = NULL;
    int r = record_open(e, q->id, false, &rec, err);
    if (r < 0)
        return r;
    struct image *img = NULL;
    r = image_lookup(s, json_string_value(json_object_get(rec->j, "Image")), &img, err);
    bool paused = false;
    if (r == 0 && q->pause && strcmp(record_status(rec->j), "running") == 0) {
        r = engine_pause(e, q->id, true, err);
        paused = r == 0;
    }
    struct layer_created layer = {0};
    if (r == 0)
        r = write_layer(e, s, q, &layer, err);
    if (paused) {
        int r2 = engine_pause(e, q->id, false, r < 0 ? NULL : err);
        r = r < 0 ? r : r2;
    }
    json_t *config = NULL;
    if (r == 0) {
        config = image_config_from(img);
        merge_container_config(json_object_get(config, "config"),
                               json_object_get(rec->j, "Config"));
        if (q->change)
            r = q->change(json_object_get(config, "config"), q->change_ud, err);
    }
    if (r == 0) {
        char created[32];
        image_time_string((int64_t)time(NULL), created);
        _cleanup_free_ char *cmd = command_of(rec->j);
        image_config_history(config, created, cmd, q->author, q->comment, false);
        /* docker's commit: the message is the image's comment too (`inspect .Comment`) */
        if (q->comment && q->comment[0])
            json_object_set_new(config, "comment", json_string(q->comment));
        else
            json_object_del(config, "comment");
        json_object_set_new(config, "container", json_string(q->id));
        r = image_commit(s, img, config, &layer, q->tag, ret_id, err);
    }
    if (r < 0)
        store_gc(s, NULL);
    json_decref(config);
    image_free(img);
    record_free(rec);
    return r < 0 ? hk_error_prefix(err, r, "commit") : 0;
}
