/* Unit tests for the cgroup manager's pure parts: unit conversions, io.max/cpu.max lines,
 * path rules, mountinfo → layout, controller ownership, the device BPF program, state JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <string.h>

#include "runtime/cgroup-internal.h"
#include "util/fs.h"
#include "util/json.h"

static void test_shares_to_weight(void **state)
{
    (void)state;
    static const uint64_t cases[][2] = {{0, 0},    {1, 1},        {2, 1},         {100, 4},
                                        {1024, 39}, {262144, 10000}, {500000, 10000}, {2048, 79}};
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        assert_int_equal(cgroup_shares_to_weight(cases[i][0]), cases[i][1]);
}

static void test_blkio_weight(void **state)
{
    (void)state;
    assert_int_equal(cgroup_blkio_to_io_weight(0), 0);
    assert_int_equal(cgroup_blkio_to_io_weight(10), 1);
    assert_int_equal(cgroup_blkio_to_io_weight(500), 4950);
    assert_int_equal(cgroup_blkio_to_io_weight(1000), 10000);
}

static void test_io_max_and_cpu_max(void **state)
{
    (void)state;
    char buf[96];
    struct res_throttle_device t = {.major = 8, .minor = 16, .rate = 1048576};
    assert_string_equal(cgroup_io_max_line(buf, sizeof(buf), &t, RES_THROTTLE_READ_BPS),
                        "8:16 rbps=1048576");
    assert_string_equal(cgroup_io_max_line(buf, sizeof(buf), &t, RES_THROTTLE_WRITE_IOPS),
                        "8:16 wiops=1048576");
    t.rate = 0;
    assert_string_equal(cgroup_io_max_line(buf, sizeof(buf), &t, RES_THROTTLE_WRITE_BPS),
                        "8:16 wbps=max");
    assert_string_equal(cgroup_cpu_max(buf, sizeof(buf), 50000, 100000), "50000 100000");
    assert_string_equal(cgroup_cpu_max(buf, sizeof(buf), -1, 100000), "max 100000");
    assert_string_equal(cgroup_cpu_max(buf, sizeof(buf), 0, 250000), "max 250000");
}

static void test_swap_v2(void **state)
{
    (void)state;
    char buf[32];
    bool set;
    struct hk_error err = {0};
    assert_int_equal(cgroup_swap_v2(1 << 20, 3 << 20, true, buf, sizeof(buf), &set, &err), 0);
    assert_true(set);
    assert_string_equal(buf, "2097152");
    assert_int_equal(cgroup_swap_v2(1 << 20, -1, true, buf, sizeof(buf), &set, &err), 0);
    assert_string_equal(buf, "max");
    assert_int_equal(cgroup_swap_v2(-1, 0, true, buf, sizeof(buf), &set, &err), 0);
    assert_true(set);
    assert_string_equal(buf, "max");
    assert_int_equal(cgroup_swap_v2(1 << 20, 0, true, buf, sizeof(buf), &set, &err), 0);
    assert_false(set);
    assert_int_equal(cgroup_swap_v2(1 << 20, 1 << 20, true, buf, sizeof(buf), &set, &err), 0);
    assert_string_equal(buf, "0");
    assert_int_equal(cgroup_swap_v2(0, 1 << 20, false, buf, sizeof(buf), &set, &err), -EINVAL);
    assert_string_equal(hk_error_msg(&err), "memory.swap needs memory.limit on cgroup v2");
    assert_int_equal(cgroup_swap_v2(2 << 20, 1 << 20, true, buf, sizeof(buf), &set, &err),
                     -EINVAL);
}

static void test_path_rules(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"web", NULL, "/hako/web"},
        {"web", "", "/hako/web"},
        {"web", "pods/p1/web", "/hako/pods/p1/web"},
        {"web", "/machine.slice/web", "/machine.slice/web"},
        {"web", "/a//b/./c/", "/a/b/c"},
        {"web", "x/../y", "/hako/y"},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char *p = NULL;
        assert_int_equal(cgroup_path_resolve(cases[i][0], cases[i][1], &p, NULL), 0);
        assert_string_equal(p, cases[i][2]);
        free(p);
    }
    static const char *const bad[][2] = {
        {"web", "/"}, {"web", "../etc"}, {"web", "/hako"}, {"a/b", NULL}, {"..", NULL}, {"", NULL},
    };
    for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
        char *p = NULL;
        struct hk_error err = {0};
        assert_int_equal(cgroup_path_resolve(bad[i][0], bad[i][1], &p, &err), -EINVAL);
        assert_null(p);
    }
}

/* This development machine: separate cpu and cpuacct, hugetlb on the cgroup2 mount. */
static const char hybrid_mountinfo[] =
    "22 1 0:20 / / rw - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "90 22 0:32 /process_api /srv/mem\\040x rw - cgroup cgroup rw,memory\n";

