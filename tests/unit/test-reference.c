/* Unit tests for image/reference: Docker's normalization and its errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"

static void check(const char *in, const char *domain, const char *path, const char *tag,
                  const char *digest)
{
    struct image_ref r = {0};
    struct hk_error err = {0};
    int rc = ref_parse(in, &r, &err);
    if (rc < 0)
        fail_msg("'%s': %s", in, err.msg);
    assert_string_equal(r.domain, domain);
    assert_string_equal(r.path, path);
    if (tag)
        assert_string_equal(r.tag, tag);
    else
        assert_null(r.tag);
    if (digest)
        assert_string_equal(r.digest, digest);
    else
        assert_null(r.digest);
    ref_clear(&r);
}

#define D "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_normalize(void **state)
{
    (void)state;
    check("busybox", "docker.io", "library/busybox", "latest", NULL);
    check("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL);
    check("user/app", "docker.io", "user/app", "latest", NULL);
    check("docker.io/busybox", "docker.io", "library/busybox", "latest", NULL);
    check("index.docker.io/library/busybox:x", "docker.io", "library/busybox", "x", NULL);
    check("localhost/app", "localhost", "app", "latest", NULL);
    check("localhost:5000/ns/name:tag", "localhost:5000", "ns/name", "tag", NULL);
    check("127.0.0.1:5000/a/b/c", "127.0.0.1:5000", "a/b/c", "latest", NULL);
    check("quay.io/a_b/c-d.e__f", "quay.io", "a_b/c-d.e__f", "latest", NULL);
    check("busybox@" D, "docker.io", "library/busybox", NULL, D);
    check("busybox:t@" D, "docker.io", "library/busybox", "t", D);
    check("[::1]:5000/x:y", "[::1]:5000", "x", "y", NULL);
    check("Host.Example:80/x", "Host.Example:80", "x", "latest", NULL);
}

static void bad(const char *in, const char *needle)
{
    struct image_ref r = {0};
    struct hk_error err = {0};
    assert_true(ref_parse(in, &r, &err) < 0);
    if (!strstr(err.msg, needle))
        fail_msg("'%s': message '%s' lacks '%s'", in, err.msg, needle);
    assert_null(r.domain);
}

static void test_errors(void **state)
{
    (void)state;
    bad("", "empty");
    bad("BusyBox", "must be lowercase");
    bad("a/B", "must be lowercase");
    bad("busybox:", "bad tag");
    bad("busybox:-x", "bad tag");
    bad("busybox@sha256:abc", "invalid digest");
    bad("busybox@sha512:abc", "unsupported algorithm");
    bad("a//b", "bad repository name");
    bad("a/b_", "bad repository name");
    bad("-a", "bad repository name");
    bad("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "64-byte hexadecimal");
    bad("host:/x", "bad registry");
    bad("host:5x/x", "bad registry");
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    bad(long_name, "longer than 255");
}

static void test_format(void **state)
{
    (void)state;
    struct image_ref r = {0};
    assert_int_equal(ref_parse("busybox", &r, NULL), 0);
    assert_true(r.tag_default);
    char *s = ref_string(&r);
    assert_string_equal(s, "docker.io/library/busybox:latest");
    free(s);
    s = ref_name(&r);
    assert_string_equal(s, "docker.io/library/busybox");
    free(s);
    assert_string_equal(ref_api_host(&r), "registry-1.docker.io");
    ref_clear(&r);
    s = ref_familiar_name("docker.io/library/busybox");
    assert_string_equal(s, "busybox");
    free(s);
    s = ref_familiar_name("docker.io/user/app");
    assert_string_equal(s, "user/app");
    free(s);
    s = ref_familiar_name("localhost:5000/x");
    assert_string_equal(s, "localhost:5000/x");
    free(s);
    assert_true(ref_domain_is_local("localhost:5000"));
    assert_true(ref_domain_is_local("127.0.0.1:5000"));
    assert_true(ref_domain_is_local("[::1]:5000"));
    assert_false(ref_domain_is_local("quay.io"));
    assert_false(ref_domain_is_local("localhost.example.com"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
