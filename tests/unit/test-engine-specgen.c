/* Unit tests for engine/specgen, engine/user, engine/etc and the image-config merge: the
 * OCI config a docker-shaped request becomes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine/create.h"
#include "engine/etc.h"
#include "engine/specgen.h"
#include "engine/user.h"
#include "oci/spec.h"
#include "util/json.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                             "web:x:1000:1000:web:/home/web:/bin/sh\n"
                             "nobody:x:65534:65534:nobody:/home:/bin/false\n";
static const char group[] = "root:x:0:\nwheel:x:10:root,web\nweb:x:1000:\nstaff:x:50:web\n"
                            "nogroup:x:65534:\n";

static void test_user(void **state)
{
    (void)state;
    struct user_ids u;
    struct hk_error err = {0};
    assert_int_equal(user_resolve_text("", passwd, group, &u, NULL), 0);
    assert_int_equal(u.uid, 0);
    assert_int_equal(u.n_gids, 2); /* 0 and wheel */
    assert_int_equal(u.gids[1], 10);
    user_ids_clear(&u);
    assert_int_equal(user_resolve_text("web", passwd, group, &u, NULL), 0);
    assert_int_equal(u.uid, 1000);
    assert_int_equal(u.gid, 1000);
    assert_int_equal(u.n_gids, 3); /* 1000, wheel, staff */
    user_ids_clear(&u);
    assert_int_equal(user_resolve_text("web:staff", passwd, group, &u, NULL), 0);
    assert_int_equal(u.gid, 50);
    assert_int_equal(u.n_gids, 1);
    user_ids_clear(&u);
    assert_int_equal(user_resolve_text("1000:1000", NULL, NULL, &u, NULL), 0);
    assert_int_equal(u.uid, 1000);
    assert_int_equal(u.gid, 1000);
    assert_int_equal(u.n_gids, 1);
    user_ids_clear(&u);
    assert_int_equal(user_resolve_text("4242", passwd, group, &u, NULL), 0);
    assert_int_equal(u.uid, 4242);
    assert_int_equal(u.gid, 0);
    user_ids_clear(&u);
    assert_int_equal(user_resolve_text("ghost", passwd, group, &u, &err), -ENOENT);
    assert_string_equal(err.msg, "unable to find user ghost: no matching entries in passwd file");
    assert_int_equal(user_resolve_text("web:ghosts", passwd, group, &u, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "unable to find group ghosts"));
}

