/* Unit tests for runtime/seccomp: profile errors, and filters loaded in forked children
 * (no_new_privs makes that possible without root). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "util/fs.h"
#include "util/json.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Parse `seccomp` (the text of a linux.seccomp object) as it would sit in a config.json. */
static int prepare(const char *seccomp, struct seccomp_program **ret, struct hk_error *err)
{
    _cleanup_free_ char *text = xasprintf("{\"linux\": {\"seccomp\": %s}}", seccomp);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        fail_msg("bad test JSON: %s (line %d)", jerr.text, jerr.line);
    struct parse_ctx ctx = {.file = "config.json", .text = text};
    int r =
        seccomp_prepare(json_object_get(json_object_get(root, "linux"), "seccomp"), &ctx, ret, err);
    json_decref(root);
    return r;
}

static struct seccomp_program *prepare_ok(const char *seccomp)
{
    struct seccomp_program *p = NULL;
    struct hk_error err = {0};
    int r = prepare(seccomp, &p, &err);
    if (r < 0)
        fail_msg("seccomp_prepare: %s", hk_error_msg(&err));
    assert_non_null(p);
    return p;
}

static void expect_error(const char *seccomp, const char *message)
{
    struct seccomp_program *p = NULL;
    struct hk_error err = {0};
    int r = prepare(seccomp, &p, &err);
    assert_int_equal(r, -EINVAL);
    assert_null(p);
    if (!strstr(hk_error_msg(&err), message))
        fail_msg("expected '%s' in '%s'", message, hk_error_msg(&err));
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"{}", "linux.seccomp.defaultAction: required field is missing"},
        {"{\"defaultAction\": \"SCMP_ACT_FOO\"}",
         "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_FOO'"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 5}",
         "linux.seccomp.defaultErrnoRet: SCMP_ACT_ALLOW does not take an errno"},
        {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
         "linux.seccomp.defaultErrnoRet: -1 is out of range [0, 65535]"},
        {"{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"/x\"}",
         "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86\", "
         "\"SCMP_ARCH_VAX\"]}",
         "linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_VAX'"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": \"SCMP_ARCH_X86\"}",
         "linux.seccomp.architectures: expected an array, got a string"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_FAST\"]}",
         "linux.seccomp.flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_FAST'"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerMetadata\": \"m\"}",
         "linux.seccomp.listenerMetadata: is set but listenerPath is not"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"agent.sock\"}",
         "linux.seccomp.listenerPath: 'agent.sock' is not an absolute path"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [7]}",
         "linux.seccomp.syscalls[0]: expected an object"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_LOG\"}]}",
         "linux.seccomp.syscalls[0].names: must name at least one syscall"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [], "
         "\"action\": \"SCMP_ACT_LOG\"}]}",
         "linux.seccomp.syscalls[0].names: must name at least one syscall"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"]}]}",
         "linux.seccomp.syscalls[0].action: required field is missing"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
         "\"action\": \"SCMP_ACT_KILL\", \"errnoRet\": 1}]}",
         "linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL does not take an errno"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
         "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, "
         "\"op\": \"SCMP_CMP_EQ\"}]}]}",
         "linux.seccomp.syscalls[0].args[0].index: 6 is out of range [0, 5]"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
         "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
         "linux.seccomp.syscalls[0].args[0].value: required field is missing"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
         "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": -3, "
         "\"op\": \"SCMP_CMP_EQ\"}]}]}",
         "linux.seccomp.syscalls[0].args[0].value: -3 is out of range"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
         "\"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, "
         "\"op\": \"SCMP_CMP_ABOUT\"}]}]}",
         "linux.seccomp.syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ABOUT'"},
        /* A bad field is an error even in a rule that would be skipped as the default. */
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], "
         "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1}]}]}",
         "linux.seccomp.syscalls[0].args[0].op: required field is missing"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"getpid\"], "
         "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
         "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"},
        {"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/x\", \"syscalls\": "
         "[{\"names\": [\"getpid\", \"write\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
         "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for 'write'"},
    };
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        expect_error(cases[i][0], cases[i][1]);
}

