/* Unit tests for engine/health: the healthcheck config with docker's defaults, its checks, the
 * merge of the image's and the flags' and Go's duration text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine/health.h"
#include "util/json.h"

static void test_duration(void **state)
{
    (void)state;
    char b[32];
    static const struct {
        int64_t ns;
        const char *s;
    } cases[] = {{0, "0s"},
                 {30000000000LL, "30s"},
                 {90000000000LL, "1m30s"},
                 {3600000000000LL, "1h0m0s"},
                 {1500000000LL, "1.5s"},
                 {200000000LL, "200ms"},
                 {1500000LL, "1.5ms"},
                 {1500LL, "1.5\u00b5s"},
                 {7LL, "7ns"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(health_duration(cases[i].ns, b, sizeof(b)), cases[i].s);
}

static void test_config_defaults(void **state)
{
    (void)state;
    struct health_config hc;
    json_t *c = json_pack("{s:{s:[ss]}}", "Healthcheck", "Test", "CMD-SHELL", "true");
    assert_true(health_config_of(c, &hc));
    assert_int_equal(hc.interval, 30000000000LL);
    assert_int_equal(hc.timeout, 30000000000LL);
    assert_int_equal(hc.start_period, 0);
    assert_int_equal(hc.start_interval, 5000000000LL);
    assert_int_equal(hc.retries, 3);
    json_decref(c);
    c = json_pack("{s:{s:[s]}}", "Healthcheck", "Test", "NONE");
    assert_false(health_config_of(c, &hc));
    json_decref(c);
    c = json_object();
    assert_false(health_config_of(c, &hc));
    json_decref(c);
}

static void test_checks(void **state)
{
    (void)state;
    struct hk_error err = {0};
    json_t *h = json_pack("{s:[ss],s:I}", "Test", "CMD", "x", "Interval", (json_int_t)500000);
    assert_int_equal(health_check(h, &err), -EINVAL);
    assert_string_equal(hk_error_msg(&err), "Interval in Healthcheck cannot be less than 1ms");
    json_decref(h);
    h = json_pack("{s:[ss],s:i}", "Test", "CMD", "x", "Retries", -1);
    assert_int_equal(health_check(h, NULL), -EINVAL);
    json_decref(h);
    h = json_pack("{s:[ss]}", "Test", "SHELL", "x");
    assert_int_equal(health_check(h, NULL), -EINVAL);
    json_decref(h);
    h = json_pack("{s:[s]}", "Test", "CMD");
    assert_int_equal(health_check(h, NULL), -EINVAL);
    json_decref(h);
    h = json_pack("{s:[ss],s:I}", "Test", "CMD", "x", "Timeout", (json_int_t)1000000);
    assert_int_equal(health_check(h, NULL), 0);
    json_decref(h);
}

static void test_merge(void **state)
{
    (void)state;
    json_t *img = json_pack("{s:[ss],s:I,s:i}", "Test", "CMD", "probe", "Interval",
                            (json_int_t)1000000000, "Retries", 2);
    json_t *flags = json_pack("{s:i}", "Retries", 7);
    json_t *m = health_merge(img, flags);
    char *s = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"Interval\":1000000000,\"Retries\":7,\"Test\":[\"CMD\",\"probe\"]}");
    free(s);
    json_decref(m);
    m = health_merge(img, NULL);
    assert_true(json_equal(m, img));
    json_decref(m);
    assert_null(health_merge(NULL, NULL));
    json_decref(flags);
    json_decref(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
