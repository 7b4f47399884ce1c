/* Unit tests for image/manifest: OCI and Docker manifests and indexes, bounds, platforms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "image/manifest.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static const char oci_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
    "\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D1 "\",\"size\":10},"
    "\"layers\":[{\"mediaType\":\"" MT_OCI_LAYER_GZIP "\",\"digest\":\"" D2 "\",\"size\":20},"
    "{\"mediaType\":\"" MT_OCI_LAYER_ZSTD "\",\"digest\":\"" D3 "\",\"size\":30}]}";

static const char docker_list[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\",\"manifests\":["
    "{\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
    "{\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":1,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
    "{\"mediaType\":\"" MT_DOCKER_MANIFEST "\",\"digest\":\"" D3 "\",\"size\":1,"
    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}}]}";

static void test_manifest(void **state)
{
    (void)state;
    struct manifest m = {0};
    struct hk_error err = {0};
    assert_int_equal(manifest_parse(oci_manifest, strlen(oci_manifest), NULL, &m, &err), 0);
    assert_false(m.is_index);
    assert_string_equal(m.config.digest, D1);
    assert_int_equal(m.n_layers, 2);
    assert_string_equal(m.layers[1].digest, D3);
    assert_int_equal(m.layers[1].size, 30);
    manifest_clear(&m);
}

static void test_index(void **state)
{
    (void)state;
    struct manifest m = {0};
    struct hk_error err = {0};
    assert_int_equal(manifest_parse(docker_list, strlen(docker_list), NULL, &m, &err), 0);
    assert_true(m.is_index);
    assert_int_equal(m.n_manifests, 3);
    struct platform p;
    size_t i;
    assert_int_equal(platform_parse("linux/amd64", &p, &err), 0);
    assert_int_equal(manifest_choose(&m, &p, &i, &err), 0);
    assert_int_equal(i, 0);
    assert_int_equal(platform_parse("linux/arm64", &p, &err), 0); /* = arm64/v8 */
    assert_int_equal(manifest_choose(&m, &p, &i, &err), 0);
    assert_int_equal(i, 1);
    assert_int_equal(platform_parse("linux/arm/v6", &p, &err), 0);
    assert_int_equal(manifest_choose(&m, &p, &i, &err), 0);
    assert_int_equal(i, 2);
    assert_int_equal(platform_parse("linux/arm", &p, &err), 0); /* = arm/v7: absent */
    assert_int_equal(manifest_choose(&m, &p, &i, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "no image for platform linux/arm in"));
    assert_non_null(strstr(err.msg, "linux/amd64, linux/arm64/v8, linux/arm/v6"));
    manifest_clear(&m);
}

static void test_lone_manifest(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
        "\",\"digest\":\"" D1 "\",\"size\":1}]}";
    struct manifest m = {0};
    struct hk_error err = {0};
    assert_int_equal(manifest_parse(doc, strlen(doc), NULL, &m, &err), 0);
    assert_true(m.is_index); /* guessed from "manifests" */
    struct platform p;
    size_t i = 9;
    platform_host(&p);
    assert_int_equal(manifest_choose(&m, &p, &i, &err), 0);
    assert_int_equal(i, 0);
    manifest_clear(&m);
}

static void bad(const char *doc, const char *needle)
{
    struct manifest m = {0};
    struct hk_error err = {0};
    assert_true(manifest_parse(doc, strlen(doc), NULL, &m, &err) < 0);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
    assert_null(m.media_type);
}

static void test_errors(void **state)
{
    (void)state;
    bad("<html>nope</html>", "not JSON");
    bad("[]", "expected a JSON object");
    bad("{\"schemaVersion\":1}", "schema 1");
    bad("{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", "unsupported media type");
    bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
        "config.size");
    bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:12\",\"size\":1},\"layers\":[]}",
        "config.digest");
    bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":{}}",
        "layers: expected an array");
    bad("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":["
        "{\"mediaType\":\"application/x-foreign\",\"digest\":\"" D2 "\",\"size\":1}]}",
        "layers[0]: unsupported media type");
    /* more layers than allowed */
    size_t cap = 200 * (MANIFEST_MAX_LAYERS + 2);
    char *big = malloc(cap);
    int n =
        snprintf(big, cap,
                 "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[");
    for (int i = 0; i <= MANIFEST_MAX_LAYERS; i++)
        n += snprintf(big + n, cap - (size_t)n,
                      "%s{\"mediaType\":\"" MT_OCI_LAYER "\",\"digest\":\"" D2 "\",\"size\":1}",
                      i ? "," : "");
    snprintf(big + n, cap - (size_t)n, "]}");
    bad(big, "more than the");
    free(big);
}

static void test_config(void **state)
{
    (void)state;
    struct hk_error err = {0};
    json_t *c = json_loads("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\"]}}", 0, NULL);
    json_t *ids = NULL;
    assert_int_equal(config_diff_ids(c, 1, &ids, &err), 0);
    assert_int_equal(json_array_size(ids), 1);
    json_decref(ids);
    assert_int_equal(config_diff_ids(c, 2, &ids, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "has 1 entries, the manifest 2"));
    json_decref(c);
}

static void test_platform(void **state)
{
    (void)state;
    struct platform p;
    struct hk_error err = {0};
    char buf[64];
    assert_int_equal(platform_parse("linux/arm/v7", &p, &err), 0);
    assert_string_equal(platform_string(&p, buf, sizeof(buf)), "linux/arm/v7");
    assert_int_equal(platform_parse("linux", &p, &err), -EINVAL);
    assert_int_equal(platform_parse("linux/", &p, &err), -EINVAL);
    assert_int_equal(platform_parse("/amd64", &p, &err), -EINVAL);
    assert_int_equal(platform_parse("linux/arm/", &p, &err), -EINVAL);
    assert_int_equal(platform_parse("linux/arm/v7/x", &p, &err), -EINVAL);
    platform_host(&p);
    assert_string_equal(p.os, "linux");
    assert_true(p.arch[0] != '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest), cmocka_unit_test(test_index),
        cmocka_unit_test(test_errors),   cmocka_unit_test(test_config),
        cmocka_unit_test(test_platform), cmocka_unit_test(test_lone_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
