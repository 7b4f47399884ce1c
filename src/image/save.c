/* save.c — `hako save`: images into one tar that is both a docker-archive (manifest.json, as
 * `docker load` and skopeo's docker-archive: read it) and an OCI image layout (oci-layout,
 * index.json, blobs/sha256/...), the way Docker 25+ writes it. Layers are stored
 * uncompressed, named by their diff IDs, as the docker-archive format requires. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/archive-io.h"
#include "image/decompress.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/tarball.h"
#include "util/fs.h"

struct save {
    struct store *s;
    struct tarball *t;
    json_t *written; /* set of blob hex names already in the archive */
    json_t *docker;  /* manifest.json */
    json_t *oci;     /* index.json manifests */
};

static int add_blob_fd(struct save *sv, const char *digest, int fd, struct hk_error *err)
{
    if (json_object_get(sv->written, digest_hex(digest)))
        return 0;
    struct stat st;
    if (fstat(fd, &st) < 0 || lseek(fd, 0, SEEK_SET) < 0)
        return hk_error_errno(err, -errno, "blob %s", digest);
    _cleanup_free_ char *path = xasprintf("blobs/sha256/%s", digest_hex(digest));
    int r = tarball_add_fd(sv->t, path, 0644, 0, fd, (uint64_t)st.st_size, err);
    if (r == 0)
        json_object_set_new(sv->written, digest_hex(digest), json_true());
    return r;
}

static int add_blob_data(struct save *sv, const char *digest, const char *data, size_t len,
                         struct hk_error *err)
{
    if (json_object_get(sv->written, digest_hex(digest)))
        return 0;
    _cleanup_free_ char *path = xasprintf("blobs/sha256/%s", digest_hex(digest));
    int r = tarball_add_data(sv->t, path, 0644, 0, data, len, err);
    if (r == 0)
        json_object_set_new(sv->written, digest_hex(digest), json_true());
    return r;
}

static bool uncompressed(const char *mt)
{
    return strcmp(mt, MT_OCI_LAYER) == 0 || strcmp(mt, MT_DOCKER_LAYER) == 0;
}

