/* Unit tests for util/human: docker's size and duration wording. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/human.h"

static void test_size(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(human_size(0, b, sizeof(b)), "0B");
    assert_string_equal(human_size(999, b, sizeof(b)), "999B");
    assert_string_equal(human_size(1234, b, sizeof(b)), "1.23kB");
    assert_string_equal(human_size(4261234, b, sizeof(b)), "4.26MB");
    assert_string_equal(human_size(77800000, b, sizeof(b)), "77.8MB");
    assert_string_equal(human_size(1200000000, b, sizeof(b)), "1.2GB");
}

static void test_duration(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(human_duration(0, b, sizeof(b)), "Less than a second");
    assert_string_equal(human_duration(1, b, sizeof(b)), "1 second");
    assert_string_equal(human_duration(45, b, sizeof(b)), "45 seconds");
    assert_string_equal(human_duration(60, b, sizeof(b)), "About a minute");
    assert_string_equal(human_duration(125, b, sizeof(b)), "2 minutes");
    assert_string_equal(human_duration(3600, b, sizeof(b)), "About an hour");
    assert_string_equal(human_duration(2 * 3600, b, sizeof(b)), "2 hours");
    assert_string_equal(human_duration(3 * 86400, b, sizeof(b)), "3 days");
    assert_string_equal(human_duration(20 * 86400, b, sizeof(b)), "2 weeks");
    assert_string_equal(human_duration(200 * 86400, b, sizeof(b)), "6 months");
    assert_string_equal(human_duration(3 * 365 * 86400, b, sizeof(b)), "3 years");
    assert_string_equal(human_duration(-5, b, sizeof(b)), "Less than a second");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
