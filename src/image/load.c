/* load.c — `hako load`: docker-archive and oci-archive files into the store. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "image/archive-io.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "util/fs.h"
#include "util/path.h"

#define MAX_IMAGES 256
#define LAYER_MAX (UINT64_C(1) << 42)

/* The normalized form of a name from an archive, or NULL when it is not a usable reference. */
static char *normalize(const char *name)
{
    struct image_ref ref = {0};
    if (!name || ref_parse(name, &ref, NULL) < 0)
        return NULL;
    char *s = ref.digest ? NULL : ref_string(&ref);
    ref_clear(&ref);
    return s;
}

static int read_json(int dir, const char *path, char **ret_text, size_t *ret_len, json_t **ret,
                     struct hk_error *err)
{
    _cleanup_close_ int fd = open_in_root(dir, path, O_RDONLY, 0, 0);
    if (fd < 0)
        return hk_error_errno(err, fd, "archive member '%s'", path);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    char proc[32];
    int r = read_file(fd_path(fd, proc, sizeof(proc)), STORE_JSON_MAX, &text, &len, err);
    if (r < 0)
        return hk_error_prefix(err, r, "archive member '%s'", path);
    json_error_t jerr;
    json_t *j = json_loadb(text, len, 0, &jerr);
    if (!j)
        return hk_error_set(err, -EINVAL, "archive member '%s': line %d: %s", path, jerr.line,
                            jerr.text);
    *ret = j;
    if (ret_text)
        *ret_text = TAKE_PTR(text);
    if (ret_len)
        *ret_len = len;
    return 0;
}

static const char *layer_type(int fd)
{
    unsigned char m[4] = {0};
    if (pread(fd, m, sizeof(m), 0) == (ssize_t)sizeof(m)) {
        if (m[0] == 0x1f && m[1] == 0x8b)
            return MT_OCI_LAYER_GZIP;
        if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
            return MT_OCI_LAYER_ZSTD;
    }
    return MT_OCI_LAYER;
}

/* Store the layer files of one docker-archive image; returns the layer list for
 * image_compose. */
static int docker_layers(struct store *s, int dir, json_t *paths, json_t *diff_ids, json_t **ret,
                         struct hk_error *err)
{
    if (!json_is_array(paths) || json_array_size(paths) != json_array_size(diff_ids))
        return hk_error_set(err, -EINVAL,
                            "manifest.json: Layers does not match the config's "
                            "rootfs.diff_ids");
    json_t *layers = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(paths, i, p)
    {
        const char *path = json_string_value(p);
        _cleanup_close_ int fd = path ? open_in_root(dir, path, O_RDONLY, 0, 0) : -EINVAL;
        char digest[DIGEST_STR_SIZE];
        uint64_t size = 0;
        int r = fd < 0 ? hk_error_errno(err, fd, "archive member '%s'", path ? path : "?")
                       : store_put_blob_fd(s, fd, NULL, -1, LAYER_MAX, digest, &size, err);
        if (r < 0) {
            json_decref(layers);
            return r;
        }
        json_array_append_new(layers,
                              json_pack("{s:s, s:s, s:I, s:O}", "digest", digest, "media_type",
                                        layer_type(fd), "size", (json_int_t)size, "diff_id",
                                        json_array_get(diff_ids, i)));
    }
    *ret = layers;
    return 0;
}

static void loaded(json_t *out, const char *id, json_t *tags)
{
    if (json_array_size(tags) == 0)
        json_array_append_new(out, json_pack("{s:s}", "id", id));
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t) json_array_append_new(out, json_pack("{s:O}", "name", t));
}

static int docker_image(struct store *s, int dir, json_t *item, json_t *out, struct hk_error *err)
{
    const char *cfg_path = json_string_value(json_object_get(item, "Config"));
    if (!cfg_path)
        return hk_error_set(err, -EINVAL, "manifest.json: an entry without Config");
    _cleanup_free_ char *config = NULL;
    size_t len = 0;
    json_t *cfg = NULL, *layers = NULL, *tags = json_array();
    int r = read_json(dir, cfg_path, &config, &len, &cfg, err);
    if (r == 0)
        r = docker_layers(s, dir, json_object_get(item, "Layers"),
                          json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"), &layers,
                          err);
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(item, "RepoTags"), i, t)
    {
        char *n = normalize(json_string_value(t));
        if (n)
            json_array_append_new(tags, json_string(n));
        free(n);
    }
    char id[DIGEST_STR_SIZE];
    if (r == 0)
        r = image_compose(s, config, len, layers, json_string_value(json_array_get(tags, 0)), NULL,
                          id, err);
    for (i = 1; r == 0 && i < json_array_size(tags); i++)
        r = image_tag(s, id, json_string_value(json_array_get(tags, i)), err);
    if (r == 0)
        loaded(out, id, tags);
    json_decref(cfg);
    json_decref(layers);
    json_decref(tags);
    return r;
}

static int load_docker(struct store *s, int dir, json_t *out, struct hk_error *err)
{
    json_t *m = NULL;
    int r = read_json(dir, "manifest.json", NULL, NULL, &m, err);
    if (r == 0 && (!json_is_array(m) || json_array_size(m) > MAX_IMAGES))
        r = hk_error_set(err, -EINVAL, "manifest.json: expected an array of at most %d images",
                         MAX_IMAGES);
    for (size_t i = 0; r == 0 && i < json_array_size(m); i++) {
        r = docker_image(s, dir, json_array_get(m, i), out, err);
        if (r < 0)
            r = hk_error_prefix(err, r, "manifest.json[%zu]", i);
    }
    json_decref(m);
    return r;
}

