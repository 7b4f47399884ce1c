/* cgroup-devices.c — which device nodes a container may open or create.
 *
 * The rules, a later one overriding an earlier one: "deny everything", an allow for each
 * node in linux.devices, the OCI list (linux.resources.devices, in order: a deny there beats
 * linux.devices), then the defaults runc and crun give every container (as runc appends
 * them). v1 writes them to devices.allow / devices.deny; v2 has no device
 * controller, so a BPF_PROG_TYPE_CGROUP_DEVICE program built here from raw instructions (no
 * libbpf) is loaded and attached to the container's cgroup. */
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cgroup-internal.h"
#include "util/fs.h"

static const struct res_device_rule default_rules[] = {
    {true, 'c', RES_DEV_ANY, RES_DEV_ANY, "m"}, /* mknod of any device */
    {true, 'b', RES_DEV_ANY, RES_DEV_ANY, "m"},
    {true, 'c', 1, 3, "rwm"},                   /* /dev/null */
    {true, 'c', 1, 8, "rwm"},                   /* /dev/random */
    {true, 'c', 1, 7, "rwm"},                   /* /dev/full */
    {true, 'c', 5, 0, "rwm"},                   /* /dev/tty */
    {true, 'c', 1, 5, "rwm"},                   /* /dev/zero */
    {true, 'c', 1, 9, "rwm"},                   /* /dev/urandom */
    {true, 'c', 5, 1, "rwm"},                   /* /dev/console */
    {true, 'c', 136, RES_DEV_ANY, "rwm"},       /* /dev/pts/N */
    {true, 'c', 5, 2, "rwm"},                   /* /dev/ptmx */
    {true, 'c', 10, 200, "rwm"},                /* /dev/net/tun */
};

int cgroup_device_rules(const struct cgroup_manager *m, const struct oci_resources *res,
                        struct res_device_rule **ret, size_t *ret_n)
{
    size_t n = 1 + res->n_devices + ELEMENTSOF(default_rules) + m->n_extra_devices;
    struct res_device_rule *v = xcalloc(n, sizeof(*v)), *p = v;
    *p++ = (struct res_device_rule){false, 'a', RES_DEV_ANY, RES_DEV_ANY, "rwm"};
    /* linux.devices' implicit allows come before the user's rules, so a deny there holds */
    if (m->n_extra_devices)
        memcpy(p, m->extra_devices, m->n_extra_devices * sizeof(*v));
    p += m->n_extra_devices;
    if (res->n_devices)
        memcpy(p, res->devices, res->n_devices * sizeof(*v));
    p += res->n_devices;
    memcpy(p, default_rules, sizeof(default_rules));
    *ret = v;
    *ret_n = n;
    return 0;
}

int cgroup_devices_v1(const char *dir, const struct res_device_rule *rules, size_t n,
                      struct hk_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char line[64];
        int r = cg_write(dir, rules[i].allow ? "devices.allow" : "devices.deny",
                         resources_device_rule_str(&rules[i], line, sizeof(line)), err);
        if (r < 0)
            return hk_error_prefix(err, r, "device rule '%s'", line);
    }
    return 0;
}

/* --- the BPF program ---------------------------------------------------------------------- */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

#define LDX_W(dst, off) insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0)
#define ALU32_K(op, dst, imm) insn(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_X(dst, src) insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_K(dst, imm) insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_K(op, dst, imm) insn(BPF_JMP | (op) | BPF_K, dst, 0, 0, imm) /* off fixed later */
#define JMP_X(op, dst, src) insn(BPF_JMP | (op) | BPF_X, dst, src, 0, 0)
#define EXIT() insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int32_t access_bits(const char *access)
{
    int32_t bits = 0;
    bits |= strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0;
    bits |= strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0;
    bits |= strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0;
    return bits;
}

/* One rule as a block that returns its verdict when the request matches and otherwise falls
 * through to the next block. Registers: r2 device type, r3 requested access, r4 major,
 * r5 minor (loaded once by the prologue); r1 is scratch. An allow rule matches when it grants
 * all the access requested; a deny rule when it forbids any of it. */