static void test_parse_error_lines(void **state)
{
    (void)state;
    struct seccomp_program *p = NULL;
    struct hk_error err = {0};
    int r = prepare("{\n"
                    "  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
                    "  \"syscalls\": [\n"
                    "    {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"},\n"
                    "    {\"names\": [\"rmdir\"], \"action\": \"SCMP_ACT_ERRNO\"},\n"
                    "    {\"names\": [\"chmod\"], \"action\": \"SCMP_ACT_ERRNO\"},\n"
                    "    {\"names\": [\"read\"],\n"
                    "     \"action\": \"SCMP_ACT_FOO\"}\n"
                    "  ]\n"
                    "}",
                    &p, &err);
    assert_int_equal(r, -EINVAL);
    assert_string_equal(hk_error_msg(&err), "config.json:8: linux.seccomp.syscalls[3].action: "
                                            "unknown action 'SCMP_ACT_FOO'");
}

static void test_prepare_null(void **state)
{
    (void)state;
    struct seccomp_program *p = (struct seccomp_program *)1;
    struct parse_ctx ctx = {.file = "config.json"};
    assert_int_equal(seccomp_prepare(NULL, &ctx, &p, NULL), 0);
    assert_null(p);
    int fd = 5;
    assert_int_equal(seccomp_install(NULL, &fd, NULL), 0);
    assert_int_equal(fd, -1);
    assert_false(seccomp_has_listener(NULL));
    assert_null(seccomp_listener_path(NULL));
}

/* Fork; the child sets no_new_privs, installs p and returns fn()'s value as its exit code.
 * Returns the raw wait status. */
static int run_filtered(const struct seccomp_program *p, int (*fn)(void))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit nocore = {0, 0};
        setrlimit(RLIMIT_CORE, &nocore);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no core file from the SIGSYS tests */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            _exit(100);
        int fd;
        if (seccomp_install(p, &fd, NULL) < 0)
            _exit(101);
        _exit(fn());
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void expect_exit(const struct seccomp_program *p, int (*fn)(void), int code)
{
    int status = run_filtered(p, fn);
    if (!WIFEXITED(status))
        fail_msg("child did not exit (status 0x%x)", status);
    assert_int_equal(WEXITSTATUS(status), code);
}

/* Build profile, run fn under it in a child, and expect exit code 0. */
static void expect_profile(const char *profile, int (*fn)(void))
{
    struct seccomp_program *p = prepare_ok(profile);
    expect_exit(p, fn, 0);
    seccomp_program_free(p);
}

/* Syscall wrappers that report errno as a small exit code: 0 = the expected outcome. */
static int expect_errno(long ret, int want)
{
    if (want == 0)
        return ret >= 0 ? 0 : 10 + (errno & 0x7f);
    return ret == -1 && errno == want ? 0 : 1;
}