/* Add a layer as an uncompressed tar named by its diff ID; returns its size. */
static int add_layer(struct save *sv, json_t *layer, int64_t *ret_size, struct hk_error *err)
{
    const char *digest = json_string_value(json_object_get(layer, "digest"));
    const char *diff_id = json_string_value(json_object_get(layer, "diff_id"));
    const char *mt = json_string_value(json_object_get(layer, "media_type"));
    _cleanup_close_ int blob = -1, tmp = -1;
    int r = store_blob_open(sv->s, digest, &blob, err);
    if (r < 0)
        return r;
    int fd = blob;
    if (!uncompressed(mt ? mt : "")) {
        _cleanup_free_ char *dir = xasprintf("%s/tmp", sv->s->root);
        struct expand_limit lim;
        store_expand_limit(sv->s, &lim);
        tmp = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        char got[DIGEST_STR_SIZE];
        r = tmp < 0 ? hk_error_errno(err, -errno, "temporary file in '%s'", dir)
                    : decompress_to_fd(blob, tmp, &lim, got, NULL, err);
        if (r == 0 && strcmp(got, diff_id) != 0)
            r = hk_error_set(err, -EBADMSG, "layer %s: diff ID mismatch: expected %s, got %s",
                             digest, diff_id, got);
        if (r < 0)
            return r;
        fd = tmp;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return hk_error_errno(err, -errno, "stat layer %s", digest);
    *ret_size = st.st_size;
    return add_blob_fd(sv, diff_id, fd, err);
}

/* The repo tags to write for name: the tag it names, or none when it is an ID. */
static json_t *repo_tags(const char *name, const struct image *img)
{
    json_t *tags = json_array();
    struct image_ref ref = {0};
    if (ref_parse(name, &ref, NULL) == 0 && !ref.digest) {
        _cleanup_free_ char *full = ref_string(&ref);
        size_t i;
        json_t *t;
        json_array_foreach(img->tags, i, t) if (strcmp(json_string_value(t), full) == 0)
            json_array_append(tags, t);
    }
    ref_clear(&ref);
    return tags;
}

static int save_image(struct save *sv, const char *name, struct hk_error *err)
{
    struct image *img = NULL;
    int r = image_lookup(sv->s, name, &img, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *config = NULL;
    size_t config_len = 0;
    r = store_read_blob(sv->s, img->id, STORE_JSON_MAX, &config, &config_len, err);
    if (r == 0)
        r = add_blob_data(sv, img->id, config, config_len, err);
    json_t *paths = json_array(), *descs = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(img->record, "layers"), i, l)
    {
        int64_t size = 0;
        if (r == 0)
            r = add_layer(sv, l, &size, err);
        const char *diff_id = json_string_value(json_object_get(l, "diff_id"));
        json_array_append_new(paths, json_sprintf("blobs/sha256/%s", digest_hex(diff_id)));
        json_array_append_new(descs, json_pack("{s:s, s:s, s:I}", "mediaType", MT_OCI_LAYER,
                                               "digest", diff_id, "size", (json_int_t)size));
    }
    json_t *tags = repo_tags(name, img);
    json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                          MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest", img->id,
                          "size", (json_int_t)config_len, "layers", descs);
    _cleanup_free_ char *mtext = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    char mdigest[DIGEST_STR_SIZE];
    if (r == 0)
        r = digest_buffer(mtext, strlen(mtext), mdigest, err);
    if (r == 0)
        r = add_blob_data(sv, mdigest, mtext, strlen(mtext), err);
    if (r == 0) {
        json_t *fam = json_array();
        json_t *t;
        json_array_foreach(tags, i, t)
        {
            char *f = ref_familiar_name(json_string_value(t));
            json_array_append_new(fam, json_string(f));
            free(f);
        }
        json_array_append_new(sv->docker,
                              json_pack("{s:s++, s:o, s:O}", "Config", "blobs/sha256/",
                                        digest_hex(img->id), "", "RepoTags", fam, "Layers", paths));
        json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", MT_OCI_MANIFEST, "digest", mdigest,
                              "size", (json_int_t)strlen(mtext));
        const char *tag = json_string_value(json_array_get(tags, 0));
        if (tag)
            json_object_set_new(d, "annotations",
                                json_pack("{s:s, s:s}", "io.containerd.image.name", tag,
                                          "org.opencontainers.image.ref.name",
                                          strrchr(tag, ':') + 1));
        json_array_append_new(sv->oci, d);
    }
    json_decref(tags);
    json_decref(paths);
    image_free(img);
    return r < 0 ? hk_error_prefix(err, r, "save %s", name) : 0;
}

static int add_json(struct save *sv, const char *path, json_t *j, struct hk_error *err)
{
    _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
    return tarball_add_data(sv->t, path, 0644, 0, text, strlen(text), err);
}

int image_save(struct store *s, char *const *names, size_t n, int fd, struct hk_error *err)
{
    struct save sv = {
        .s = s, .written = json_object(), .docker = json_array(), .oci = json_array()};
    int r = tarball_new_fd(fd, &sv.t, err);
    if (r == 0)
        r = tarball_add_dir(sv.t, "blobs", 0755, 0, err);
    if (r == 0)
        r = tarball_add_dir(sv.t, "blobs/sha256", 0755, 0, err);
    for (size_t i = 0; r == 0 && i < n; i++)
        r = save_image(&sv, names[i], err);
    json_t *index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX,
                              "manifests", sv.oci);
    json_t *layout = json_pack("{s:s}", "imageLayoutVersion", "1.0.0");
    if (r == 0)
        r = add_json(&sv, "oci-layout", layout, err);
    if (r == 0)
        r = add_json(&sv, "index.json", index, err);
    if (r == 0)
        r = add_json(&sv, "manifest.json", sv.docker, err);
    if (r == 0)
        r = tarball_close(sv.t, err);
    json_decref(index);
    json_decref(layout);
    json_decref(sv.written);
    json_decref(sv.docker);
    json_decref(sv.oci);
    tarball_free(sv.t);
    return r;
}
