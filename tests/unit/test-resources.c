/* Unit tests for oci/resources.c: linux.resources parsing with located errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "oci/resources.h"
#include "util/fs.h"
#include "util/json.h"

/* Parse the "resources" member of text as config.json would be parsed; returns r. */
static int parse_text(const char *text, struct oci_resources **ret, struct hk_error *err)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    assert_non_null(doc);
    struct parse_ctx ctx = {.file = "config.json", .text = text};
    json_t *res = json_object_get(json_object_get(doc, "linux"), "resources");
    int r = resources_parse(&ctx, res, "linux.resources", ret, err);
    json_decref(doc);
    return r;
}

static void test_full(void **state)
{
    (void)state;
    const char *text =
        "{\"linux\": {\"resources\": {\n"
        "  \"devices\": [{\"allow\": false, \"access\": \"rwm\"},\n"
        "               {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3,"
        " \"access\": \"wr\"},\n"
        "               {\"allow\": true, \"type\": \"c\", \"major\": 136, \"access\": \"rwm\"}],\n"
        "  \"memory\": {\"limit\": 524288, \"swap\": 1048576, \"reservation\": -1,"
        " \"swappiness\": 10, \"disableOOMKiller\": true, \"kernel\": 1000},\n"
        "  \"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0-1\","
        " \"mems\": \"0\", \"idle\": 1},\n"
        "  \"pids\": {\"limit\": 1},\n"
        "  \"blockIO\": {\"weight\": 500, \"weightDevice\": [{\"major\": 8, \"minor\": 0,"
        " \"weight\": 100}],\n"
        "     \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}],\n"
        "     \"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 16, \"rate\": 10}]},\n"
        "  \"hugepageLimits\": [{\"pageSize\": \"2048KB\", \"limit\": 4194304}],\n"
        "  \"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\","
        " \"priority\": 5}]},\n"
        "  \"rdma\": {\"mlx5_1\": {\"hcaHandles\": 3, \"hcaObjects\": 10000}},\n"
        "  \"unified\": {\"hugetlb.2MB.max\": \"4194304\"}\n"
        "}}}\n";
    struct oci_resources *r = NULL;
    struct hk_error err = {0};
    assert_int_equal(parse_text(text, &r, &err), 0);
    assert_int_equal(r->n_devices, 3);
    char buf[64];
    assert_string_equal(resources_device_rule_str(&r->devices[0], buf, sizeof(buf)), "a *:* rwm");
    assert_false(r->devices[0].allow);
    assert_string_equal(resources_device_rule_str(&r->devices[1], buf, sizeof(buf)), "c 1:3 rw");
    assert_string_equal(resources_device_rule_str(&r->devices[2], buf, sizeof(buf)),
                        "c 136:* rwm");
    assert_true(r->memory.has_limit);
    assert_int_equal(r->memory.limit, 524288);
    assert_int_equal(r->memory.swap, 1048576);
    assert_int_equal(r->memory.reservation, -1);
    assert_int_equal(r->memory.swappiness, 10);
    assert_true(r->memory.disable_oom_killer);
    assert_true(r->memory.has_kernel);
    assert_int_equal(r->cpu.shares, 1024);
    assert_int_equal(r->cpu.quota, 50000);
    assert_int_equal(r->cpu.period, 100000);
    assert_string_equal(r->cpu.cpus, "0-1");
    assert_int_equal(r->cpu.idle, 1);
    assert_true(r->has_pids);
    assert_int_equal(r->pids_limit, 1);
    assert_int_equal(r->blkio.weight, 500);
    assert_int_equal(r->blkio.n_weight_devices, 1);
    assert_int_equal(r->blkio.weight_devices[0].weight, 100);
    assert_int_equal(r->blkio.n_throttle[RES_THROTTLE_READ_BPS], 1);
    assert_int_equal(r->blkio.throttle[RES_THROTTLE_READ_BPS][0].rate, 1048576);
    assert_int_equal(r->blkio.throttle[RES_THROTTLE_WRITE_IOPS][0].minor, 16);
    assert_int_equal(r->n_hugepages, 1);
    assert_string_equal(r->hugepages[0].page_size, "2MB");
    assert_int_equal(r->hugepages[0].limit, 4194304);
    assert_int_equal(r->class_id, 1048577);
    assert_string_equal(r->priorities[0].name, "eth0");
    assert_int_equal(r->n_rdma, 1);
    assert_int_equal(r->rdma[0].hca_objects, 10000);
    assert_string_equal(r->unified[0].key, "hugetlb.2MB.max");
    resources_free(r);
}

static void test_empty_and_defaults(void **state)
{
    (void)state;
    struct oci_resources *r = NULL;
    struct parse_ctx ctx = {.file = "config.json"};
    assert_int_equal(resources_parse(&ctx, NULL, "linux.resources", &r, NULL), 0);
    assert_false(r->has_memory);
    assert_int_equal(r->n_devices, 0);
    resources_free(r);
    /* 0 means "not set" for memory limits, shares and period (runc's reading); pids <= 0 is
     * unlimited; a device rule's type and access default to "a" and "rwm". */
    assert_int_equal(parse_text("{\"linux\": {\"resources\": {\"memory\": {\"limit\": 0},"
                                "\"cpu\": {\"shares\": 0, \"period\": 0, \"cpus\": \"\"},"
                                "\"pids\": {\"limit\": 0},"
                                "\"devices\": [{\"allow\": true}]}}}",
                                &r, NULL),
                     0);
    assert_false(r->memory.has_limit);
    assert_false(r->cpu.has_shares);
    assert_false(r->cpu.has_period);
    assert_null(r->cpu.cpus);
    assert_int_equal(r->pids_limit, -1);
    assert_int_equal(r->devices[0].type, 'a');
    assert_string_equal(r->devices[0].access, "rwm");
    resources_free(r);
    /* "rwa", as runc takes it: the a is no permission and is dropped */
    assert_int_equal(parse_text("{\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, "
                                "\"access\": \"rwa\"}]}}}",
                                &r, NULL),
                     0);
    assert_string_equal(r->devices[0].access, "rw");
    resources_free(r);
}