static int mkdir_blocked(void)
{
    /* Without the filter this is ENOENT; nothing can be created either way. */
    int a = expect_errno(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-hako/x", 0700), EACCES);
    int b = expect_errno(syscall(SYS_getpid), 0);
    return a ? 2 : b ? 3 : 0;
}

static void test_errno_rule(void **state)
{
    (void)state;
    expect_profile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                   "{\"names\": [\"no_such_syscall_hako\", \"mkdirat\", \"mkdir\"], "
                   "\"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13},"
                   "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                   mkdir_blocked);
}

static int default_errno(void)
{
    if (expect_errno(syscall(SYS_getppid), 0))
        return 2;
    return expect_errno(syscall(SYS_uname, NULL), EOPNOTSUPP) ? 3 : 0;
}

static void test_default_errno(void **state)
{
    (void)state;
    /* The rule equal to the default action is skipped (libseccomp would refuse it). The allow
     * list holds what the sanitizers' runtime needs in the child. */
    expect_profile("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 95,"
                   "\"syscalls\": [{\"names\": [\"getppid\", \"exit_group\", \"exit\", \"write\","
                   " \"mmap\", \"munmap\", \"mprotect\", \"madvise\", \"sigaltstack\", \"gettid\","
                   " \"getpid\", \"rt_sigprocmask\", \"rt_sigaction\", \"futex\", \"sched_yield\","
                   " \"prctl\", \"read\", \"openat\", \"close\", \"newfstatat\", \"fstat\","
                   " \"readlink\", \"prlimit64\", \"tgkill\"],"
                   " \"action\": \"SCMP_ACT_ALLOW\"},"
                   "{\"names\": [\"uname\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 95}]}",
                   default_errno);
}

static int masked_and_multi(void)
{
    if (expect_errno(syscall(SYS_umask, 0777), E2BIG)) /* 0777 & 0700 == 0700 */
        return 2;
    if (expect_errno(syscall(SYS_umask, 0022), 0))
        return 3;
    if (expect_errno(syscall(SYS_getpriority, PRIO_PROCESS, 12345678), ENOTTY))
        return 4; /* both conditions of the AND rule hold */
    if (expect_errno(syscall(SYS_getpriority, PRIO_PROCESS, 0), 0))
        return 5;
    if (expect_errno(syscall(SYS_getpriority, PRIO_PGRP, 12345678), ESRCH))
        return 6; /* only one holds: the kernel answers */
    if (expect_errno(syscall(SYS_setpgid, 1, 0), EXDEV) ||
        expect_errno(syscall(SYS_setpgid, 2, 0), EXDEV))
        return 7; /* repeated index: split into rules, ORed */
    if (expect_errno(syscall(SYS_setpgid, 0, 0), 0))
        return 8;
    return 0;
}

static void test_args(void **state)
{
    (void)state;
    expect_profile(
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
        "{\"names\": [\"umask\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 7,"
        " \"args\": [{\"index\": 0, \"value\": 448, \"valueTwo\": 448,"
        " \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
        "{\"names\": [\"getpriority\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 25,"
        " \"args\": [{\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"},"
        "            {\"index\": 1, \"value\": 12345677, \"op\": \"SCMP_CMP_GT\"}]},"
        "{\"names\": [\"setpgid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 18,"
        " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
        "            {\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]}]}",
        masked_and_multi);
}

static int call_getppid(void)
{
    syscall(SYS_getppid);
    return 0;
}

