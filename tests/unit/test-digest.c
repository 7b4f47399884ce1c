/* Unit tests for image/digest: syntax, streaming, verification, chain IDs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "image/digest.h"
#include "util/lazy.h"

#define EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_known(void **state)
{
    (void)state;
    char d[DIGEST_STR_SIZE];
    assert_int_equal(digest_buffer("", 0, d, NULL), 0);
    assert_string_equal(d, EMPTY);
    struct sha256 *h = NULL;
    assert_int_equal(sha256_new(&h, NULL), 0);
    sha256_update(h, "a", 1);
    sha256_update(h, "bc", 2);
    sha256_final(h, d);
    sha256_free(h);
    assert_string_equal(d, ABC);
    assert_string_equal(digest_hex(ABC), &ABC[7]);
}

static void test_verify(void **state)
{
    (void)state;
    struct hk_error err = {0};
    assert_int_equal(digest_verify(ABC, "abc", 3, &err), 0);
    assert_int_equal(digest_verify(ABC, "abd", 3, &err), -EBADMSG);
    assert_non_null(strstr(err.msg, "expected " ABC));
}

static void test_syntax(void **state)
{
    (void)state;
    struct hk_error err = {0};
    assert_true(digest_is_valid(ABC));
    assert_false(
        digest_is_valid("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    assert_false(digest_is_valid("sha256:ba78"));
    assert_false(digest_is_valid(NULL));
    assert_int_equal(digest_check("sha512:abcd", &err), -EOPNOTSUPP);
    assert_int_equal(digest_check("nonsense", &err), -EINVAL);
    assert_int_equal(digest_check("", &err), -EINVAL);
}

static void test_chain(void **state)
{
    (void)state;
    char c[DIGEST_STR_SIZE], expect[DIGEST_STR_SIZE];
    assert_int_equal(digest_chain_id(NULL, ABC, c, NULL), 0);
    assert_string_equal(c, ABC);
    assert_int_equal(digest_chain_id(ABC, EMPTY, c, NULL), 0);
    const char *joined = ABC " " EMPTY;
    digest_buffer(joined, strlen(joined), expect, NULL);
    assert_string_equal(c, expect);
}

static void test_lazy_missing(void **state)
{
    (void)state;
    struct hk_error err = {0};
    assert_int_equal(lazy_require("libhako-does-not-exist.so.9", &err), -ENOENT);
    assert_non_null(strstr(err.msg, "libhako-does-not-exist.so.9 not found"));
    assert_int_equal(lazy_require(LAZY_CRYPTO, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_syntax),       cmocka_unit_test(test_chain),
        cmocka_unit_test(test_lazy_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
