/* Unit tests for engine/net/ports: docker's -p values, the ports a container publishes, and
 * the PORTS column. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net/ports.h"
#include "util/json.h"

/* Parse spec into fresh objects; return PortBindings as compact JSON (allocated). */
static char *parse(const char *spec, int *ret)
{
    json_t *pb = json_object(), *ex = json_object();
    *ret = ports_parse(spec, pb, ex, NULL);
    char *s = json_dumps(pb, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(pb);
    json_decref(ex);
    return s;
}

static void expect(const char *spec, const char *json)
{
    int r;
    char *s = parse(spec, &r);
    assert_int_equal(r, 0);
    assert_string_equal(s, json);
    free(s);
}

static void test_forms(void **state)
{
    (void)state;
    expect("8080:80", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}");
    expect("127.0.0.1:8080:80/udp",
           "{\"80/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"}]}");
    expect("127.0.0.1::80", "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}");
    expect("80", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}");
    expect("8000-8001:80-81", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8000\"}],"
                              "\"81/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8001\"}]}");
    expect("8000-8010:80", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8000-8010\"}]}");
    expect("80-81", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],"
                    "\"81/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}");
}

static void test_errors(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"70000:80", "invalid hostPort: 70000"},     {"80:70000", "invalid containerPort: 70000"},
        {"80/sctp", "invalid proto: sctp"},           {"0:80", "invalid hostPort: 0"},
        {"a:b:c:d", "invalid port format: a:b:c:d"}, {"x.y:80:80", "invalid IP address: x.y"},
        {"8000-8001:80-82", "Invalid ranges"},        {"", "invalid containerPort: "},
        {"[::1]:80:80", "IPv6"},                      {"81-80", "invalid containerPort"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *pb = json_object(), *ex = json_object();
        struct hk_error err = {0};
        assert_int_equal(ports_parse(bad[i][0], pb, ex, &err), -EINVAL);
        if (!strstr(err.msg, bad[i][1]))
            fail_msg("'%s': got '%s', want '%s'", bad[i][0], err.msg, bad[i][1]);
        json_decref(pb);
        json_decref(ex);
    }
}

static void test_wanted_and_column(void **state)
{
    (void)state;
    json_t *hc = json_pack("{s:{s:[{s:s,s:s}]},s:b}", "PortBindings", "80/tcp", "HostIp",
                           "0.0.0.0", "HostPort", "8080", "PublishAllPorts", 1);
    json_t *ex = json_pack("{s:{},s:{}}", "80/tcp", "53/udp");
    struct fw_port *v = NULL;
    size_t n = 0;
    assert_int_equal(ports_wanted(hc, ex, &v, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].proto, "tcp");
    assert_string_equal(v[0].host_ip, "");
    assert_int_equal(v[0].host_port, 8080);
    assert_int_equal(v[0].container_port, 80);
    assert_string_equal(v[1].proto, "udp");
    assert_int_equal(v[1].host_port, 0);
    assert_int_equal(v[1].container_port, 53);
    free(v);
    json_decref(hc);
    json_decref(ex);
    json_t *ports = json_pack("{s:[{s:s,s:s}],s:n}", "80/tcp", "HostIp", "0.0.0.0", "HostPort",
                              "8080", "53/udp");
    char *col = ports_column(ports);
    assert_string_equal(col, "0.0.0.0:8080->80/tcp, 53/udp");
    free(col);
    json_decref(ports);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_wanted_and_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
