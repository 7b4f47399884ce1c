/* seccomp.c — linux.seccomp compiled to BPF in the runtime, loaded in the container child.
 *
 * The profile is walked once: every field is validated (so a bad operator is reported even in
 * a rule that is later skipped) and every rule goes straight into a libseccomp filter, which
 * is then exported as raw BPF. The child loads that BPF with seccomp(2) itself, which lets it
 * pass any kernel flag (WAIT_KILLABLE_RECV needs libseccomp 2.6 otherwise) and keeps
 * libseccomp's allocations out of the child. */
#include "runtime/seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/log.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define JP_SECCOMP "linux.seccomp"
#define ERRNO_MAX 0xffff /* SECCOMP_RET_DATA is 16 bits */
#define RULE_ARGS_MAX 64 /* conditions in one syscalls[] entry */
#define PROFILE_RULES_MAX 4096

struct seccomp_program {
    struct sock_filter *insns;
    unsigned short n_insns;
    unsigned int flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
    bool notify;
    char *listener_path;
    char *listener_metadata;
};

static const struct {
    const char *name;
    uint32_t action;
    bool takes_errno;
} action_table[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

static const struct {
    const char *name;
    enum scmp_compare op;
} op_table[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* The spec's architecture names and libseccomp's names for them. A name this libseccomp does
 * not know is skipped: no process of that architecture can run here anyway. */
static const struct {
    const char *oci;
    const char *scmp;
} arch_table[] = {
    {"SCMP_ARCH_X86", "x86"},
    {"SCMP_ARCH_X86_64", "x86_64"},
    {"SCMP_ARCH_X32", "x32"},
    {"SCMP_ARCH_ARM", "arm"},
    {"SCMP_ARCH_AARCH64", "aarch64"},
    {"SCMP_ARCH_LOONGARCH64", "loongarch64"},
    {"SCMP_ARCH_M68K", "m68k"},
    {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"},
    {"SCMP_ARCH_MIPS64N32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel"},
    {"SCMP_ARCH_MIPSEL64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
    {"SCMP_ARCH_PPC", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64"},
    {"SCMP_ARCH_PPC64LE", "ppc64le"},
    {"SCMP_ARCH_S390", "s390"},
    {"SCMP_ARCH_S390X", "s390x"},
    {"SCMP_ARCH_PARISC", "parisc"},
    {"SCMP_ARCH_PARISC64", "parisc64"},
    {"SCMP_ARCH_RISCV64", "riscv64"},
    {"SCMP_ARCH_SH", "sh"},
    {"SCMP_ARCH_SHEB", "sheb"},
};

static const struct {
    const char *name;
    unsigned int flag;
} flag_table[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

/* Syscalls the runtime makes between loading the filter and handing the listener fd to its
 * parent (the sync-socket write and sendmsg). Notifying them would block the container's init
 * on an agent that cannot have the fd yet. runc refuses "write" for the same reason. */
static const char *const notify_forbidden[] = {"write", "sendmsg"};

#define ARCHES_MAX 16

/* The state of one seccomp_prepare() walk. */
struct build {
    const struct parse_ctx *ctx;
    scmp_filter_ctx filter;
    uint32_t default_action;
    unsigned int flags;
    bool notify;
    char notify_jpath[JPATH_MAX]; /* the first rule that uses SCMP_ACT_NOTIFY */
    /* the filter's architectures and, for each, the highest syscall number the profile names */
    uint32_t arches[ARCHES_MAX];
    int max_nr[ARCHES_MAX];
    size_t n_arches;
};

static void note_arch(struct build *b, uint32_t token)
{
    for (size_t i = 0; i < b->n_arches; i++)
        if (b->arches[i] == token)
            return;
    if (b->n_arches < ARCHES_MAX) {
        b->arches[b->n_arches] = token;
        b->max_nr[b->n_arches++] = -1;
    }
}

/* Every name a profile mentions counts, whatever its action (and even when it matches the
 * default): it is a syscall the profile's author knew about. */
static void note_names(struct build *b, char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        for (size_t a = 0; a < b->n_arches; a++) {
            int nr = seccomp_syscall_resolve_name_arch(b->arches[a], names[i]);
            if (nr > b->max_nr[a])
                b->max_nr[a] = nr;
        }
}

static long sys_seccomp(unsigned int op, unsigned int flags, void *args)
{
    return syscall(SYS_seccomp, op, flags, args);
}

/* Whether this kernel accepts a seccomp(2) flag set: a NULL program fails with EFAULT only
 * after the flags were validated (EINVAL). Other errors mean seccomp is unavailable here. */
static int probe_flags(unsigned int flags)
{
    if (sys_seccomp(SECCOMP_SET_MODE_FILTER, flags, NULL) == 0)
        return -EIO; /* cannot happen: nothing was loaded */
    return errno == EFAULT ? 0 : -errno;
}

/* An action name and its errno field (errno_key, may be absent) into a libseccomp action. */
static int parse_action(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                        const char *key, const char *errno_key, uint32_t *ret, struct hk_error *err)
{
    char jp[JPATH_MAX];
    _cleanup_free_ char *name = NULL;
    int64_t errno_ret = EPERM;
    bool errno_set = false;
    int r = parse_string(ctx, obj, parent, key, true, &name, err);
    if (r < 0)
        return r;
    r = parse_int(ctx, obj, parent, errno_key, false, 0, ERRNO_MAX, &errno_ret, &errno_set, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < ELEMENTSOF(action_table); i++) {
        if (strcmp(name, action_table[i].name) != 0)
            continue;
        if (errno_set && !action_table[i].takes_errno)
            return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, errno_key),
                               "%s does not take an errno (only SCMP_ACT_ERRNO and "
                               "SCMP_ACT_TRACE do)",
                               name);
        *ret = action_table[i].action;
        if (action_table[i].takes_errno)
            *ret |= (uint32_t)errno_ret;
        return 0;
    }
    return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key), "unknown action '%s'",
                       name);
}

static int add_arch(struct build *b, const char *name, const char *jp, struct hk_error *err)
{
    for (size_t i = 0; i < ELEMENTSOF(arch_table); i++) {
        if (strcmp(name, arch_table[i].oci) != 0)
            continue;
        uint32_t token = seccomp_arch_resolve_name(arch_table[i].scmp);
        if (token == 0) {
            log_debug("seccomp: libseccomp does not know %s, skipped", name);
            return 0;
        }
        /* -EEXIST: the native architecture, always present. -EDOM: the other byte order, which
         * libseccomp cannot put in one filter and this kernel cannot run anyway. */
        int r = seccomp_arch_add(b->filter, token);
        if (r == -EDOM)
            log_debug("seccomp: %s has another byte order than this host, skipped", name);
        else if (r < 0 && r != -EEXIST)
            return parse_error(b->ctx, err, jp, "cannot add %s: %s", name, strerror(-r));
        else
            note_arch(b, token);
        return 0;
    }
    return parse_error(b->ctx, err, jp, "unknown architecture '%s'", name);
}

static int add_flag(struct build *b, const char *name, const char *jp, struct hk_error *err)
{
    for (size_t i = 0; i < ELEMENTSOF(flag_table); i++) {
        if (strcmp(name, flag_table[i].name) != 0)
            continue;
        unsigned int flag = flag_table[i].flag;
        /* WAIT_KILLABLE_RECV is only valid together with NEW_LISTENER. */
        unsigned int probe = flag;
        if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
            probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        int r = probe_flags(probe);
        if (r == -EINVAL)
            return parse_error(b->ctx, err, jp, "%s is not supported by this kernel", name);
        if (r < 0)
            return hk_error_errno(err, r, "%s: seccomp(2) is not usable", jp);
        b->flags |= flag;
        return 0;
    }
    return parse_error(b->ctx, err, jp, "unknown flag '%s'", name);
}

/* Call add(b, name, jpath) for each string of the array at linux.seccomp.<key> (optional). */
static int for_each_name(struct build *b, const json_t *obj, const char *key,
                         int (*add)(struct build *, const char *, const char *, struct hk_error *),
                         struct hk_error *err)
{
    char **names = NULL;
    size_t n = 0;
    char jp[JPATH_MAX], jpi[JPATH_MAX];
    int r = parse_strv(b->ctx, obj, JP_SECCOMP, key, &names, &n, err);
    if (r < 0)
        return r;
    jpath_key(jp, sizeof(jp), JP_SECCOMP, key);
    for (size_t i = 0; i < n && r >= 0; i++)
        r = add(b, names[i], jpath_index(jpi, sizeof(jpi), jp, i), err);
    strv_free(names);
    return r;
}

/* One args[] entry: {index, value, valueTwo, op}. For SCMP_CMP_MASKED_EQ value is the mask
 * and valueTwo the datum, as in runc. */
static int parse_arg(const struct parse_ctx *ctx, const json_t *arg, const char *jp,
                     struct scmp_arg_cmp *ret, struct hk_error *err)
{
    int64_t index = 0;
    uint64_t value = 0, value_two = 0;
    bool value_set = false;
    _cleanup_free_ char *op = NULL;
    if (!json_is_object(arg))
        return parse_error(ctx, err, jp, "expected an object");
    int r = parse_int(ctx, arg, jp, "index", true, 0, 5, &index, NULL, err);
    if (r >= 0)
        r = parse_u64(ctx, arg, jp, "value", &value, &value_set, err);
    if (r >= 0 && !value_set) {
        char jpv[JPATH_MAX];
        r = parse_error(ctx, err, jpath_key(jpv, sizeof(jpv), jp, "value"),
                        "required field is missing");
    }
    if (r >= 0)
        r = parse_u64(ctx, arg, jp, "valueTwo", &value_two, NULL, err);
    if (r >= 0)
        r = parse_string(ctx, arg, jp, "op", true, &op, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < ELEMENTSOF(op_table); i++)
        if (strcmp(op, op_table[i].name) == 0) {
            *ret = (struct scmp_arg_cmp){.arg = (unsigned int)index,
                                         .op = op_table[i].op,
                                         .datum_a = value,
                                         .datum_b = value_two};
            return 0;
        }
    char jpo[JPATH_MAX];
    return parse_error(ctx, err, jpath_key(jpo, sizeof(jpo), jp, "op"), "unknown operator '%s'",
                       op);
}

static int parse_args(const struct parse_ctx *ctx, const json_t *entry, const char *jp,
                      struct scmp_arg_cmp *conds, size_t *ret_n, struct hk_error *err)
{
    char jpa[JPATH_MAX], jpi[JPATH_MAX];
    json_t *args;
    int r = parse_array(ctx, entry, jp, "args", &args, err);
    if (r < 0)
        return r;
    size_t n = json_array_size(args);
    jpath_key(jpa, sizeof(jpa), jp, "args");
    if (n > RULE_ARGS_MAX)
        return parse_error(ctx, err, jpa, "%zu conditions, at most %d are allowed", n,
                           RULE_ARGS_MAX);
    for (size_t i = 0; i < n; i++) {
        r = parse_arg(ctx, json_array_get(args, i), jpath_index(jpi, sizeof(jpi), jpa, i),
                      &conds[i], err);
        if (r < 0)
            return r;
    }
    *ret_n = n;
    return 0;
}

static bool repeats_index(const struct scmp_arg_cmp *conds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (conds[i].arg == conds[j].arg)
                return true;
    return false;
}

/* libseccomp ANDs the conditions of a rule and refuses two on one argument; like runc, a rule
 * that repeats an index becomes one rule per condition (so its conditions are ORed). */
static int add_rule(scmp_filter_ctx f, uint32_t action, int nr, const struct scmp_arg_cmp *conds,
                    size_t n)
{
    if (!repeats_index(conds, n))
        return seccomp_rule_add_array(f, action, nr, (unsigned int)n, conds);
    for (size_t i = 0; i < n; i++) {
        int r = seccomp_rule_add_array(f, action, nr, 1, &conds[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

static int check_notify(struct build *b, char *const *names, const char *jp, struct hk_error *err)
{
    char jpn[JPATH_MAX], jpi[JPATH_MAX];
    jpath_key(jpn, sizeof(jpn), jp, "names");
    for (size_t i = 0; names[i]; i++)
        for (size_t j = 0; j < ELEMENTSOF(notify_forbidden); j++)
            if (strcmp(names[i], notify_forbidden[j]) == 0)
                return parse_error(b->ctx, err, jpath_index(jpi, sizeof(jpi), jpn, i),
                                   "SCMP_ACT_NOTIFY cannot be used for '%s': the runtime needs "
                                   "it to hand the listener to the agent",
                                   names[i]);
    if (!b->notify)
        jpath_key(b->notify_jpath, sizeof(b->notify_jpath), jp, "action");
    b->notify = true;
    return 0;
}

static int add_names(struct build *b, char *const *names, uint32_t action, const char *jp,
                     const struct scmp_arg_cmp *conds, size_t n_conds, struct hk_error *err)
{
    char jpn[JPATH_MAX], jpi[JPATH_MAX];
    jpath_key(jpn, sizeof(jpn), jp, "names");
    for (size_t i = 0; names[i]; i++) {
        int nr = seccomp_syscall_resolve_name(names[i]);
        if (nr == __NR_SCMP_ERROR) {
            log_debug("seccomp: unknown syscall '%s' skipped", names[i]);
            continue;
        }
        int r = add_rule(b->filter, action, nr, conds, n_conds);
        if (r < 0)
            return parse_error(b->ctx, err, jpath_index(jpi, sizeof(jpi), jpn, i),
                               "cannot add a rule for '%s': %s", names[i], strerror(-r));
    }
    return 0;
}

static int add_entry(struct build *b, const json_t *entry, const char *jp, struct hk_error *err)
{
    struct scmp_arg_cmp conds[RULE_ARGS_MAX];
    size_t n_conds = 0, n_names = 0;
    char **names = NULL;
    uint32_t action = 0;
    if (!json_is_object(entry))
        return parse_error(b->ctx, err, jp, "expected an object");
    int r = parse_strv(b->ctx, entry, jp, "names", &names, &n_names, err);
    if (r >= 0 && n_names == 0) {
        char jpn[JPATH_MAX];
        r = parse_error(b->ctx, err, jpath_key(jpn, sizeof(jpn), jp, "names"),
                        "must name at least one syscall");
    }
    if (r >= 0)
        r = parse_action(b->ctx, entry, jp, "action", "errnoRet", &action, err);
    if (r >= 0)
        r = parse_args(b->ctx, entry, jp, conds, &n_conds, err);
    if (r >= 0 && action == SCMP_ACT_NOTIFY)
        r = check_notify(b, names, jp, err);
    if (r >= 0)
        note_names(b, names);
    if (r >= 0 && action == b->default_action)
        log_debug("seccomp: %s has the default action, skipped", jp);
    else if (r >= 0)
        r = add_names(b, names, action, jp, conds, n_conds, err);
    strv_free(names);
    return r;
}

static int parse_syscalls(struct build *b, const json_t *obj, struct hk_error *err)
{
    char jp[JPATH_MAX], jpi[JPATH_MAX];
    json_t *syscalls;
    int r = parse_array(b->ctx, obj, JP_SECCOMP, "syscalls", &syscalls, err);
    if (r < 0 || !syscalls)
        return r;
    jpath_key(jp, sizeof(jp), JP_SECCOMP, "syscalls");
    if (json_array_size(syscalls) > PROFILE_RULES_MAX)
        return parse_error(b->ctx, err, jp, "%zu entries, at most %d are allowed",
                           json_array_size(syscalls), PROFILE_RULES_MAX);
    for (size_t i = 0; i < json_array_size(syscalls); i++) {
        r = add_entry(b, json_array_get(syscalls, i), jpath_index(jpi, sizeof(jpi), jp, i), err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* libseccomp 2.5 exports BPF only to an fd; read it back from a memfd. */
static int export_bpf(scmp_filter_ctx f, struct seccomp_program *p, struct hk_error *err)
{
    _cleanup_close_ int fd = memfd_create("hako-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(err, -errno, "memfd_create");
    int r = seccomp_export_bpf(f, fd);
    if (r < 0)
        return hk_error_errno(err, r, "export the seccomp filter");
    struct stat st;
    if (fstat(fd, &st) < 0)
        return hk_error_errno(err, -errno, "fstat the exported seccomp filter");
    size_t size = (size_t)st.st_size, n = size / sizeof(struct sock_filter);
    if (n == 0 || size % sizeof(struct sock_filter) != 0)
        return hk_error_set(err, -EIO, "exported seccomp filter has a bad size (%zu bytes)", size);
    if (n > BPF_MAXINSNS)
        return hk_error_set(err, -E2BIG,
                            "%s: the filter has %zu instructions, the kernel takes at most %d",
                            JP_SECCOMP, n, BPF_MAXINSNS);
    p->insns = xcalloc(n, sizeof(struct sock_filter));
    ssize_t got = pread(fd, p->insns, size, 0);
    if (got != (ssize_t)size)
        return hk_error_errno(err, got < 0 ? -errno : -EIO, "read the exported seccomp filter");
    p->n_insns = (unsigned short)n;
    return 0;
}

/* A syscall newer than the profile gets ENOSYS, not the default action, as runc does: a
 * program then falls back to the older call (glibc's faccessat2 → faccessat, clone3 → clone)
 * instead of failing with EPERM on a kernel newer than the profile. Prepended to the program:
 *
 *         ld  [arch]
 *   L_i:  jeq #arch_i, 0, L_i+1      for each architecture of the filter
 *         ld  [nr]
 *         jset #X32_BIT, PROG, 0     (x86_64 only: an x32 call is the profile's business)
 *         jgt #max_i, ENOSYS, PROG
 *   ENOSYS: ret ERRNO(ENOSYS)
 *   PROG: ld #0; ldx #0              the program starts from the state the kernel gives it
 *         <libseccomp's program>
 */
#define X32_SYSCALL_BIT 0x40000000u

/* The kernel reports x32 calls as x86_64 ones (with X32_SYSCALL_BIT): x32 gets no block. */
static bool in_stub(const struct build *b, size_t a)
{
    return b->max_nr[a] >= 0 && b->arches[a] != SCMP_ARCH_X32;
}

static int prepend_enosys(const struct build *b, struct seccomp_program *p,
                          struct hk_error *err)
{
    uint32_t def = b->default_action;
    if (def == SCMP_ACT_ALLOW || def == SCMP_ACT_LOG || def == SCMP_ACT_ERRNO(ENOSYS))
        return 0; /* nothing unknown is refused, or it is refused with ENOSYS already */
    struct sock_filter stub[1 + 4 * ARCHES_MAX + 3];
    size_t n = 0, block[ARCHES_MAX];
    stub[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                             offsetof(struct seccomp_data, arch));
    /* lay the blocks out first, then fill in the forward jumps */
    size_t len = 1;
    for (size_t a = 0; a < b->n_arches; a++) {
        if (!in_stub(b, a))
            continue;
        block[a] = len;
        len += b->arches[a] == SCMP_ARCH_X86_64 ? 4 : 3;
    }
    size_t enosys = len, prog = len + 1;
    for (size_t a = 0; a < b->n_arches; a++) {
        if (!in_stub(b, a))
            continue;
        bool x86_64 = b->arches[a] == SCMP_ARCH_X86_64;
        size_t next = block[a] + (x86_64 ? 4 : 3);
        size_t at = n;
        stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, b->arches[a], 0,
                                                 (uint8_t)(next == enosys ? prog - at - 1
                                                                          : next - at - 1));
        stub[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                 offsetof(struct seccomp_data, nr));
        if (x86_64) {
            at = n;
            stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT,
                                                     (uint8_t)(prog - at - 1), 0);
        }
        at = n;
        stub[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K,
                                                 (uint32_t)b->max_nr[a],
                                                 (uint8_t)(enosys - at - 1),
                                                 (uint8_t)(prog - at - 1));
    }
    if (n == 1)
        return 0; /* no architecture with a known syscall: nothing to compare with */
    stub[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
    stub[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 0);
    stub[n++] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 0);
    if (n + p->n_insns > BPF_MAXINSNS)
        return hk_error_set(err, -E2BIG,
                            "%s: the filter has %zu instructions, the kernel takes at most %d",
                            JP_SECCOMP, n + p->n_insns, BPF_MAXINSNS);
    struct sock_filter *all = xcalloc(n + p->n_insns, sizeof(*all));
    memcpy(all, stub, n * sizeof(*all));
    memcpy(all + n, p->insns, p->n_insns * sizeof(*all));
    free(p->insns);
    p->insns = all;
    p->n_insns = (unsigned short)(n + p->n_insns);
    return 0;
}

static int parse_listener(struct build *b, const json_t *obj, struct seccomp_program *p,
                          struct hk_error *err)
{
    char jp[JPATH_MAX];
    int r = parse_string(b->ctx, obj, JP_SECCOMP, "listenerPath", false, &p->listener_path, err);
    if (r >= 0)
        r = parse_string(b->ctx, obj, JP_SECCOMP, "listenerMetadata", false, &p->listener_metadata,
                         err);
    if (r < 0)
        return r;
    if (p->listener_metadata && !p->listener_path)
        return parse_error(b->ctx, err, jpath_key(jp, sizeof(jp), JP_SECCOMP, "listenerMetadata"),
                           "is set but listenerPath is not");
    if (p->listener_path && p->listener_path[0] != '/')
        return parse_error(b->ctx, err, jpath_key(jp, sizeof(jp), JP_SECCOMP, "listenerPath"),
                           "'%s' is not an absolute path", p->listener_path);
    return 0;
}

/* Everything after the default action: architectures first (rules are only added to the
 * architectures present when they are added), then flags, rules, and the final checks. */
static int build_filter(struct build *b, const json_t *obj, struct seccomp_program *p,
                        struct hk_error *err)
{
    int r = for_each_name(b, obj, "architectures", add_arch, err);
    if (r >= 0)
        r = for_each_name(b, obj, "flags", add_flag, err);
    if (r >= 0)
        r = parse_listener(b, obj, p, err);
    if (r >= 0)
        r = parse_syscalls(b, obj, err);
    if (r < 0)
        return r;
    if (b->notify && !p->listener_path)
        return parse_error(b->ctx, err, b->notify_jpath,
                           "SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
    p->notify = b->notify;
    p->flags = b->flags;
    if (p->notify) {
        p->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        if (p->flags & SECCOMP_FILTER_FLAG_TSYNC) /* kernel >= 5.7 allows both together */
            p->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    } else if (p->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
        log_debug("seccomp: WAIT_KILLABLE_RECV without SCMP_ACT_NOTIFY, dropped");
        p->flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
    r = probe_flags(p->flags);
    if (r < 0)
        return hk_error_errno(err, r, "%s: this kernel refuses seccomp flags 0x%x", JP_SECCOMP,
                              p->flags);
    r = export_bpf(b->filter, p, err);
    return r < 0 ? r : prepend_enosys(b, p, err);
}

int seccomp_prepare(const json_t *seccomp, const struct parse_ctx *ctx,
                    struct seccomp_program **ret, struct hk_error *err)
{
    if (!seccomp) {
        *ret = NULL;
        return 0;
    }
    if (!json_is_object(seccomp))
        return parse_error(ctx, err, JP_SECCOMP, "expected an object");
    struct build b = {.ctx = ctx};
    note_arch(&b, seccomp_arch_native());
    int r = parse_action(ctx, seccomp, JP_SECCOMP, "defaultAction", "defaultErrnoRet",
                         &b.default_action, err);
    if (r < 0)
        return r;
    if (b.default_action == SCMP_ACT_NOTIFY) {
        char jp[JPATH_MAX];
        return parse_error(ctx, err, jpath_key(jp, sizeof(jp), JP_SECCOMP, "defaultAction"),
                           "SCMP_ACT_NOTIFY cannot be the default action");
    }
    b.filter = seccomp_init(b.default_action);
    if (!b.filter)
        return hk_error_set(err, -EINVAL, "%s: libseccomp refused the default action 0x%x",
                            JP_SECCOMP, b.default_action);
    struct seccomp_program *p = xcalloc(1, sizeof(*p));
    r = build_filter(&b, seccomp, p, err);
    seccomp_release(b.filter);
    if (r < 0) {
        seccomp_program_free(p);
        return r;
    }
    *ret = p;
    return 0;
}

int seccomp_install(const struct seccomp_program *p, int *ret_listener_fd, struct hk_error *err)
{
    *ret_listener_fd = -1;
    if (!p)
        return 0;
    struct sock_fprog prog = {.len = p->n_insns, .filter = p->insns};
    long r = sys_seccomp(SECCOMP_SET_MODE_FILTER, p->flags, &prog);
    if (r < 0 && errno == EACCES)
        return hk_error_set(err, -EACCES,
                            "load the seccomp filter: needs no_new_privs or CAP_SYS_ADMIN");
    if (r < 0)
        return hk_error_errno(err, -errno, "load the seccomp filter");
    if (p->notify)
        *ret_listener_fd = (int)r;
    return 0;
}

bool seccomp_has_listener(const struct seccomp_program *p)
{
    return p && p->notify;
}

const char *seccomp_listener_path(const struct seccomp_program *p)
{
    return p ? p->listener_path : NULL;
}

const char *seccomp_listener_metadata(const struct seccomp_program *p)
{
    return p ? p->listener_metadata : NULL;
}

struct seccomp_program *seccomp_program_free(struct seccomp_program *p)
{
    if (!p)
        return NULL;
    free(p->insns);
    free(p->listener_path);
    free(p->listener_metadata);
    free(p);
    return NULL;
}

/* --- the compiled-program cache ---------------------------------------------------------- */

/* A cache file: this header, the profile's canonical text (compared byte for byte on use, so a
 * name collision can only miss), then the instructions. */
struct cache_header {
    char magic[8];
    uint32_t text_len, flags, n_insns, reserved;
};
#define CACHE_MAGIC "HKSCMP2" /* 2: with the ENOSYS stub */

/* The profile as compared: compact, keys sorted, plus what else shapes the program (the
 * libseccomp version and the kernel API level it detected). */
static char *cache_text(const json_t *seccomp)
{
    const struct scmp_version *v = seccomp_version();
    _cleanup_free_ char *j = json_dumps(seccomp, JSON_COMPACT | JSON_SORT_KEYS);
    return xasprintf("%u.%u.%u/%u/%s", v->major, v->minor, v->micro, seccomp_api_get(),
                     j ? j : "");
}

static char *cache_path(const char *dir, const char *text)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: a file name, not a check */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return xasprintf("%s/%016llx", dir, (unsigned long long)h);
}

static struct seccomp_program *cache_read(const char *path, const char *text)
{
    _cleanup_free_ char *buf = NULL;
    size_t len, tlen = strlen(text);
    if (read_file(path, 16u << 20, &buf, &len, NULL) < 0 || len < sizeof(struct cache_header))
        return NULL;
    struct cache_header h;
    memcpy(&h, buf, sizeof(h));
    size_t want = sizeof(h) + h.text_len + (size_t)h.n_insns * sizeof(struct sock_filter);
    if (memcmp(h.magic, CACHE_MAGIC, 8) != 0 || h.text_len != tlen || len != want ||
        h.n_insns == 0 || h.n_insns > BPF_MAXINSNS || memcmp(buf + sizeof(h), text, tlen) != 0)
        return NULL;
    struct seccomp_program *p = xcalloc(1, sizeof(*p));
    p->insns = xcalloc(h.n_insns, sizeof(struct sock_filter));
    memcpy(p->insns, buf + sizeof(h) + tlen, (size_t)h.n_insns * sizeof(struct sock_filter));
    p->n_insns = (unsigned short)h.n_insns;
    p->flags = h.flags;
    return p;
}

static void cache_write(const char *dir, const char *path, const char *text,
                        const struct seccomp_program *p)
{
    size_t tlen = strlen(text), ilen = (size_t)p->n_insns * sizeof(struct sock_filter);
    struct cache_header h = {.text_len = (uint32_t)tlen, .flags = p->flags,
                             .n_insns = p->n_insns};
    memcpy(h.magic, CACHE_MAGIC, 8);
    _cleanup_free_ char *buf = xcalloc(1, sizeof(h) + tlen + ilen);
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), text, tlen);
    memcpy(buf + sizeof(h) + tlen, p->insns, ilen);
    if (mkdir_p(dir, 0700) == 0)
        write_file_replace(path, buf, sizeof(h) + tlen + ilen, 0600, NULL);
}

int seccomp_prepare_cached(const json_t *seccomp, const struct parse_ctx *ctx,
                           const char *cache_dir, struct seccomp_program **ret,
                           struct hk_error *err)
{
    /* a notify profile's program comes with an agent: compile it each time */
    if (!cache_dir || !json_is_object(seccomp) || json_object_get(seccomp, "listenerPath"))
        return seccomp_prepare(seccomp, ctx, ret, err);
    _cleanup_free_ char *text = cache_text(seccomp);
    _cleanup_free_ char *path = cache_path(cache_dir, text);
    struct seccomp_program *p = cache_read(path, text);
    if (p) {
        *ret = p;
        return 0;
    }
    int r = seccomp_prepare(seccomp, ctx, &p, err);
    if (r < 0)
        return r;
    if (p && !p->notify)
        cache_write(cache_dir, path, text, p);
    *ret = p;
    return 0;
}
