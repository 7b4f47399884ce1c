/* inspect.c — `docker image inspect`'s object for an image (image/inspect.h). */
#include <stdlib.h>
#include <string.h>

#include "image/inspect.h"
#include "image/reference.h"
#include "util/fs.h"

/* Docker's Config keys that are always present in `docker image inspect`. */
static json_t *docker_config(json_t *config)
{
    json_t *c = json_deep_copy(json_object_get(config, "config"));
    if (!json_is_object(c)) {
        json_decref(c);
        c = json_object();
    }
    static const char *const strs[] = {"Hostname", "Domainname", "User", "WorkingDir"};
    for (size_t i = 0; i < ELEMENTSOF(strs); i++)
        if (!json_object_get(c, strs[i]))
            json_object_set_new(c, strs[i], json_string(""));
    static const char *const bools[] = {"AttachStdin", "AttachStdout", "AttachStderr",
                                        "Tty",         "OpenStdin",    "StdinOnce"};
    for (size_t i = 0; i < ELEMENTSOF(bools); i++)
        if (!json_object_get(c, bools[i]))
            json_object_set_new(c, bools[i], json_false());
    static const char *const nulls[] = {"Env", "Cmd", "Entrypoint", "Volumes", "OnBuild", "Labels"};
    for (size_t i = 0; i < ELEMENTSOF(nulls); i++)
        if (!json_object_get(c, nulls[i]))
            json_object_set_new(c, nulls[i], json_null());
    return c;
}

static json_t *familiar_list(json_t *refs)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(refs, i, v)
    {
        char *f = ref_familiar(json_string_value(v));
        json_array_append_new(out, json_string(f));
        free(f);
    }
    return out;
}

static json_t *graph_driver(const struct image *img)
{
    size_t len = 1;
    for (size_t i = 0; i < img->n_layers; i++)
        len += strlen(img->layer_dirs[i]) + 1;
    char *lower = xcalloc(1, len);
    for (size_t i = img->n_layers; i-- > 0;) {
        strcat(lower, img->layer_dirs[i]);
        if (i > 0)
            strcat(lower, ":");
    }
    json_t *g = json_pack("{s:{s:s}, s:s}", "Data", "LowerDir", lower, "Name", "overlay");
    free(lower);
    return g;
}

json_t *image_inspect(const struct image *img)
{
    json_t *cfg = img->config;
    const char *s;
    json_t *j =
        json_pack("{s:s, s:o, s:o, s:s, s:s}", "Id", img->id, "RepoTags", familiar_list(img->tags),
                  "RepoDigests", familiar_list(json_object_get(img->record, "repo_digests")),
                  "Parent", "", "Comment", "");
    s = json_string_value(json_object_get(cfg, "comment"));
    if (s)
        json_object_set_new(j, "Comment", json_string(s));
    s = json_string_value(json_object_get(cfg, "created"));
    json_object_set_new(j, "Created", json_string(s ? s : ""));
    s = json_string_value(json_object_get(cfg, "author"));
    json_object_set_new(j, "DockerVersion", json_string(""));
    json_object_set_new(j, "Author", json_string(s ? s : ""));
    json_object_set_new(j, "Config", docker_config(cfg));
    s = json_string_value(json_object_get(cfg, "architecture"));
    json_object_set_new(j, "Architecture", json_string(s ? s : ""));
    if ((s = json_string_value(json_object_get(cfg, "variant"))))
        json_object_set_new(j, "Variant", json_string(s));
    s = json_string_value(json_object_get(cfg, "os"));
    json_object_set_new(j, "Os", json_string(s ? s : ""));
    json_object_set(j, "Size", json_object_get(img->record, "size"));
    json_object_set_new(j, "GraphDriver", graph_driver(img));
    json_t *diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
    json_object_set_new(
        j, "RootFS",
        json_pack("{s:s, s:O}", "Type", "layers", "Layers", diff_ids ? diff_ids : json_array()));
    json_object_set_new(j, "Metadata", json_pack("{s:s}", "LastTagTime", "0001-01-01T00:00:00Z"));
    return j;
}
