#include "image/manifest.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "image/digest.h"
#include "util/fs.h"

#define BLOB_SIZE_MAX (INT64_C(1) << 42) /* 4 TiB: far beyond any real layer */

static int copy_str(json_t *obj, const char *key, char *buf, size_t size, const char *where,
                    struct hk_error *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        buf[0] = '\0';
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= size)
        return hk_error_set(err, -EINVAL, "%s.%s: expected a string shorter than %zu", where, key,
                            size);
    snprintf(buf, size, "%s", s);
    return 0;
}

static int parse_descriptor(json_t *j, const char *where, struct descriptor *d,
                            struct hk_error *err)
{
    if (!json_is_object(j))
        return hk_error_set(err, -EINVAL, "%s: expected an object", where);
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    const char *digest = json_string_value(json_object_get(j, "digest"));
    json_t *size = json_object_get(j, "size");
    if (!digest)
        return hk_error_set(err, -EINVAL, "%s.digest: missing", where);
    int r = digest_check(digest, err);
    if (r < 0)
        return hk_error_prefix(err, r, "%s.digest", where);
    if (!json_is_integer(size) || json_integer_value(size) < 0 ||
        json_integer_value(size) > BLOB_SIZE_MAX)
        return hk_error_set(err, -EINVAL, "%s.size: expected an integer between 0 and 2^42", where);
    if (mt && strlen(mt) > 255)
        return hk_error_set(err, -EINVAL, "%s.mediaType: too long", where);
    d->media_type = xstrdup(mt ? mt : "");
    d->digest = xstrdup(digest);
    d->size = json_integer_value(size);
    json_t *p = json_object_get(j, "platform");
    if (json_is_object(p)) {
        d->has_platform = true;
        if ((r = copy_str(p, "os", d->platform.os, sizeof(d->platform.os), where, err)) < 0 ||
            (r = copy_str(p, "architecture", d->platform.arch, sizeof(d->platform.arch), where,
                          err)) < 0 ||
            (r = copy_str(p, "variant", d->platform.variant, sizeof(d->platform.variant), where,
                          err)) < 0)
            return r;
    }
    return 0;
}

static void descriptor_clear(struct descriptor *d)
{
    free(d->media_type);
    free(d->digest);
    *d = (struct descriptor){0};
}