static void test_mountinfo_hybrid(void **state)
{
    (void)state;
    struct cgroup_hier *h = NULL;
    size_t n = 0;
    enum cgroup_layout layout;
    assert_int_equal(cgroup_parse_mountinfo(hybrid_mountinfo, &h, &n, NULL), 0);
    assert_int_equal(n, 6); /* the bind mount of memory is the same superblock */
    assert_int_equal(cgroup_layout_of(h, &n, &layout, NULL), 0);
    assert_int_equal(layout, CGROUP_LAYOUT_HYBRID);
    assert_string_equal(h[0].mount, "/sys/fs/cgroup/cpu");
    assert_string_equal(h[0].options, "cpu");
    assert_int_equal(h[0].ctrls, CG_BIT(CG_CPU));
    assert_string_equal(h[4].name, "systemd");
    assert_string_equal(h[4].options, "xattr,name=systemd");
    assert_int_equal(h[4].ctrls, 0);
    assert_true(h[5].v2);
    assert_string_equal(h[5].name, "unified");
    h[5].ctrls = CG_BIT(CG_HUGETLB); /* what cgroup.controllers says here */
    cgroup_assign_owners(layout, h, n);
    assert_int_equal(h[2].owns, CG_BIT(CG_MEMORY));
    assert_int_equal(h[3].owns, CG_BIT(CG_FREEZER));
    /* No v1 devices hierarchy in this sample: the cgroup2 BPF device filter stands in. */
    assert_int_equal(h[5].owns, CG_BIT(CG_HUGETLB) | CG_BIT(CG_DEVICES));
    assert_ptr_equal(h[5].ops, &cgroup_backend_v2);
    assert_ptr_equal(h[0].ops, &cgroup_backend_v1);
    for (size_t i = 0; i < n; i++)
        cgroup_hier_clear(&h[i]);
    free(h);
}

static void test_mountinfo_v1_combined_and_v2(void **state)
{
    (void)state;
    const char *v1 =
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "33 31 0:30 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n"
        "34 31 0:31 / /sys/fs/cgroup/pids rw shared:5 - cgroup cgroup rw,pids\n";
    struct cgroup_hier *h = NULL;
    size_t n = 0;
    enum cgroup_layout layout;
    assert_int_equal(cgroup_parse_mountinfo(v1, &h, &n, NULL), 0);
    assert_int_equal(cgroup_layout_of(h, &n, &layout, NULL), 0);
    assert_int_equal(layout, CGROUP_LAYOUT_V1);
    assert_int_equal(n, 3);
    assert_string_equal(h[0].name, "cpu,cpuacct");
    assert_string_equal(h[0].options, "cpu,cpuacct");
    assert_int_equal(h[0].ctrls, CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT));
    assert_int_equal(h[1].ctrls, CG_BIT(CG_NET_CLS) | CG_BIT(CG_NET_PRIO));
    assert_string_equal(h[2].mount, "/sys/fs/cgroup/pids");
    for (size_t i = 0; i < n; i++)
        cgroup_hier_clear(&h[i]);
    free(h);

    const char *v2 = "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"
                     "31 23 0:40 / /run/legacy rw - cgroup cgroup rw,name=systemd\n";
    assert_int_equal(cgroup_parse_mountinfo(v2, &h, &n, NULL), 0);
    assert_int_equal(cgroup_layout_of(h, &n, &layout, NULL), 0);
    assert_int_equal(layout, CGROUP_LAYOUT_V2);
    assert_int_equal(n, 1); /* the named v1 hierarchy is dropped on a v2 host */
    h[0].ctrls = CG_BIT(CG_CPU) | CG_BIT(CG_MEMORY) | CG_BIT(CG_PIDS) | CG_BIT(CG_BLKIO);
    cgroup_assign_owners(layout, h, n);
    assert_true(h[0].owns & CG_BIT(CG_FREEZER));
    assert_true(h[0].owns & CG_BIT(CG_DEVICES));
    assert_true(h[0].owns & CG_BIT(CG_CPUACCT));
    assert_true(h[0].owns & CG_BIT(CG_BLKIO));
    cgroup_hier_clear(&h[0]);
    free(h);

    struct hk_error err = {0};
    assert_int_equal(cgroup_parse_mountinfo("1 0 0:1 / / rw - ext4 x rw\n", &h, &n, NULL), 0);
    assert_int_equal(cgroup_layout_of(h, &n, &layout, &err), -ENOENT);
    free(h);
}

