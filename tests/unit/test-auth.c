/* Unit tests for image/auth (challenges, credentials file) and util/base64. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/auth.h"
#include "util/base64.h"
#include "util/fs.h"

static void test_challenge(void **state)
{
    (void)state;
    struct auth_challenge c = {0};
    struct hk_error err = {0};
    assert_int_equal(auth_parse_challenge("Bearer realm=\"https://auth.docker.io/token\","
                                          "service=\"registry.docker.io\","
                                          "scope=\"repository:library/busybox:pull\"",
                                          &c, &err),
                     0);
    assert_string_equal(c.scheme, "Bearer");
    assert_string_equal(c.realm, "https://auth.docker.io/token");
    assert_string_equal(c.service, "registry.docker.io");
    assert_string_equal(c.scope, "repository:library/busybox:pull");
    auth_challenge_clear(&c);
    assert_int_equal(auth_parse_challenge("Basic realm=\"a \\\"quoted\\\" realm\"", &c, &err), 0);
    assert_string_equal(c.scheme, "Basic");
    assert_string_equal(c.realm, "a \"quoted\" realm");
    assert_null(c.service);
    auth_challenge_clear(&c);
    assert_int_equal(auth_parse_challenge("bearer realm=x, service=y", &c, &err), 0);
    assert_string_equal(c.realm, "x");
    assert_string_equal(c.service, "y");
    auth_challenge_clear(&c);
    assert_int_equal(auth_parse_challenge("Bearer realm=\"unterminated", &c, &err), -EINVAL);
    assert_int_equal(auth_parse_challenge("   ", &c, &err), -EINVAL);
    assert_int_equal(auth_parse_challenge("Bearer =x", &c, &err), -EINVAL);
}

static void test_base64(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"user:pass", "dXNlcjpwYXNz"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *e = base64_encode(cases[i][0], strlen(cases[i][0]));
        assert_string_equal(e, cases[i][1]);
        free(e);
        char *d = NULL;
        size_t n;
        assert_int_equal(base64_decode(cases[i][1], &d, &n), 0);
        assert_string_equal(d, cases[i][0]);
        assert_int_equal(n, strlen(cases[i][0]));
        free(d);
    }
    char *d = NULL;
    assert_int_equal(base64_decode("no spaces!", &d, NULL), -EINVAL);
}

static void test_credentials(void **state)
{
    (void)state;
    char dir[] = "/tmp/hako-test-auth-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *file = xasprintf("%s/sub/auth.json", dir);
    struct hk_error err = {0};
    char *u = NULL, *p = NULL;
    assert_int_equal(auth_get(file, "localhost:5000", &u, &p, &err), 0);
    assert_null(u);
    assert_int_equal(auth_set(file, "localhost:5000", "me", "pa:ss", &err), 0);
    assert_int_equal(auth_set(file, "docker.io", "hub", "x", &err), 0);
    assert_int_equal(auth_get(file, "localhost:5000", &u, &p, &err), 0);
    assert_string_equal(u, "me");
    assert_string_equal(p, "pa:ss");
    free(u);
    free(p);
    char *text = NULL;
    assert_int_equal(read_file(file, 65536, &text, NULL, &err), 0);
    assert_non_null(strstr(text, "\"https://index.docker.io/v1/\""));
    free(text);
    assert_int_equal(auth_delete(file, "localhost:5000", &err), 0);
    assert_int_equal(auth_delete(file, "localhost:5000", &err), -ENOENT);
    assert_int_equal(auth_get(file, "localhost:5000", &u, &p, &err), 0);
    assert_null(u);
    rm_rf(dir);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_challenge),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_credentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
