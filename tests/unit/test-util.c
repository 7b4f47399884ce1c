/* Unit tests for util/: errors, paths, JSON locations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/path.h"

static void test_error_compose(void **state)
{
    (void)state;
    struct hk_error err = {0};
    int r = hk_error_set(&err, -ENOENT, "'%s' is missing", "/data");
    assert_int_equal(r, -ENOENT);
    r = hk_error_prefix(&err, r, "mount %d", 3);
    r = hk_error_prefix(&err, r, "create '%s'", "web");
    assert_string_equal(hk_error_msg(&err), "create 'web': mount 3: '/data' is missing");
    assert_int_equal(err.code, -ENOENT);
    hk_error_clear(&err);
    hk_error_errno(&err, EACCES, "open");
    assert_string_equal(hk_error_msg(&err), "open: Permission denied");
    assert_int_equal(hk_error_set(NULL, 5, "x"), -5);
}

static void test_path_clean(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"/", "/"},         {"", "/"},           {"a/b", "/a/b"},       {"/a//b/", "/a/b"},
        {"/a/./b", "/a/b"}, {"/a/../b", "/b"},   {"/../../etc", "/etc"}, {"..", "/"},
        {"/a/b/..", "/a"},  {"/a/b/../../..", "/"},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char *c = path_clean(cases[i][0]);
        assert_string_equal(c, cases[i][1]);
        free(c);
    }
    char *dir, *base;
    assert_int_equal(path_split("/a/b/c", &dir, &base), 0);
    assert_string_equal(dir, "/a/b");
    assert_string_equal(base, "c");
    free(dir);
    free(base);
    assert_int_equal(path_split("x", &dir, &base), 0);
    assert_string_equal(dir, "/");
    assert_string_equal(base, "x");
    free(dir);
    free(base);
    assert_int_equal(path_split("/", &dir, &base), -EINVAL);
}

static void test_json_line_of(void **state)
{
    (void)state;
    const char *text = "{\n"
                       "  \"ociVersion\": \"1.0.0\",\n"
                       "  \"process\": {\n"
                       "    \"args\": [\"sh\", \"-c\",\n"
                       "             \"x\"],\n"
                       "    \"user\": {\"uid\": 0,\n"
                       "             \"gid\": \"zero\"}\n"
                       "  },\n"
                       "  \"mounts\": [{\"a\": {\"b\": [1, {}]}}, \n"
                       "     {\"destination\": 5}]\n"
                       "}\n";
    assert_int_equal(json_line_of(text, "ociVersion"), 2);
    assert_int_equal(json_line_of(text, "process"), 3);
    assert_int_equal(json_line_of(text, "process.args[2]"), 5);
    assert_int_equal(json_line_of(text, "process.user.uid"), 6);
    assert_int_equal(json_line_of(text, "process.user.gid"), 7);
    assert_int_equal(json_line_of(text, "mounts[1].destination"), 10);
    assert_int_equal(json_line_of(text, "nope"), 0);
    assert_int_equal(json_line_of(text, "mounts[7]"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_compose),
        cmocka_unit_test(test_path_clean),
        cmocka_unit_test(test_json_line_of),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