static void expect_error(const char *res_json, const char *msg)
{
    _cleanup_free_ char *text = xasprintf("{\"linux\": {\n\"resources\": %s}}", res_json);
    struct oci_resources *r = NULL;
    struct hk_error err = {0};
    assert_int_equal(parse_text(text, &r, &err), -EINVAL);
    assert_null(r);
    if (strcmp(hk_error_msg(&err), msg) != 0)
        fail_msg("got '%s', want '%s'", hk_error_msg(&err), msg);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("{\"memory\": {\"limit\": \"1g\"}}",
                 "config.json:2: linux.resources.memory.limit: expected an integer, got a string");
    expect_error("{\"memory\": {\"swappiness\": 120}}",
                 "config.json:2: linux.resources.memory.swappiness: 120 is out of range [0, 100]");
    expect_error("{\"memory\": {\"limit\": 2000000, \"swap\": 1000000}}",
                 "config.json:2: linux.resources.memory.swap: 1000000 is below memory.limit "
                 "2000000 (swap counts memory plus swap)");
    expect_error("{\"memory\": {\"limit\": -2}}",
                 "config.json:2: linux.resources.memory.limit: -2 is out of range "
                 "[-1, 9223372036854775807]");
    expect_error("{\n\"cpu\": {\"cpus\": \"0-\"}}",
                 "config.json:3: linux.resources.cpu.cpus: '0-' is not a list like \"0-3,5\"");
    expect_error("{\"cpu\": {\"period\": 10}}", "config.json:2: linux.resources.cpu.period: 10 is "
                                               "out of range [1000, 1000000] (microseconds)");
    expect_error("{\"pids\": {}}", "config.json: linux.resources.pids.limit: required field is "
                                   "missing");
    expect_error("{\"devices\": [{\"allow\": true}, {\"allow\": true, \"access\": \"rx\"}]}",
                 "config.json:2: linux.resources.devices[1].access: 'rx' is not a combination "
                 "of r, w and m");
    expect_error("{\"devices\": [{\"type\": \"c\"}]}",
                 "config.json: linux.resources.devices[0].allow: required field is missing");
    expect_error("{\"devices\": [{\"allow\": true, \"type\": \"p\"}]}",
                 "config.json:2: linux.resources.devices[0].type: 'p' is not a device type "
                 "(a, b or c)");
    expect_error("{\"blockIO\": {\"weight\": 5}}",
                 "config.json:2: linux.resources.blockIO.weight: 5 is out of range [10, 1000]");
    expect_error("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"rate\": 1}]}}",
                 "config.json: linux.resources.blockIO.throttleReadBpsDevice[0].minor: "
                 "required field is missing");
    expect_error("{\"hugepageLimits\": [{\"pageSize\": \"2M\", \"limit\": 1}]}",
                 "config.json:2: linux.resources.hugepageLimits[0].pageSize: '2M' is not a page "
                 "size like \"2MB\" or \"1GB\"");
    expect_error("{\"unified\": {\"../memory.max\": \"1\"}}",
                 "config.json: linux.resources.unified.../memory.max: '../memory.max' is not a "
                 "cgroup v2 file name");
    expect_error("{\"unified\": {\"memory.max\": 5}}",
                 "config.json: linux.resources.unified.memory.max: expected a string");
    expect_error("[]", "config.json:2: linux.resources: expected an object");
}

static void test_cpuset_lists(void **state)
{
    (void)state;
    static const char *const good[] = {"", "0", "0-3", "0-3,5", "1,2,3", "0-0", "10-20,30"};
    static const char *const bad[] = {"-", "0-", "-1", "3-1", "a", "0,", ",0", "0 1", "0--1",
                                      "99999999"};
    for (size_t i = 0; i < ELEMENTSOF(good); i++)
        assert_true(resources_cpuset_list_valid(good[i]));
    for (size_t i = 0; i < ELEMENTSOF(bad); i++)
        if (resources_cpuset_list_valid(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
}

static void test_hugepage_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *in, *name;
        uint64_t bytes;
    } cases[] = {{"2MB", "2MB", 2 << 20},       {"2048KB", "2MB", 2 << 20},
                 {"1GB", "1GB", 1ull << 30},    {"1024MB", "1GB", 1ull << 30},
                 {"64KB", "64KB", 64 << 10},    {"1536KB", "1536KB", 1536 << 10}};
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char name[32];
        uint64_t bytes;
        assert_int_equal(resources_hugepage_size(cases[i].in, &bytes, name, sizeof(name)), 0);
        assert_string_equal(name, cases[i].name);
        assert_int_equal(bytes, cases[i].bytes);
    }
    static const char *const bad[] = {"", "MB", "2", "2mb", "2 MB", "0MB", "2PB"};
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        char name[32];
        uint64_t bytes;
        assert_int_equal(resources_hugepage_size(bad[i], &bytes, name, sizeof(name)), -EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_empty_and_defaults),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_cpuset_lists),
        cmocka_unit_test(test_hugepage_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
