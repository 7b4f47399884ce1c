/* manifest.h — image manifests, indexes and configs: parsing with bounds, platform choice.
 *
 * Accepted: OCI image manifest and index, Docker schema 2 manifest and manifest list (schema 1
 * is refused). A manifest names a config blob and an ordered list of layer blobs; an index
 * names one manifest per platform. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"

/* The Accept header a registry client sends for manifests. */
#define MANIFEST_ACCEPT                                                                            \
    MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST

#define MANIFEST_MAX_LAYERS 500

struct platform {
    char os[32];
    char arch[32];
    char variant[32];
};

struct descriptor {
    char *media_type;
    char *digest;
    int64_t size;
    struct platform platform; /* index entries only */
    bool has_platform;
};

struct manifest {
    bool is_index;
    char *media_type;
    /* an image manifest */
    struct descriptor config;
    size_t n_layers;
    struct descriptor *layers;
    /* an index */
    size_t n_manifests;
    struct descriptor *manifests;
};

/* Parse a manifest or index. content_type (may be NULL) is the registry's Content-Type, used
 * when the document has no mediaType field. Errors say which field is wrong. */
int manifest_parse(const char *data, size_t len, const char *content_type, struct manifest *ret,
                   struct hk_error *err);
void manifest_clear(struct manifest *m);

/* "linux/arm64/v8" → platform; "" parts are errors. */
int platform_parse(const char *s, struct platform *ret, struct hk_error *err);
/* The running machine's platform in OCI terms (linux/amd64, linux/arm64/v8, ...). */
void platform_host(struct platform *ret);
/* "linux/amd64" or "linux/arm/v7" into buf. */
const char *platform_string(const struct platform *p, char *buf, size_t size);
/* Whether descriptor platform have satisfies want (variants normalized: arm64 = arm64/v8). */
bool platform_match(const struct platform *want, const struct platform *have);

/* Index the manifest in m (an index) for want; -ENOENT naming the available platforms when
 * none fits. */
int manifest_choose(const struct manifest *m, const struct platform *want, size_t *ret_i,
                    struct hk_error *err);

/* Whether a layer media type is one hako can unpack. */
bool layer_media_type_ok(const char *mt);

/* From an image config: the ordered diff IDs (rootfs.diff_ids), checked to be digests and to
 * number n_expected. Returns a new reference to the array. */
int config_diff_ids(json_t *config, size_t n_expected, json_t **ret, struct hk_error *err);