static int parse_list(json_t *arr, const char *key, size_t max, struct descriptor **ret,
                      size_t *ret_n, struct hk_error *err)
{
    if (!json_is_array(arr))
        return hk_error_set(err, -EINVAL, "%s: expected an array", key);
    size_t n = json_array_size(arr);
    if (n > max)
        return hk_error_set(err, -E2BIG, "%s: %zu entries, more than the %zu allowed", key, n, max);
    *ret = xcalloc(n ? n : 1, sizeof(**ret));
    *ret_n = n;
    for (size_t i = 0; i < n; i++) {
        char where[64];
        snprintf(where, sizeof(where), "%s[%zu]", key, i);
        int r = parse_descriptor(json_array_get(arr, i), where, &(*ret)[i], err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The document's media type: its mediaType field, else the Content-Type, else guessed. */
static const char *media_type_of(json_t *doc, const char *content_type)
{
    const char *mt = json_string_value(json_object_get(doc, "mediaType"));
    if (mt)
        return mt;
    if (content_type &&
        (strstr(content_type, MT_OCI_INDEX) || strstr(content_type, MT_OCI_MANIFEST) ||
         strstr(content_type, MT_DOCKER_LIST) || strstr(content_type, MT_DOCKER_MANIFEST)))
        return content_type;
    return json_object_get(doc, "manifests") ? MT_OCI_INDEX : MT_OCI_MANIFEST;
}

static int parse_doc(json_t *doc, const char *content_type, struct manifest *m,
                     struct hk_error *err)
{
    if (!json_is_object(doc))
        return hk_error_set(err, -EINVAL, "manifest: expected a JSON object");
    json_t *sv = json_object_get(doc, "schemaVersion");
    if (json_integer_value(sv) == 1)
        return hk_error_set(err, -EOPNOTSUPP, "manifest: Docker schema 1 is not supported");
    if (!json_is_integer(sv) || json_integer_value(sv) != 2)
        return hk_error_set(err, -EINVAL, "manifest: schemaVersion: expected 2");
    const char *mt = media_type_of(doc, content_type);
    m->media_type = strndup(mt, strcspn(mt, ";"));
    if (strcmp(m->media_type, MT_OCI_INDEX) == 0 || strcmp(m->media_type, MT_DOCKER_LIST) == 0) {
        m->is_index = true;
        return parse_list(json_object_get(doc, "manifests"), "manifests", 1000, &m->manifests,
                          &m->n_manifests, err);
    }
    if (strcmp(m->media_type, MT_OCI_MANIFEST) != 0 &&
        strcmp(m->media_type, MT_DOCKER_MANIFEST) != 0)
        return hk_error_set(err, -EOPNOTSUPP, "manifest: unsupported media type '%s'",
                            m->media_type);
    int r = parse_descriptor(json_object_get(doc, "config"), "config", &m->config, err);
    if (r < 0)
        return r;
    r = parse_list(json_object_get(doc, "layers"), "layers", MANIFEST_MAX_LAYERS, &m->layers,
                   &m->n_layers, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < m->n_layers; i++)
        if (!layer_media_type_ok(m->layers[i].media_type))
            return hk_error_set(err, -EOPNOTSUPP, "layers[%zu]: unsupported media type '%s'", i,
                                m->layers[i].media_type);
    return 0;
}

int manifest_parse(const char *data, size_t len, const char *content_type, struct manifest *ret,
                   struct hk_error *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return hk_error_set(err, -EINVAL, "manifest is not JSON: line %d column %d: %s", jerr.line,
                            jerr.column, jerr.text);
    struct manifest m = {0};
    int r = parse_doc(doc, content_type, &m, err);
    json_decref(doc);
    if (r < 0) {
        manifest_clear(&m);
        return r;
    }
    *ret = m;
    return 0;
}

void manifest_clear(struct manifest *m)
{
    if (!m)
        return;
    free(m->media_type);
    descriptor_clear(&m->config);
    for (size_t i = 0; i < m->n_layers; i++)
        descriptor_clear(&m->layers[i]);
    free(m->layers);
    for (size_t i = 0; i < m->n_manifests; i++)
        descriptor_clear(&m->manifests[i]);
    free(m->manifests);
    *m = (struct manifest){0};
}

bool layer_media_type_ok(const char *mt)
{
    static const char *const ok[] = {MT_OCI_LAYER, MT_OCI_LAYER_GZIP, MT_OCI_LAYER_ZSTD,
                                     MT_DOCKER_LAYER_GZIP, MT_DOCKER_LAYER};
    for (size_t i = 0; i < ELEMENTSOF(ok); i++)
        if (strcmp(mt, ok[i]) == 0)
            return true;
    return false;
}

int platform_parse(const char *s, struct platform *ret, struct hk_error *err)
{
    struct platform p = {0};
    const char *a = strchr(s, '/');
    const char *v = a ? strchr(a + 1, '/') : NULL;
    size_t os_len = a ? (size_t)(a - s) : 0;
    size_t arch_len = a ? (v ? (size_t)(v - a - 1) : strlen(a + 1)) : 0;
    if (!a || os_len == 0 || arch_len == 0 || (v && (!v[1] || strchr(v + 1, '/'))) ||
        os_len >= sizeof(p.os) || arch_len >= sizeof(p.arch) ||
        (v && strlen(v + 1) >= sizeof(p.variant)))
        return hk_error_set(err, -EINVAL, "invalid platform '%.100s': expected os/arch[/variant]",
                            s);
    memcpy(p.os, s, os_len);
    memcpy(p.arch, a + 1, arch_len);
    if (v)
        snprintf(p.variant, sizeof(p.variant), "%s", v + 1);
    *ret = p;
    return 0;
}

void platform_host(struct platform *ret)
{
    static const char *const map[][3] = {
        {"x86_64", "amd64", ""},    {"aarch64", "arm64", "v8"}, {"armv7l", "arm", "v7"},
        {"armv6l", "arm", "v6"},    {"i686", "386", ""},        {"i386", "386", ""},
        {"ppc64le", "ppc64le", ""}, {"s390x", "s390x", ""},     {"riscv64", "riscv64", ""},
    };
    struct utsname u;
    *ret = (struct platform){.os = "linux"};
    if (uname(&u) < 0)
        return;
    snprintf(ret->arch, sizeof(ret->arch), "%.31s", u.machine);
    for (size_t i = 0; i < ELEMENTSOF(map); i++)
        if (strcmp(u.machine, map[i][0]) == 0) {
            snprintf(ret->arch, sizeof(ret->arch), "%s", map[i][1]);
            snprintf(ret->variant, sizeof(ret->variant), "%s", map[i][2]);
        }
}

const char *platform_string(const struct platform *p, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
    return buf;
}

/* The variant an architecture implies when none is written. */
static const char *norm_variant(const struct platform *p)
{
    if (p->variant[0])
        return p->variant;
    if (strcmp(p->arch, "arm64") == 0)
        return "v8";
    if (strcmp(p->arch, "arm") == 0)
        return "v7";
    return "";
}

bool platform_match(const struct platform *want, const struct platform *have)
{
    if (strcmp(want->os, have->os) != 0 || strcmp(want->arch, have->arch) != 0)
        return false;
    return strcmp(norm_variant(want), norm_variant(have)) == 0;
}

int manifest_choose(const struct manifest *m, const struct platform *want, size_t *ret_i,
                    struct hk_error *err)
{
    for (size_t i = 0; i < m->n_manifests; i++) {
        const struct descriptor *d = &m->manifests[i];
        if (d->has_platform && platform_match(want, &d->platform)) {
            *ret_i = i;
            return 0;
        }
    }
    if (m->n_manifests == 1 && !m->manifests[0].has_platform) {
        *ret_i = 0; /* a lone manifest that names no platform */
        return 0;
    }
    char have[512] = "", one[100], w[100];
    for (size_t i = 0; i < m->n_manifests; i++) {
        const struct descriptor *d = &m->manifests[i];
        if (!d->has_platform || strcmp(d->platform.os, "unknown") == 0)
            continue;
        size_t n = strlen(have);
        snprintf(have + n, sizeof(have) - n, "%s%s", n ? ", " : "",
                 platform_string(&d->platform, one, sizeof(one)));
    }
    return hk_error_set(err, -ENOENT, "no image for platform %s in the index (it has: %s)",
                        platform_string(want, w, sizeof(w)), have[0] ? have : "none");
}

int config_diff_ids(json_t *config, size_t n_expected, json_t **ret, struct hk_error *err)
{
    if (!json_is_object(config))
        return hk_error_set(err, -EINVAL, "image config: expected a JSON object");
    json_t *rootfs = json_object_get(config, "rootfs");
    json_t *ids = json_object_get(rootfs, "diff_ids");
    if (!json_is_array(ids))
        return hk_error_set(err, -EINVAL, "image config: rootfs.diff_ids: expected an array");
    if (json_array_size(ids) != n_expected)
        return hk_error_set(err, -EINVAL,
                            "image config: rootfs.diff_ids has %zu entries, the manifest %zu "
                            "layers",
                            json_array_size(ids), n_expected);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v)
    {
        int r = digest_check(json_string_value(v), err);
        if (r < 0)
            return hk_error_prefix(err, r, "image config: rootfs.diff_ids[%zu]", i);
    }
    *ret = json_incref(ids);
    return 0;
}