static void expect_sigsys(const char *action)
{
    _cleanup_free_ char *text = xasprintf("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                                          "[{\"names\": [\"getppid\"], \"action\": \"%s\"}]}",
                                          action);
    struct seccomp_program *p = prepare_ok(text);
    int status = run_filtered(p, call_getppid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSYS);
    seccomp_program_free(p);
}

static void test_kill(void **state)
{
    (void)state;
    expect_sigsys("SCMP_ACT_KILL");
    expect_sigsys("SCMP_ACT_KILL_THREAD");
    expect_sigsys("SCMP_ACT_KILL_PROCESS");
}

static volatile sig_atomic_t trapped;

static void on_sigsys(int sig)
{
    (void)sig;
    trapped = 1;
}

static int trap_getppid(void)
{
    /* The handler was installed before the filter (rt_sigaction is not trapped). */
    syscall(SYS_getppid);
    return trapped ? 0 : 2;
}

static void test_trap_and_log(void **state)
{
    (void)state;
    struct sigaction sa = {.sa_handler = on_sigsys};
    struct sigaction old;
    sigaction(SIGSYS, &sa, &old);
    expect_profile("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                   "{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_TRAP\"},"
                   "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_LOG\"}]}",
                   trap_getppid);
    sigaction(SIGSYS, &old, NULL);
}

static int getpid_works(void)
{
    return syscall(SYS_getpid) > 0 ? 0 : 2;
}

static void test_arches_and_flags(void **state)
{
    (void)state;
    /* Every arch the spec lists builds (the native one is ignored, unknown-to-libseccomp
     * ones are skipped), and the flags the kernel knows are accepted and load. */
    expect_profile(
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": ["
        "\"SCMP_ARCH_X86\", \"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X32\", \"SCMP_ARCH_ARM\","
        "\"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_MIPS\", \"SCMP_ARCH_MIPS64\", \"SCMP_ARCH_MIPS64N32\","
        "\"SCMP_ARCH_MIPSEL\", \"SCMP_ARCH_MIPSEL64\", \"SCMP_ARCH_MIPSEL64N32\", "
        "\"SCMP_ARCH_PPC\","
        "\"SCMP_ARCH_PPC64\", \"SCMP_ARCH_PPC64LE\", \"SCMP_ARCH_S390\", \"SCMP_ARCH_S390X\","
        "\"SCMP_ARCH_PARISC\", \"SCMP_ARCH_PARISC64\", \"SCMP_ARCH_RISCV64\","
        "\"SCMP_ARCH_LOONGARCH64\"],"
        "\"flags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_LOG\","
        "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\", \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
        "\"syscalls\": [{\"names\": [\"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\"}]}",
        getpid_works);
}

static int no_caps_install(void)
{
    cap_t none = cap_init();
    if (!none || cap_set_proc(none) < 0)
        return 2;
    cap_free(none);
    struct seccomp_program *p =
        prepare_ok("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
                   "[{\"names\": [\"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
    struct hk_error err = {0};
    int fd;
    int r = seccomp_install(p, &fd, &err);
    seccomp_program_free(p);
    if (r != -EACCES || !strstr(hk_error_msg(&err), "no_new_privs or CAP_SYS_ADMIN"))
        return 3;
    return 0;
}

static void test_install_needs_nnp_or_cap(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(no_caps_install());
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A unix socket listening in a fresh temp dir, as a seccomp agent would. With deep, the
 * socket's path is longer than sun_path (bound through a relative name). */
struct agent {
    char dir[64];
    char sub[256];
    char path[320];
    int fd;
};

static void agent_listen(struct agent *a, bool deep)
{
    strcpy(a->dir, "/tmp/hako-seccomp-XXXXXX");
    assert_non_null(mkdtemp(a->dir));
    snprintf(a->sub, sizeof(a->sub), "%s/%s", a->dir,
             deep ? "a-directory-name-long-enough-to-push-the-socket-path-past-the-108-bytes-"
                    "of-sun_path-xxxxxxxxxxxxxxxxxxxx"
                  : ".");
    if (deep)
        assert_int_equal(mkdir(a->sub, 0700), 0);
    snprintf(a->path, sizeof(a->path), "%s/agent.sock", a->sub);
    a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(a->fd >= 0);
    int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    assert_int_equal(chdir(a->sub), 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = "agent.sock"};
    assert_int_equal(bind(a->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(fchdir(cwd), 0);
    close(cwd);
    assert_int_equal(listen(a->fd, 4), 0);
}

static void agent_close(struct agent *a)
{
    close(a->fd);
    unlink(a->path);
    rmdir(a->sub);
    rmdir(a->dir);
}

/* A notify-free program whose listenerPath is the agent's. */
static struct seccomp_program *listener_program(const struct agent *a, const char *metadata)
{
    _cleanup_free_ char *meta =
        metadata ? xasprintf(", \"listenerMetadata\": \"%s\"", metadata) : xstrdup("");
    _cleanup_free_ char *text = xasprintf(
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"%s\"%s}", a->path, meta);
    return prepare_ok(text);
}

/* Accept one connection; read the JSON to EOF and the one fd that came with it. */
static json_t *agent_receive(struct agent *a, int *ret_fd)
{
    int c = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC);
    assert_true(c >= 0);
    char buf[8192];
    size_t len = 0;
    *ret_fd = -1;
    for (;;) {
        union {
            struct cmsghdr align;
            char b[CMSG_SPACE(sizeof(int))];
        } control;
        struct iovec iov = {.iov_base = buf + len, .iov_len = sizeof(buf) - 1 - len};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control.b,
                             .msg_controllen = sizeof(control.b)};
        ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
        assert_true(n >= 0);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        if (cm && cm->cmsg_type == SCM_RIGHTS) {
            assert_int_equal(*ret_fd, -1);
            memcpy(ret_fd, CMSG_DATA(cm), sizeof(int));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(c);
    buf[len] = '\0';
    json_error_t jerr;
    json_t *j = json_loads(buf, 0, &jerr);
    assert_non_null(j);
    return j;
}

static const char send_state[] = "{\"ociVersion\": \"1.2.0\", \"id\": \"web\", "
                                 "\"status\": \"creating\", \"pid\": 4242, \"bundle\": \"/b\"}";

/* Send a pipe's read end as the listener; check the message and that the fd is that pipe. */
static json_t *send_and_receive(struct agent *a, const char *metadata)
{
    int pipefd[2];
    assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
    struct seccomp_program *p = listener_program(a, metadata);
    struct hk_error err = {0};
    if (seccomp_send_listener(p, pipefd[0], send_state, &err) < 0)
        fail_msg("%s", hk_error_msg(&err));
    seccomp_program_free(p);
    int fd;
    json_t *m = agent_receive(a, &fd);
    struct stat s1, s2;
    assert_int_equal(fstat(fd, &s1), 0);
    assert_int_equal(fstat(pipefd[0], &s2), 0);
    assert_true(s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev);
    close(fd);
    close(pipefd[0]);
    close(pipefd[1]);
    return m;
}

static void test_send_listener(void **state)
{
    (void)state;
    struct agent a;
    agent_listen(&a, false);
    json_t *m = send_and_receive(&a, "MKNOD=/dev/null");
    assert_string_equal(json_string_value(json_object_get(m, "ociVersion")), "1.2.0");
    assert_int_equal(json_array_size(json_object_get(m, "fds")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(m, "fds"), 0)),
                        "seccompFd");
    assert_int_equal(json_integer_value(json_object_get(m, "pid")), 4242);
    assert_string_equal(json_string_value(json_object_get(m, "metadata")), "MKNOD=/dev/null");
    json_t *st = json_loads(send_state, 0, NULL);
    assert_true(json_equal(json_object_get(m, "state"), st));
    json_decref(st);
    json_decref(m);

    /* Without listenerMetadata the field is left out. */
    m = send_and_receive(&a, NULL);
    assert_null(json_object_get(m, "metadata"));
    json_decref(m);

    /* No agent: a located error. */
    struct seccomp_program *p = listener_program(&a, NULL);
    agent_close(&a);
    struct hk_error err = {0};
    assert_int_equal(seccomp_send_listener(p, 0, send_state, &err), -ENOENT);
    assert_non_null(strstr(hk_error_msg(&err), "seccomp listenerPath: connect to '/tmp/hako-"));
    assert_int_equal(seccomp_send_listener(p, 0, "{\"id\": \"x\"}", &err), -EINVAL);
    seccomp_program_free(p);
}

static void test_send_listener_long_path(void **state)
{
    (void)state;
    struct agent a;
    agent_listen(&a, true);
    assert_true(strlen(a.path) >= sizeof(((struct sockaddr_un *)0)->sun_path));
    json_t *m = send_and_receive(&a, "x");
    assert_int_equal(json_integer_value(json_object_get(m, "pid")), 4242);
    json_decref(m);
    agent_close(&a);
}

/* The notify child: hand the listener to the agent, then make the notified syscall. */

static int notify_child_body(const struct seccomp_program *p)
{
    int fd;
    struct hk_error err = {0};
    if (seccomp_install(p, &fd, &err) < 0 || fd < 0)
        return 2;
    if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
        return 5; /* the container must not inherit its own listener across execve */
    _cleanup_free_ char *st = xasprintf("{\"ociVersion\": \"1.2.0\", \"id\": \"n\", "
                                        "\"status\": \"creating\", \"pid\": %d}",
                                        (int)getpid());
    int r = seccomp_send_listener(p, fd, st, &err);
    close(fd);
    if (r < 0)
        return 3;
    /* The agent answers EXDEV for this mkdirat; the kernel would say ENOENT. */
    return expect_errno(syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent-hako/x", 0700), EXDEV) ? 4 : 0;
}

static void test_notify(void **state)
{
    (void)state;
    struct agent a;
    agent_listen(&a, false);
    _cleanup_free_ char *text =
        xasprintf("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"%s\","
                  " \"listenerMetadata\": \"hello\", \"flags\": [\"SECCOMP_FILTER_FLAG_TSYNC\","
                  " \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
                  " \"syscalls\": [{\"names\": [\"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                  a.path);
    struct seccomp_program *p = prepare_ok(text);
    assert_true(seccomp_has_listener(p));
    assert_string_equal(seccomp_listener_path(p), a.path);
    assert_string_equal(seccomp_listener_metadata(p), "hello");

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        _exit(notify_child_body(p));
    }
    int fd;
    json_t *m = agent_receive(&a, &fd);
    assert_true(fd >= 0);
    assert_int_equal(json_integer_value(json_object_get(m, "pid")), pid);
    assert_string_equal(json_string_value(json_object_get(m, "metadata")), "hello");
    json_decref(m);

    struct seccomp_notif *req;
    struct seccomp_notif_resp *resp;
    assert_int_equal(seccomp_notify_alloc(&req, &resp), 0);
    assert_int_equal(seccomp_notify_receive(fd, req), 0);
    assert_int_equal(req->pid, pid);
    assert_int_equal(req->data.nr, SYS_mkdirat);
    resp->id = req->id;
    resp->error = -EXDEV;
    resp->val = 0;
    resp->flags = 0;
    assert_int_equal(seccomp_notify_respond(fd, resp), 0);
    seccomp_notify_free(req, resp);

    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(fd);
    agent_close(&a);
    seccomp_program_free(p);
}

static int docker_default_checks(void)
{
    if (expect_errno(syscall(SYS_getpid), 0))
        return 2;
    if (expect_errno(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM))
        return 3;
    if (expect_errno(syscall(SYS_unshare, CLONE_NEWUSER), EPERM))
        return 4;
    if (expect_errno(syscall(SYS_clone3, NULL, 0), ENOSYS))
        return 5;
    if (expect_errno(syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0), EPERM))
        return 6;
    long s = syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return 7;
    close((int)s);
    if (expect_errno(syscall(SYS_personality, 0xffffffffUL), 0))
        return 8;
    if (expect_errno(syscall(SYS_personality, READ_IMPLIES_EXEC), EPERM))
        return 9;
    if (expect_errno(syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL), EPERM))
        return 10;
    /* clone without namespace flags (what fork uses) is allowed, with them it is not. */
    long c = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0);
    if (c == 0)
        _exit(0);
    if (c != -1 || errno != EPERM)
        return 11;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 12;
    return 0;
}

static void test_docker_default(void **state)
{
    (void)state;
    const char *profile = seccomp_default_profile_json();
    json_error_t jerr;
    json_t *j = json_loads(profile, 0, &jerr);
    if (!j)
        fail_msg("default profile: %s at %d:%d", jerr.text, jerr.line, jerr.column);
    assert_string_equal(json_string_value(json_object_get(j, "defaultAction")), "SCMP_ACT_ERRNO");
    assert_int_equal(json_integer_value(json_object_get(j, "defaultErrnoRet")), 1);
    assert_true(json_array_size(json_object_get(j, "syscalls")) > 10);
    json_decref(j);
    expect_profile(profile, docker_default_checks);
}

static void test_filter_too_big(void **state)
{
    (void)state;
    /* 2500 values that differ in both 32-bit halves take ~4 instructions each: more than the
     * kernel's 4096. */
    size_t size = 2500 * 128, len = 0;
    char *full = xcalloc(1, size);
    len += (size_t)snprintf(full, size, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [");
    for (int i = 0; i < 2500; i++)
        len += (size_t)snprintf(full + len, size - len,
                                "%s{\"names\": [\"umask\"], \"action\": \"SCMP_ACT_ERRNO\", "
                                "\"args\": [{\"index\": 0, \"value\": %llu, \"op\": "
                                "\"SCMP_CMP_EQ\"}]}",
                                i ? "," : "", ((unsigned long long)(i + 1) << 32) | (unsigned)i);
    snprintf(full + len, size - len, "]}");
    struct seccomp_program *p = NULL;
    struct hk_error err = {0};
    assert_int_equal(prepare(full, &p, &err), -E2BIG);
    assert_non_null(strstr(hk_error_msg(&err), "the kernel takes at most 4096"));
    free(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_error_lines),
        cmocka_unit_test(test_prepare_null),
        cmocka_unit_test(test_errno_rule),
        cmocka_unit_test(test_default_errno),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_kill),
        cmocka_unit_test(test_trap_and_log),
        cmocka_unit_test(test_arches_and_flags),
        cmocka_unit_test(test_install_needs_nnp_or_cap),
        cmocka_unit_test(test_send_listener),
        cmocka_unit_test(test_send_listener_long_path),
        cmocka_unit_test(test_notify),
        cmocka_unit_test(test_docker_default),
        cmocka_unit_test(test_filter_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
