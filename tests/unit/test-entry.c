/* Unit tests for image/entry: layer entry names, whiteouts, link targets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "image/entry.h"

static void clean_ok(const char *in, const char *out)
{
    char *c = NULL;
    struct hk_error err = {0};
    if (entry_clean(in, &c, &err) < 0)
        fail_msg("'%s': %s", in, err.msg);
    assert_string_equal(c, out);
    free(c);
}

static void clean_bad(const char *in, int code)
{
    char *c = NULL;
    struct hk_error err = {0};
    assert_int_equal(entry_clean(in, &c, &err), code);
    assert_null(c);
    assert_non_null(strstr(err.msg, code == -ENAMETOOLONG ? "longer" : "refused"));
}

static void test_clean(void **state)
{
    (void)state;
    clean_ok("a/b", "a/b");
    clean_ok("./a/b/", "a/b");
    clean_ok("././a//./b", "a/b");
    clean_ok(".", "");
    clean_ok("./", "");
    clean_ok("a/.wh.b", "a/.wh.b");
    clean_ok("...", "...");
    clean_ok("..a/b..", "..a/b..");
    clean_bad("/etc/passwd", -EPERM);
    clean_bad("../x", -EPERM);
    clean_bad("a/../../x", -EPERM);
    clean_bad("a/..", -EPERM);
    clean_bad("./..", -EPERM);
    char *big = malloc(PATH_MAX + 10);
    memset(big, 'a', PATH_MAX + 9);
    big[PATH_MAX + 9] = '\0';
    clean_bad(big, -ENAMETOOLONG);
    free(big);
}

static void wh(const char *path, enum whiteout_kind kind, const char *target)
{
    enum whiteout_kind k;
    char *t = NULL;
    struct hk_error err = {0};
    if (whiteout_classify(path, &k, &t, &err) < 0)
        fail_msg("'%s': %s", path, err.msg);
    assert_int_equal(k, kind);
    if (target)
        assert_string_equal(t, target);
    else
        assert_null(t);
    free(t);
}

static void test_whiteouts(void **state)
{
    (void)state;
    wh("etc/passwd", WHITEOUT_NONE, NULL);
    wh("etc/.whatever", WHITEOUT_NONE, NULL);
    wh("etc/.wh.passwd", WHITEOUT_FILE, "etc/passwd");
    wh(".wh.top", WHITEOUT_FILE, "top");
    wh("a/b/.wh..wh..opq", WHITEOUT_OPAQUE, "a/b");
    wh(".wh..wh..opq", WHITEOUT_OPAQUE, "");
    wh("a/.wh..wh.plnk", WHITEOUT_META, NULL);
    wh("a/.wh..wh.aufs", WHITEOUT_META, NULL);
    wh("a/.wh...x", WHITEOUT_FILE, "a/..x");
    static const char *const bad[] = {"a/.wh.", ".wh..", "a/.wh..."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum whiteout_kind k;
        char *t = NULL;
        struct hk_error err = {0};
        assert_int_equal(whiteout_classify(bad[i], &k, &t, &err), -EPERM);
        assert_null(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_whiteouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