/* Copy blobs/sha256/<hex> of the layout into the store, checking digest and size. */
static int copy_blob(struct store *s, int dir, const char *digest, int64_t size,
                     struct hk_error *err)
{
    int r = digest_check(digest, err);
    if (r < 0 || store_has_blob(s, digest))
        return r;
    _cleanup_free_ char *path = xasprintf("blobs/sha256/%s", digest_hex(digest));
    _cleanup_close_ int fd = open_in_root(dir, path, O_RDONLY, 0, 0);
    if (fd < 0)
        return hk_error_errno(err, fd, "archive member '%s'", path);
    r = store_put_blob_fd(s, fd, digest, size, (uint64_t)size, NULL, NULL, err);
    return r < 0 ? hk_error_prefix(err, r, "archive member '%s'", path) : 0;
}

/* Copy a manifest (or, for an index, the host platform's manifest) and its blobs. */
static int oci_blobs(struct store *s, int dir, const struct descriptor *d, char *ret_manifest,
                     bool *ret_index, struct hk_error *err)
{
    int r = copy_blob(s, dir, d->digest, d->size, err);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    struct manifest m = {0};
    if (r == 0)
        r = store_read_blob(s, d->digest, STORE_JSON_MAX, &text, &len, err);
    if (r == 0)
        r = manifest_parse(text, len, d->media_type, &m, err);
    *ret_index = r == 0 && m.is_index;
    if (r == 0 && m.is_index) {
        struct platform host;
        platform_host(&host);
        size_t i;
        r = manifest_choose(&m, &host, &i, err);
        bool nested;
        if (r == 0)
            r = oci_blobs(s, dir, &m.manifests[i], ret_manifest, &nested, err);
        if (r == 0 && nested)
            r = hk_error_set(err, -EINVAL, "%s: an index inside an index", d->digest);
        manifest_clear(&m);
        return r;
    }
    if (r == 0)
        r = copy_blob(s, dir, m.config.digest, m.config.size, err);
    for (size_t i = 0; r == 0 && i < m.n_layers; i++)
        r = copy_blob(s, dir, m.layers[i].digest, m.layers[i].size, err);
    if (r == 0)
        snprintf(ret_manifest, DIGEST_STR_SIZE, "%s", d->digest);
    manifest_clear(&m);
    return r;
}

/* The image name an index.json entry carries: containerd's full name, else the OCI ref.name
 * when it is a whole reference (a bare tag like "latest" names no repository). */
static char *oci_name(json_t *desc)
{
    json_t *ann = json_object_get(desc, "annotations");
    const char *full = json_string_value(json_object_get(ann, "io.containerd.image.name"));
    const char *ref = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
    if (full)
        return normalize(full);
    if (ref && strpbrk(ref, "/:"))
        return normalize(ref);
    return NULL;
}

static int load_oci(struct store *s, int dir, json_t *out, struct hk_error *err)
{
    json_t *idx = NULL;
    int r = read_json(dir, "index.json", NULL, NULL, &idx, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *text = json_dumps(idx, JSON_COMPACT);
    struct manifest m = {0};
    r = manifest_parse(text, strlen(text), MT_OCI_INDEX, &m, err);
    if (r == 0 && (!m.is_index || m.n_manifests > MAX_IMAGES))
        r = hk_error_set(err, -EINVAL, "index.json: expected an index of at most %d images",
                         MAX_IMAGES);
    for (size_t i = 0; r == 0 && i < m.n_manifests; i++) {
        char manifest[DIGEST_STR_SIZE], id[DIGEST_STR_SIZE];
        bool is_index = false;
        r = oci_blobs(s, dir, &m.manifests[i], manifest, &is_index, err);
        _cleanup_free_ char *name = oci_name(json_array_get(json_object_get(idx, "manifests"), i));
        struct image_add a = {.manifest_digest = manifest,
                              .tag = name,
                              .index_digest = is_index ? m.manifests[i].digest : NULL};
        if (r == 0)
            r = image_add(s, &a, id, err);
        if (r == 0)
            json_array_append_new(out, name ? json_pack("{s:s}", "name", name)
                                            : json_pack("{s:s}", "id", id));
        if (r < 0)
            r = hk_error_prefix(err, r, "index.json: manifests[%zu]", i);
    }
    manifest_clear(&m);
    json_decref(idx);
    return r;
}

int image_load(struct store *s, int fd, json_t **ret_loaded, struct hk_error *err)
{
    _cleanup_free_ char *tmp = NULL;
    int r = store_tmpdir(s, "load", &tmp, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *diff = xasprintf("%s/diff", tmp);
    _cleanup_close_ int dir = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct expand_limit lim;
    store_expand_limit(s, &lim);
    struct layer_unpack_opts o = {.name = "archive", .limit = &lim};
    json_t *out = json_array();
    r = dir < 0 ? hk_error_errno(err, -errno, "open '%s'", diff)
                : layer_unpack(fd, dir, &o, NULL, err);
    if (r == 0 && faccessat(dir, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        r = load_docker(s, dir, out, err);
    else if (r == 0 && faccessat(dir, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        r = load_oci(s, dir, out, err);
    else if (r == 0)
        r = hk_error_set(err, -EINVAL,
                         "not a docker-archive or oci-archive: it has neither "
                         "manifest.json nor index.json");
    rm_rf(tmp);
    if (r < 0) {
        json_decref(out);
        store_gc(s, NULL);
        return r;
    }
    *ret_loaded = out;
    return 0;
}