static void test_ctrl_names(void **state)
{
    (void)state;
    assert_string_equal(cgroup_ctrl_name(CG_BLKIO, true), "io");
    assert_string_equal(cgroup_ctrl_name(CG_BLKIO, false), "blkio");
    assert_int_equal(cgroup_ctrl_from_name("io", true), CG_BLKIO);
    assert_int_equal(cgroup_ctrl_from_name("blkio", false), CG_BLKIO);
    assert_int_equal(cgroup_ctrl_from_name("hugetlb", true), CG_HUGETLB);
    assert_int_equal(cgroup_ctrl_from_name("bogus", false), -1);
}

static void test_device_program(void **state)
{
    (void)state;
    struct res_device_rule rules[] = {
        {false, 'a', RES_DEV_ANY, RES_DEV_ANY, "rwm"},
        {true, 'c', 1, 3, "rwm"},
        {true, 'c', 136, RES_DEV_ANY, "rw"},
        {false, 'b', 8, 0, "w"},
    };
    void *p = NULL;
    size_t n = 0;
    assert_int_equal(cgroup_bpf_device_prog(rules, ELEMENTSOF(rules), &p, &n), 0);
    /* prologue 6; b 8:0 w 8; c 136:* rw 7; c 1:3 rwm 5; deny-all 2 ends it (no epilogue) */
    assert_int_equal(n, 6 + 8 + 7 + 5 + 2);
    struct bpf_insn *insns = p;
    /* The last rule is tested first: a block-device type check jumping past its 8 insns. */
    assert_int_equal(insns[6].code, BPF_JMP | BPF_JNE | BPF_K);
    assert_int_equal(insns[6].imm, BPF_DEVCG_DEV_BLOCK);
    assert_int_equal(insns[6].off, 7);
    /* ... and it denies on any overlap with "w". */
    assert_int_equal(insns[9].code, BPF_JMP | BPF_JEQ | BPF_K);
    /* The deny-all rule (first in the list) is the last block: nothing after it. */
    assert_int_equal(insns[n - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
    assert_int_equal(insns[n - 2].imm, 0);
    assert_int_equal(insns[n - 1].code, BPF_JMP | BPF_EXIT);
    free(p);
    /* Without a catch-all rule the default is deny. */
    assert_int_equal(cgroup_bpf_device_prog(rules + 1, 1, &p, &n), 0);
    assert_int_equal(n, 6 + 5 + 2);
    insns = p;
    assert_int_equal(insns[n - 2].imm, 0);
    free(p);
}

/* Run the device program on one request: the instruction subset cgroup_bpf_device_prog emits. */
static int run_device_prog(const struct bpf_insn *insns, size_t n, uint32_t type, uint32_t access,
                           uint32_t major, uint32_t minor)
{
    uint32_t ctx[3] = {access << 16 | type, major, minor};
    uint64_t reg[11] = {0};
    for (size_t pc = 0; pc < n; pc++) {
        const struct bpf_insn *i = &insns[pc];
        uint64_t src = BPF_SRC(i->code) == BPF_X ? reg[i->src_reg] : (uint64_t)(int64_t)i->imm;
        switch (BPF_CLASS(i->code)) {
        case BPF_LDX:
            reg[i->dst_reg] = ctx[i->off / 4];
            break;
        case BPF_ALU:
        case BPF_ALU64:
            if (BPF_OP(i->code) == BPF_AND)
                reg[i->dst_reg] = (uint32_t)(reg[i->dst_reg] & src);
            else if (BPF_OP(i->code) == BPF_RSH)
                reg[i->dst_reg] = (uint32_t)reg[i->dst_reg] >> src;
            else if (BPF_OP(i->code) == BPF_MOV)
                reg[i->dst_reg] = BPF_CLASS(i->code) == BPF_ALU ? (uint32_t)src : src;
            else
                fail_msg("unexpected ALU op %#x", i->code);
            break;
        case BPF_JMP:
            if (BPF_OP(i->code) == BPF_EXIT)
                return (int)reg[0];
            if ((BPF_OP(i->code) == BPF_JNE && reg[i->dst_reg] != src) ||
                (BPF_OP(i->code) == BPF_JEQ && reg[i->dst_reg] == src))
                pc += (size_t)i->off;
            break;
        default:
            fail_msg("unexpected instruction %#x", i->code);
        }
    }
    fail_msg("the program ran off its end");
    return -1;
}

static void test_device_rule_order(void **state)
{
    (void)state;
    /* /dev/kmsg (c 1:11) in linux.devices, and denied by linux.resources.devices */
    struct res_device_rule kmsg = {true, 'c', 1, 11, "rwm"};
    struct res_device_rule deny = {false, 'c', 1, 11, "rwm"};
    struct cgroup_manager m = {.extra_devices = &kmsg, .n_extra_devices = 1};
    struct oci_resources res = {.devices = &deny, .n_devices = 1};
    struct res_device_rule *rules = NULL;
    size_t n = 0;
    assert_int_equal(cgroup_device_rules(&m, &res, &rules, &n), 0);
    /* deny all, linux.devices' allow, then the user's deny, then the defaults */
    assert_false(rules[0].allow);
    assert_true(rules[1].allow && rules[1].minor == 11);
    assert_false(rules[2].allow);
    assert_int_equal(rules[2].minor, 11);
    void *p = NULL;
    size_t np = 0;
    assert_int_equal(cgroup_bpf_device_prog(rules, n, &p, &np), 0);
    assert_int_equal(run_device_prog(p, np, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 11), 0);
    assert_int_equal(run_device_prog(p, np, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 3), 1);
    free(p);
    /* without the deny, the linux.devices entry is allowed */
    res.n_devices = 0;
    free(rules);
    assert_int_equal(cgroup_device_rules(&m, &res, &rules, &n), 0);
    assert_int_equal(cgroup_bpf_device_prog(rules, n, &p, &np), 0);
    assert_int_equal(run_device_prog(p, np, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 11), 1);
    assert_int_equal(run_device_prog(p, np, BPF_DEVCG_DEV_CHAR, BPF_DEVCG_ACC_READ, 1, 12), 0);
    free(p);
    free(rules);
}

static void test_state_json(void **state)
{
    (void)state;
    const char *text =
        "{\"layout\": \"hybrid\", \"path\": \"/hako/web\", \"hierarchies\": ["
        "{\"mount\": \"/sys/fs/cgroup/memory\", \"name\": \"memory\", \"v2\": false,"
        " \"controllers\": [\"memory\"], \"created\": 2, \"options\": \"memory\"},"
        "{\"mount\": \"/sys/fs/cgroup/unified\", \"name\": \"unified\", \"v2\": true,"
        " \"controllers\": [\"hugetlb\"], \"created\": 1}],"
        " \"links\": [{\"name\": \"cpu\", \"target\": \"cpu,cpuacct\"}],"
        " \"devices\": [\"c 10:229 rwm\"]}";
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    struct cgroup_manager *m = NULL;
    assert_int_equal(cgroup_from_json(j, &m, NULL), 0);
    assert_int_equal(cgroup_manager_layout(m), CGROUP_LAYOUT_HYBRID);
    assert_string_equal(cgroup_path(m), "/hako/web");
    /* a clone goes into the cgroup2 part (hugetlb here); the v1 ones are joined by the child */
    assert_false(m->hiers[0].v2);
    assert_true(m->hiers[1].v2);
    assert_string_equal(m->hiers[0].dir, "/sys/fs/cgroup/memory/hako/web");
    assert_int_equal(m->hiers[0].created, 2);
    assert_int_equal(m->hiers[1].owns,
                     CG_BIT(CG_HUGETLB) | CG_BIT(CG_FREEZER) | CG_BIT(CG_DEVICES));
    assert_int_equal(m->n_extra_devices, 1);
    assert_int_equal(m->extra_devices[0].minor, 229);
    json_t *back = cgroup_to_json(m);
    assert_true(json_equal(j, back));
    json_decref(back);
    json_decref(j);
    cgroup_manager_free(m);

    j = json_loads("{\"layout\": \"v3\", \"path\": \"/x\", \"hierarchies\": []}", 0, NULL);
    struct hk_error err = {0};
    assert_int_equal(cgroup_from_json(j, &m, &err), -EINVAL);
    assert_string_equal(hk_error_msg(&err), "state: unknown cgroup layout 'v3'");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shares_to_weight),
        cmocka_unit_test(test_blkio_weight),
        cmocka_unit_test(test_io_max_and_cpu_max),
        cmocka_unit_test(test_swap_v2),
        cmocka_unit_test(test_path_rules),
        cmocka_unit_test(test_mountinfo_hybrid),
        cmocka_unit_test(test_mountinfo_v1_combined_and_v2),
        cmocka_unit_test(test_ctrl_names),
        cmocka_unit_test(test_device_program),
        cmocka_unit_test(test_device_rule_order),
        cmocka_unit_test(test_state_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