static void test_etc(void **state)
{
    (void)state;
    char *r = etc_resolv_conf("search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.1\n", false);
    assert_string_equal(r, "search lan\nnameserver 10.0.0.1\n");
    free(r);
    r = etc_resolv_conf("nameserver 127.0.0.53\noptions edns0\n", false);
    assert_string_equal(r, "options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    free(r);
    r = etc_resolv_conf("nameserver 127.0.0.53\n", true);
    assert_string_equal(r, "nameserver 127.0.0.53\n");
    free(r);
    r = etc_hosts("1.2.3.4 host\n", false);
    assert_non_null(strstr(r, "127.0.0.1\tlocalhost\n"));
    free(r);
    json_t *hc = json_pack("{s:[s,s],s:[s],s:[s,s]}", "Dns", "10.0.0.53", "10.0.0.54",
                           "DnsSearch", "corp.example", "DnsOptions", "ndots:2", "edns0");
    struct etc_opts o = {.hostname = "h", .host_config = hc};
    r = etc_resolv_conf_for("search lan\nnameserver 10.0.0.1\noptions rotate\n", &o);
    assert_string_equal(r, "nameserver 10.0.0.53\nnameserver 10.0.0.54\n"
                           "search corp.example\noptions ndots:2 edns0\n");
    free(r);
    json_decref(hc);
    struct hk_error err = {0};
    assert_int_equal(etc_check_extra_host("db:10.1.2.3", NULL), 0);
    assert_int_equal(etc_check_extra_host("gw:host-gateway", NULL), 0);
    assert_int_equal(etc_check_extra_host("v6:::1", NULL), 0);
    assert_int_equal(etc_check_extra_host("nohost", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "bad format for add-host: \"nohost\""));
    assert_int_equal(etc_check_extra_host("x:300.1.1.1", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "invalid IP address in add-host: \"300.1.1.1\""));
}

static void test_merge(void **state)
{
    (void)state;
    json_t *img = json_loads("{\"Env\":[\"PATH=/bin\",\"A=img\"],\"Cmd\":[\"sh\"],"
                             "\"Entrypoint\":[\"/ep\"],\"WorkingDir\":\"/w\",\"User\":\"web\","
                             "\"Labels\":{\"a\":\"1\"}}",
                             0, NULL);
    json_t *flags = json_loads("{\"Env\":[\"A=flag\",\"B=2\"],\"Labels\":{\"b\":\"2\"}}", 0, NULL);
    json_t *c = create_merge_config(img, flags);
    char *s = json_dumps(json_object_get(c, "Env"), JSON_COMPACT);
    assert_string_equal(s, "[\"PATH=/bin\",\"A=flag\",\"B=2\"]");
    free(s);
    assert_string_equal(json_string_value(json_object_get(c, "WorkingDir")), "/w");
    assert_string_equal(json_string_value(json_object_get(c, "User")), "web");
    assert_int_equal(json_object_size(json_object_get(c, "Labels")), 2);
    json_t *args = specgen_args(c, false);
    s = json_dumps(args, JSON_COMPACT);
    assert_string_equal(s, "[\"/ep\",\"sh\"]");
    free(s);
    json_decref(args);
    json_decref(c);
    /* --entrypoint replaces the image's and drops its Cmd; "" means none */
    json_decref(flags);
    flags = json_loads("{\"Entrypoint\":[\"top\"]}", 0, NULL);
    c = create_merge_config(img, flags);
    args = specgen_args(c, true);
    s = json_dumps(args, JSON_COMPACT);
    assert_string_equal(s, "[\"/sbin/hako-init\",\"--\",\"top\"]");
    free(s);
    json_decref(args);
    json_decref(c);
    json_decref(flags);
    flags = json_loads("{\"Entrypoint\":[\"\"],\"Cmd\":[\"ls\"]}", 0, NULL);
    c = create_merge_config(img, flags);
    args = specgen_args(c, false);
    assert_int_equal(json_array_size(args), 1);
    json_decref(args);
    json_decref(c);
    json_decref(flags);
    json_decref(img);
}

static json_t *build(const char *config, const char *hc, struct hk_error *err)
{
    json_t *c = json_loads(config, 0, NULL), *h = json_loads(hc, 0, NULL), *spec = NULL;
    struct user_ids u = {.uid = 1000, .gid = 1000};
    /* the user's mounts come resolved (engine/mounts.c): binds "/a:/b[:ro]" here */
    json_t *mounts = json_array(), *b;
    size_t k;
    json_array_foreach(json_object_get(h, "Binds"), k, b)
    {
        char src[64], dst[64], mode[8] = "";
        sscanf(json_string_value(b), "%63[^:]:%63[^:]:%7s", src, dst, mode);
        json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:[s,s,s]}", "destination", dst,
                                                "type", "bind", "source", src, "options",
                                                "rbind", "rprivate", mode[0] ? mode : "rw"));
    }
    struct specgen in = {.id = "abc", .config = c, .host_config = h, .dir = "/ctr",
                         .user = &u, .init_path = "/root/bin/hako-init",
                         .seccomp = "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}",
                         .mounts = mounts};
    json_t *warnings = json_array();
    if (specgen_build(&in, &spec, warnings, err) < 0)
        spec = NULL;
    json_decref(warnings);
    json_decref(mounts);
    json_decref(c);
    json_decref(h);
    return spec;
}

static bool has_string(const json_t *a, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (strcmp(json_string_value(v), s) == 0) return true;
    return false;
}

static const json_t *mount_at(const json_t *spec, const char *dest)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(spec, "mounts"), i, m)
        if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
            return m;
    return NULL;
}