static size_t rule_block(const struct res_device_rule *d, struct bpf_insn *out)
{
    size_t n = 0;
    int32_t acc = access_bits(d->access);
    if (d->type != 'a')
        out[n++] = JMP_K(BPF_JNE, BPF_REG_2,
                         d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    if (acc != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
        out[n++] = MOV32_X(BPF_REG_1, BPF_REG_3);
        out[n++] = ALU32_K(BPF_AND, BPF_REG_1, acc);
        out[n++] = d->allow ? JMP_X(BPF_JNE, BPF_REG_1, BPF_REG_3) : JMP_K(BPF_JEQ, BPF_REG_1, 0);
    }
    if (d->type != 'a' && d->major != RES_DEV_ANY)
        out[n++] = JMP_K(BPF_JNE, BPF_REG_4, (int32_t)d->major);
    if (d->type != 'a' && d->minor != RES_DEV_ANY)
        out[n++] = JMP_K(BPF_JNE, BPF_REG_5, (int32_t)d->minor);
    out[n++] = MOV64_K(BPF_REG_0, d->allow ? 1 : 0);
    out[n++] = EXIT();
    /* Every conditional jump goes to the end of the block (the next rule). */
    for (size_t i = 0; i < n; i++)
        if (BPF_CLASS(out[i].code) == BPF_JMP && BPF_OP(out[i].code) != BPF_EXIT)
            out[i].off = (int16_t)(n - i - 1);
    return n;
}

int cgroup_bpf_device_prog(const struct res_device_rule *rules, size_t n, void **ret_insns,
                           size_t *ret_n)
{
    enum { PROLOGUE = 6, MAX_BLOCK = 9, EPILOGUE = 2 };
    if (n > 4096)
        return -E2BIG;
    struct bpf_insn *p = xcalloc(PROLOGUE + n * MAX_BLOCK + EPILOGUE, sizeof(*p));
    size_t k = 0;
    /* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; } */
    p[k++] = LDX_W(BPF_REG_2, 0);
    p[k++] = ALU32_K(BPF_AND, BPF_REG_2, 0xffff);
    p[k++] = LDX_W(BPF_REG_3, 0);
    p[k++] = ALU32_K(BPF_RSH, BPF_REG_3, 16);
    p[k++] = LDX_W(BPF_REG_4, 4);
    p[k++] = LDX_W(BPF_REG_5, 8);
    /* The last matching rule decides: test them from the last one back. A rule that matches
     * everything ends the program (the verifier refuses unreachable instructions). */
    bool open_end = true;
    for (size_t i = n; i-- > 0 && open_end;) {
        size_t len = rule_block(&rules[i], p + k);
        open_end = len > 2;
        k += len;
    }
    if (open_end) {
        p[k++] = MOV64_K(BPF_REG_0, 0);
        p[k++] = EXIT();
    }
    *ret_insns = p;
    *ret_n = k;
    return 0;
}

static long bpf(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(const struct bpf_insn *insns, size_t n, struct hk_error *err)
{
    static char log[4096];
    union bpf_attr attr = {
        .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
        .insns = (uintptr_t)insns,
        .insn_cnt = (uint32_t)n,
        .license = (uintptr_t) "Apache-2.0",
    };
    long fd = bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        return (int)fd;
    int saved = -errno;
    /* Load again with the verifier's log, to say why. */
    attr.log_buf = (uintptr_t)log;
    attr.log_size = sizeof(log);
    attr.log_level = 1;
    log[0] = '\0';
    fd = bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0)
        close((int)fd);
    return hk_error_errno(err, saved, "load the device BPF program%s%s", log[0] ? ": " : "",
                          log);
}

/* The ids of the device programs attached to the cgroup now (at most 64). */
static int query_progs(int cgfd, uint32_t *ids, uint32_t *n)
{
    union bpf_attr attr = {0};
    attr.query.target_fd = (uint32_t)cgfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uintptr_t)ids;
    attr.query.prog_cnt = *n;
    if (bpf(BPF_PROG_QUERY, &attr) < 0)
        return -errno;
    *n = attr.query.prog_cnt;
    return 0;
}

static void detach_old(int cgfd, const uint32_t *ids, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        union bpf_attr get = {.prog_id = ids[i]};
        long fd = bpf(BPF_PROG_GET_FD_BY_ID, &get);
        if (fd < 0)
            continue;
        union bpf_attr det = {.target_fd = (uint32_t)cgfd,
                              .attach_bpf_fd = (uint32_t)fd,
                              .attach_type = BPF_CGROUP_DEVICE};
        (void)bpf(BPF_PROG_DETACH, &det);
        close((int)fd);
    }
}

int cgroup_devices_v2(const char *dir, const struct res_device_rule *rules, size_t n,
                      struct hk_error *err)
{
    _cleanup_free_ void *insns = NULL;
    size_t n_insns;
    int r = cgroup_bpf_device_prog(rules, n, &insns, &n_insns);
    if (r < 0)
        return hk_error_errno(err, r, "device rules");
    _cleanup_close_ int prog = prog_load(insns, n_insns, err);
    if (prog < 0)
        return prog;
    _cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return hk_error_errno(err, -errno, "open %s", dir);
    uint32_t old[64], n_old = ELEMENTSOF(old);
    if (query_progs(cgfd, old, &n_old) < 0)
        n_old = 0;
    union bpf_attr attr = {.target_fd = (uint32_t)cgfd,
                           .attach_bpf_fd = (uint32_t)prog,
                           .attach_type = BPF_CGROUP_DEVICE,
                           .attach_flags = BPF_F_ALLOW_MULTI};
    if (bpf(BPF_PROG_ATTACH, &attr) < 0)
        return hk_error_errno(err, -errno, "attach the device BPF program to %s", dir);
    detach_old(cgfd, old, n_old);
    return 0;
}
