/* fuzz-manifest.c — manifest_parse() (OCI and Docker manifests and indexes), the platform
 * choice in an index, and an image config's rootfs.diff_ids.
 *
 * Input: a first line "<os/arch[/variant]> [<Content-Type>]" (the platform wanted, and the
 * registry's Content-Type header; either may be empty), then the document. */
#include <jansson.h>

#include "fuzz.h"
#include "image/digest.h"
#include "image/manifest.h"

static void check_descriptor(const struct descriptor *d)
{
    FUZZ_CHECK(d->media_type && digest_is_valid(d->digest) && d->size >= 0);
}

static void use(const struct manifest *m, const struct platform *want)
{
    if (m->is_index) {
        size_t i = (size_t)-1;
        struct hk_error err = {0};
        for (size_t k = 0; k < m->n_manifests; k++)
            check_descriptor(&m->manifests[k]);
        if (manifest_choose(m, want, &i, &err) == 0)
            FUZZ_CHECK(i < m->n_manifests);
        else
            FUZZ_CHECK(err.code == -ENOENT && err.msg[0]);
        return;
    }
    check_descriptor(&m->config);
    FUZZ_CHECK(m->n_layers <= MANIFEST_MAX_LAYERS);
    for (size_t k = 0; k < m->n_layers; k++) {
        check_descriptor(&m->layers[k]);
        FUZZ_CHECK(layer_media_type_ok(m->layers[k].media_type));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *head = fuzz_line(&data, &size);
    char *sp = strchr(head, ' ');
    const char *content_type = sp ? sp + 1 : NULL;
    if (sp)
        *sp = '\0';
    struct platform want;
    if (platform_parse(head, &want, NULL) < 0)
        platform_host(&want);

    struct manifest m = {0};
    struct hk_error err = {0};
    if (manifest_parse((const char *)data, size, content_type, &m, &err) == 0) {
        use(&m, &want);
        manifest_clear(&m);
    } else {
        FUZZ_CHECK(err.code < 0 && err.msg[0] && !m.media_type);
    }

    /* The same document read as an image config. */
    json_t *config = json_loadb((const char *)data, size, 0, NULL);
    json_t *ids = NULL;
    size_t n = json_array_size(json_object_get(json_object_get(config, "rootfs"), "diff_ids"));
    if (config_diff_ids(config, n, &ids, NULL) == 0) {
        FUZZ_CHECK(json_array_size(ids) == n);
        json_decref(ids);
    }
    json_decref(config);
    free(head);
    return 0;
}