static void test_spec_defaults(void **state)
{
    (void)state;
    json_t *s = build("{\"Cmd\":[\"sh\"],\"Hostname\":\"h1\",\"Tty\":true,\"Env\":[\"A=1\"]}",
                      "{\"NetworkMode\":\"default\"}", NULL);
    assert_non_null(s);
    /* it is a valid OCI config */
    char *text = json_dumps(s, 0);
    struct oci_spec *parsed = NULL;
    struct hk_error err = {0};
    assert_int_equal(spec_parse(text, strlen(text), "config.json", &parsed, &err), 0);
    free(text);
    assert_int_equal(parsed->process->user.uid, 1000);
    assert_true(parsed->process->terminal);
    assert_int_equal(parsed->process->caps.effective, specgen_default_caps());
    assert_int_equal(parsed->process->caps.inheritable, 0);
    assert_non_null(spec_namespace(parsed, OCI_NS_NETWORK));
    assert_non_null(spec_namespace(parsed, OCI_NS_PID));
    assert_null(spec_namespace(parsed, OCI_NS_USER));
    assert_string_equal(parsed->linux_.cgroups_path, "/hako/abc");
    assert_string_equal(parsed->hostname, "h1");
    spec_free(parsed);
    const json_t *env = json_object_get(json_object_get(s, "process"), "env");
    assert_true(has_string(env, "HOSTNAME=h1"));
    assert_true(has_string(env, "TERM=xterm"));
    assert_true(has_string(env, "A=1"));
    assert_true(has_string(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
    const json_t *shm = mount_at(s, "/dev/shm");
    assert_true(has_string(json_object_get(shm, "options"), "size=67108864"));
    const json_t *resolv = mount_at(s, "/etc/resolv.conf");
    assert_string_equal(json_string_value(json_object_get(resolv, "source")), "/ctr/resolv.conf");
    const json_t *lx = json_object_get(s, "linux");
    assert_true(has_string(json_object_get(lx, "maskedPaths"), "/proc/kcore"));
    assert_true(has_string(json_object_get(lx, "readonlyPaths"), "/proc/sys"));
    assert_non_null(json_object_get(lx, "seccomp"));
    json_decref(s);
}

static void test_spec_flags(void **state)
{
    (void)state;
    json_t *s = build("{\"Cmd\":[\"sh\"]}",
                      "{\"NetworkMode\":\"host\",\"Memory\":16777216,\"NanoCpus\":1500000000,"
                      "\"CpuShares\":512,\"PidsLimit\":20,\"ReadonlyRootfs\":true,\"Init\":true,"
                      "\"Binds\":[\"/h/a/b:/x/y:ro\",\"/h/c:/x\"],\"Tmpfs\":{\"/run\":\"exec\"},"
                      "\"CapDrop\":[\"ALL\"],\"CapAdd\":[\"net_admin\"],"
                      "\"SecurityOpt\":[\"no-new-privileges\"],"
                      "\"UidMaps\":[{\"ContainerID\":0,\"HostID\":100000,\"Size\":65536}],"
                      "\"GidMaps\":[{\"ContainerID\":0,\"HostID\":100000,\"Size\":65536}]}",
                      NULL);
    assert_non_null(s);
    const json_t *res = json_object_get(json_object_get(s, "linux"), "resources");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")),
                     16 << 20);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "memory"), "swap")),
                     32 << 20);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "quota")),
                     150000);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "shares")),
                     512);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")),
                     20);
    assert_true(json_is_true(json_object_get(json_object_get(s, "root"), "readonly")));
    const json_t *p = json_object_get(s, "process");
    assert_true(json_is_true(json_object_get(p, "noNewPrivileges")));
    char *caps = json_dumps(json_object_get(json_object_get(p, "capabilities"), "effective"),
                            JSON_COMPACT);
    assert_string_equal(caps, "[\"CAP_NET_ADMIN\"]");
    free(caps);
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "args"), 0)),
                        "/sbin/hako-init");
    /* volumes parent first; ro; the init bind-mounted read-only */
    const json_t *m = json_object_get(s, "mounts");
    size_t ix = 0, iy = 0;
    for (size_t i = 0; i < json_array_size(m); i++) {
        const char *d = json_string_value(json_object_get(json_array_get(m, i), "destination"));
        if (strcmp(d, "/x") == 0)
            ix = i;
        if (strcmp(d, "/x/y") == 0)
            iy = i;
    }
    assert_true(ix && iy && ix < iy);
    assert_true(has_string(json_object_get(mount_at(s, "/x/y"), "options"), "ro"));
    assert_true(has_string(json_object_get(mount_at(s, "/sbin/hako-init"), "options"), "ro"));
    const json_t *run = json_object_get(mount_at(s, "/run"), "options");
    assert_false(has_string(run, "noexec"));
    assert_true(has_string(run, "nosuid"));
    /* host network: no network namespace; user namespace with the maps */
    const json_t *lx = json_object_get(s, "linux");
    char *ns = json_dumps(json_object_get(lx, "namespaces"), JSON_COMPACT);
    assert_null(strstr(ns, "network"));
    assert_non_null(strstr(ns, "user"));
    free(ns);
    assert_int_equal(json_array_size(json_object_get(lx, "uidMappings")), 1);
    json_decref(s);
}

static void test_spec_errors(void **state)
{
    (void)state;
    struct hk_error err = {0};
    assert_null(build("{}", "{}", &err));
    assert_string_equal(err.msg, "No command specified");
    assert_null(build("{\"Cmd\":[\"sh\"]}", "{\"CapAdd\":[\"NOPE\"]}", &err));
    assert_string_equal(err.msg, "invalid capability: \"NOPE\"");
    json_t *s = build("{\"Cmd\":[\"sh\"]}", "{\"Privileged\":true}", NULL);
    const json_t *lx = json_object_get(s, "linux");
    assert_null(json_object_get(lx, "maskedPaths"));
    assert_null(json_object_get(lx, "seccomp"));
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user),         cmocka_unit_test(test_etc),
        cmocka_unit_test(test_merge),        cmocka_unit_test(test_spec_defaults),
        cmocka_unit_test(test_spec_flags),   cmocka_unit_test(test_spec_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
