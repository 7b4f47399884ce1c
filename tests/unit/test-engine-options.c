/* Unit tests for engine/options and engine/restart: docker's flag values and policies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "engine/mountspec.h"
#include "engine/options.h"
#include "engine/restart.h"
#include "util/json.h"

static void test_bytes(void **state)
{
    (void)state;
    int64_t v;
    struct hk_error err = {0};
    assert_int_equal(opt_parse_bytes("16m", &v, NULL), 0);
    assert_int_equal(v, 16 << 20);
    assert_int_equal(opt_parse_bytes("16M", &v, NULL), 0);
    assert_int_equal(v, 16 << 20);
    assert_int_equal(opt_parse_bytes("1g", &v, NULL), 0);
    assert_int_equal(v, 1LL << 30);
    assert_int_equal(opt_parse_bytes("512k", &v, NULL), 0);
    assert_int_equal(v, 512 << 10);
    assert_int_equal(opt_parse_bytes("1.5GiB", &v, NULL), 0);
    assert_int_equal(v, 3LL << 29);
    assert_int_equal(opt_parse_bytes("100", &v, NULL), 0);
    assert_int_equal(v, 100);
    assert_int_equal(opt_parse_bytes("64mb", &v, NULL), 0);
    assert_int_equal(v, 64 << 20);
    assert_int_equal(opt_parse_bytes("lots", &v, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid size: 'lots'");
    assert_int_equal(opt_parse_bytes("", &v, NULL), -EINVAL);
    assert_int_equal(opt_parse_bytes("-1m", &v, NULL), -EINVAL);
    assert_int_equal(opt_parse_bytes("12x", &v, NULL), -EINVAL);
    assert_int_equal(opt_parse_bytes("1mm", &v, NULL), -EINVAL);
}

static void test_cpus(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(opt_parse_cpus("1.5", &v, NULL), 0);
    assert_int_equal(v, 1500000000LL);
    assert_int_equal(opt_parse_cpus("0.01", &v, NULL), 0);
    assert_int_equal(v, 10000000LL);
    assert_int_equal(opt_parse_cpus("two", &v, NULL), -EINVAL);
    assert_int_equal(opt_parse_cpus("-1", &v, NULL), -EINVAL);
}

static void test_ulimit(void **state)
{
    (void)state;
    json_t *j = NULL;
    struct hk_error err = {0};
    assert_int_equal(opt_parse_ulimit("nofile=1024:2048", &j, NULL), 0);
    _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
    assert_string_equal(s, "{\"Name\":\"nofile\",\"Soft\":1024,\"Hard\":2048}");
    json_decref(j);
    assert_int_equal(opt_parse_ulimit("nproc=100", &j, NULL), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "Hard")), 100);
    json_decref(j);
    assert_int_equal(opt_parse_ulimit("core=-1", &j, NULL), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "Soft")), -1);
    json_decref(j);
    assert_int_equal(opt_parse_ulimit("nofiles=1", &j, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid ulimit type: nofiles");
    assert_int_equal(opt_parse_ulimit("nofile", &j, NULL), -EINVAL);
    assert_int_equal(opt_parse_ulimit("nofile=2:1", &j, NULL), -EINVAL);
    assert_int_equal(opt_parse_ulimit("nofile=a:b", &j, NULL), -EINVAL);
}

static void test_volume_tmpfs(void **state)
{
    (void)state;
    json_t *m = NULL;
    char *mode = NULL;
    struct hk_error err = {0};
    assert_int_equal(mountspec_parse_bind("/h:/c", &m, &mode, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(m, "Type")), "bind");
    assert_string_equal(json_string_value(json_object_get(m, "Source")), "/h");
    assert_string_equal(json_string_value(json_object_get(m, "Target")), "/c");
    assert_false(json_is_true(json_object_get(m, "ReadOnly")));
    json_decref(m);
    free(mode);
    assert_int_equal(mountspec_parse_bind("/h:/c:ro", &m, NULL, NULL), 0);
    assert_true(json_is_true(json_object_get(m, "ReadOnly")));
    json_decref(m);
    assert_int_equal(mountspec_parse_bind("data:/c:rw,z,nocopy", &m, &mode, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(m, "Type")), "volume");
    assert_true(json_is_true(json_object_get(json_object_get(m, "VolumeOptions"), "NoCopy")));
    assert_string_equal(mode, "rw,z,nocopy");
    json_decref(m);
    free(mode);
    assert_int_equal(mountspec_parse_bind("/anon", &m, NULL, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(m, "Source")), "");
    json_decref(m);
    assert_int_equal(mountspec_parse_bind("/h:c", &m, NULL, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid mount config for type \"bind\": invalid mount path: "
                                 "'c' mount path must be absolute");
    assert_int_equal(mountspec_parse_bind("/h:/c:xx", &m, NULL, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid mode: xx");
    assert_int_equal(mountspec_parse_bind("/etc::/x", &m, NULL, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid mode: /x");
    assert_int_equal(mountspec_parse_bind("/h:ro", &m, NULL, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid volume specification: '/h:ro'");
    assert_int_equal(mountspec_parse_bind("/h:/", &m, NULL, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid mount config for type \"bind\": invalid "
                                 "specification: destination can't be '/'");
    assert_int_equal(mountspec_parse_bind("/etc:/proc", &m, NULL, &err), -EPERM);
    assert_string_equal(err.msg, "\"/proc\" cannot be mounted because it is not of type proc");
    assert_int_equal(mountspec_parse_bind("/etc:/proc/sys/x", &m, NULL, &err), -EPERM);
    assert_int_equal(mountspec_parse_bind("/etc/hostname:/proc/uptime", &m, NULL, NULL), 0);
    json_decref(m);
    assert_int_equal(mountspec_parse_bind("v:/c:shared", &m, NULL, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid mount config for type \"volume\": field BindOptions "
                                 "must not be specified");
    assert_int_equal(mountspec_parse_bind("/c:ro", &m, NULL, &err), -EINVAL);
    assert_int_equal(mountspec_parse_bind("a:b:c:d", &m, NULL, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid volume specification: 'a:b:c:d'");
    assert_int_equal(mountspec_parse_csv("type=bind,src=/h,dst=/c,readonly,bind-propagation=rshared",
                                         &m, NULL), 0);
    assert_true(json_is_true(json_object_get(m, "ReadOnly")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "BindOptions"),
                                                          "Propagation")), "rshared");
    json_decref(m);
    assert_int_equal(mountspec_parse_csv("type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770",
                                         &m, NULL), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "TmpfsOptions"),
                                                        "Mode")), 01770);
    json_decref(m);
    assert_int_equal(mountspec_parse_csv("type=bind,source=/h", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "target is required");
    assert_int_equal(mountspec_parse_csv("type=bind,target=/c,volume-nocopy", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "cannot mix 'volume-*' options with mount type 'bind'");
    assert_int_equal(mountspec_parse_csv("target=/c,foo=bar", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "unexpected key 'foo' in 'foo=bar'");
    assert_int_equal(mountspec_parse_csv("target=/c,bogus", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid field 'bogus' must be a key=value pair");
    assert_int_equal(mountspec_parse_csv("type=tmpfs,target=/c,tmpfs-mode=9", &m, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid value for tmpfs-mode: 9");
    assert_int_equal(mountspec_parse_csv("type=bind,source=/nonexistent-x,target=/c", &m, NULL), 0);
    assert_int_equal(mountspec_validate(m, true, &err), -ENOENT);
    assert_string_equal(err.msg, "invalid mount config for type \"bind\": bind source path does "
                                 "not exist: /nonexistent-x");
    json_decref(m);
    assert_int_equal(mountspec_parse_csv("type=volume,target=/c,readonly", &m, NULL), 0);
    assert_int_equal(mountspec_validate(m, true, &err), -EINVAL);
    assert_string_equal(err.msg, "invalid mount config for type \"volume\": must not set "
                                 "ReadOnly mode when using anonymous volumes");
    json_decref(m);
    json_t *t = json_object();
    assert_int_equal(opt_parse_tmpfs("/run:size=1m,exec", t, NULL), 0);
    assert_int_equal(opt_parse_tmpfs("/tmp", t, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(t, "/run")), "size=1m,exec");
    assert_string_equal(json_string_value(json_object_get(t, "/tmp")), "");
    assert_int_equal(opt_parse_tmpfs("tmp", t, NULL), -EINVAL);
    json_decref(t);
}

static void test_signal(void **state)
{
    (void)state;
    int s;
    assert_int_equal(opt_parse_signal("SIGTERM", &s, NULL), 0);
    assert_int_equal(s, SIGTERM);
    assert_int_equal(opt_parse_signal("kill", &s, NULL), 0);
    assert_int_equal(s, SIGKILL);
    assert_int_equal(opt_parse_signal("10", &s, NULL), 0);
    assert_int_equal(s, 10);
    assert_int_equal(opt_parse_signal("SIGNOPE", &s, NULL), -EINVAL);
    assert_int_equal(opt_parse_signal("RTMIN+3", &s, NULL), 0);
    assert_int_equal(s, SIGRTMIN + 3);
    assert_int_equal(opt_parse_signal("SIGRTMAX", &s, NULL), 0);
    assert_int_equal(s, SIGRTMAX);
    assert_int_equal(opt_parse_signal("rtmax-2", &s, NULL), 0);
    assert_int_equal(s, SIGRTMAX - 2);
    assert_int_equal(opt_parse_signal("RTMIN+2147483647", &s, NULL), -EINVAL);
    assert_int_equal(opt_parse_signal("RTMIN-1", &s, NULL), -EINVAL);
    assert_int_equal(opt_parse_signal("RTMAX+1", &s, NULL), -EINVAL);
    assert_int_equal(opt_parse_signal("RTMIN+", &s, NULL), -EINVAL);
    assert_int_equal(opt_parse_signal("0", &s, NULL), -EINVAL);
    assert_string_equal(opt_signal_name(SIGUSR1), "SIGUSR1");
    assert_null(opt_signal_name(0));
}

static void test_time_and_idmap(void **state)
{
    (void)state;
    int64_t ns, now = 1700000000LL * 1000000000LL;
    assert_int_equal(opt_parse_time("10m", now, &ns, NULL), 0);
    assert_true(ns == now - 600LL * 1000000000LL);
    assert_int_equal(opt_parse_time("1h30m", now, &ns, NULL), 0);
    assert_true(ns == now - 5400LL * 1000000000LL);
    assert_int_equal(opt_parse_time("1700000000", now, &ns, NULL), 0);
    assert_true(ns == now);
    assert_int_equal(opt_parse_time("2023-11-14T22:13:20.5Z", 0, &ns, NULL), 0);
    assert_true(ns == now + 500000000LL);
    assert_int_equal(opt_parse_time("2023-11-15T00:13:20+02:00", 0, &ns, NULL), 0);
    assert_true(ns == now);
    assert_int_equal(opt_parse_time("yesterday", now, &ns, NULL), -EINVAL);
    json_t *m = NULL;
    assert_int_equal(opt_parse_idmap("0:100000:65536", &m, NULL), 0);
    assert_int_equal(json_integer_value(json_object_get(m, "HostID")), 100000);
    json_decref(m);
    assert_int_equal(opt_parse_idmap("0:1", &m, NULL), -EINVAL);
    assert_int_equal(opt_parse_idmap("0:1:0", &m, NULL), -EINVAL);
}

static void test_restart(void **state)
{
    (void)state;
    json_t *p = NULL;
    assert_int_equal(restart_parse("on-failure:3", &p, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(p, "Name")), "on-failure");
    assert_true(restart_should(p, 1, 0, false));
    assert_true(restart_should(p, 1, 2, false));
    assert_false(restart_should(p, 1, 3, false)); /* three restarts done */
    assert_false(restart_should(p, 0, 0, false)); /* success */
    assert_false(restart_should(p, 1, 0, true));  /* stopped by the user */
    json_decref(p);
    assert_int_equal(restart_parse("always", &p, NULL), 0);
    assert_true(restart_should(p, 0, 100, false));
    assert_false(restart_should(p, 0, 0, true));
    json_decref(p);
    assert_int_equal(restart_parse("no", &p, NULL), 0);
    assert_false(restart_should(p, 1, 0, false));
    json_decref(p);
    assert_false(restart_should(NULL, 1, 0, false));
    assert_int_equal(restart_parse("always:3", &p, NULL), -EINVAL);
    assert_int_equal(restart_parse("on-failure:x", &p, NULL), -EINVAL);
    assert_int_equal(restart_parse("sometimes", &p, NULL), -EINVAL);
    assert_int_equal(restart_delay_ms(0), 100);
    assert_int_equal(restart_delay_ms(3), 800);
    assert_int_equal(restart_delay_ms(30), 60000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytes),          cmocka_unit_test(test_cpus),
        cmocka_unit_test(test_ulimit),         cmocka_unit_test(test_volume_tmpfs),
        cmocka_unit_test(test_signal),         cmocka_unit_test(test_time_and_idmap),
        cmocka_unit_test(test_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
