/* seccomp-default.c — Docker's default seccomp profile, as an OCI linux.seccomp object.
 *
 * Written after moby's profiles/seccomp/default.json (the 2024 shape: io_uring not allowed,
 * AF_VSOCK sockets refused, clone3 answered with ENOSYS so libc falls back to clone). moby's
 * "includes"/"excludes" are resolved at build time: the architecture ones by this build's CPU
 * (moby's archMap), the capability ones for Docker's default capability set (CHOWN,
 * DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, NET_RAW,
 * SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP): chroot is allowed; mount, unshare, setns, bpf,
 * perf_event_open, ptrace-family extras and namespace-creating clone flags are not. ptrace and
 * process_vm_* are allowed (moby: kernel >= 4.8, which hako requires anyway). */
#include "runtime/seccomp.h"

#define RULE_ALLOW(names) "{\"names\": [" names "], \"action\": \"SCMP_ACT_ALLOW\"},"
#define RULE_ALLOW_ARG(name, index, value, op)                                                     \
    "{\"names\": [\"" name "\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": " index    \
    ", \"value\": " value ", \"op\": \"" op "\"}]},"

#if defined(__x86_64__)
#define ARCHES "\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\""
#define ARCH_RULES RULE_ALLOW("\"arch_prctl\", \"modify_ldt\"")
#elif defined(__i386__)
#define ARCHES "\"SCMP_ARCH_X86\""
#define ARCH_RULES RULE_ALLOW("\"modify_ldt\"")
#elif defined(__aarch64__) || defined(__arm__)
#if defined(__aarch64__)
#define ARCHES "\"SCMP_ARCH_AARCH64\", \"SCMP_ARCH_ARM\""
#else
#define ARCHES "\"SCMP_ARCH_ARM\""
#endif
#define ARCH_RULES                                                                                 \
    RULE_ALLOW("\"arm_fadvise64_64\", \"arm_sync_file_range\", \"sync_file_range2\", "             \
               "\"breakpoint\", \"cacheflush\", \"set_tls\"")
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARCHES "\"SCMP_ARCH_PPC64LE\""
#define ARCH_RULES RULE_ALLOW("\"sync_file_range2\", \"swapcontext\"")
#elif defined(__s390x__)
#define ARCHES "\"SCMP_ARCH_S390X\", \"SCMP_ARCH_S390\""
#define ARCH_RULES                                                                                 \
    RULE_ALLOW("\"s390_pci_mmio_read\", \"s390_pci_mmio_write\", \"s390_runtime_instr\"")
#define CLONE_FLAGS_INDEX "1" /* s390 puts clone's flags second */
#elif defined(__riscv) && __riscv_xlen == 64
#define ARCHES "\"SCMP_ARCH_RISCV64\""
#define ARCH_RULES RULE_ALLOW("\"riscv_flush_icache\"")
#else
#define ARCHES ""
#define ARCH_RULES ""
#endif

#ifndef CLONE_FLAGS_INDEX
#define CLONE_FLAGS_INDEX "0"
#endif

/* CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
 * CLONE_NEWNET: clone is allowed only when none of these is set. */
#define CLONE_NS_FLAGS "2114060288"

static const char default_profile[] =
    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
    "\"architectures\": [" ARCHES "],"
    "\"syscalls\": ["
    "{\"names\": ["
    "\"accept\", \"accept4\", \"access\", \"adjtimex\", \"alarm\", \"bind\", \"brk\","
    "\"cachestat\", \"capget\", \"capset\", \"chdir\", \"chmod\", \"chown\", \"chown32\","
    "\"clock_adjtime\", \"clock_adjtime64\", \"clock_getres\", \"clock_getres_time64\","
    "\"clock_gettime\", \"clock_gettime64\", \"clock_nanosleep\", \"clock_nanosleep_time64\","
    "\"close\", \"close_range\", \"connect\", \"copy_file_range\", \"creat\", \"dup\", \"dup2\","
    "\"dup3\", \"epoll_create\", \"epoll_create1\", \"epoll_ctl\", \"epoll_ctl_old\","
    "\"epoll_pwait\", \"epoll_pwait2\", \"epoll_wait\", \"epoll_wait_old\", \"eventfd\","
    "\"eventfd2\", \"execve\", \"execveat\", \"exit\", \"exit_group\", \"faccessat\","
    "\"faccessat2\", \"fadvise64\", \"fadvise64_64\", \"fallocate\", \"fanotify_mark\","
    "\"fchdir\", \"fchmod\", \"fchmodat\", \"fchmodat2\", \"fchown\", \"fchown32\","
    "\"fchownat\", \"fcntl\", \"fcntl64\", \"fdatasync\", \"fgetxattr\", \"flistxattr\","
    "\"flock\", \"fork\", \"fremovexattr\", \"fsetxattr\", \"fstat\", \"fstat64\","
    "\"fstatat64\", \"fstatfs\", \"fstatfs64\", \"fsync\", \"ftruncate\", \"ftruncate64\","
    "\"futex\", \"futex_requeue\", \"futex_time64\", \"futex_wait\", \"futex_waitv\","
    "\"futex_wake\", \"futimesat\", \"getcpu\", \"getcwd\", \"getdents\", \"getdents64\","
    "\"getegid\", \"getegid32\", \"geteuid\", \"geteuid32\", \"getgid\", \"getgid32\","
    "\"getgroups\", \"getgroups32\", \"getitimer\", \"getpeername\", \"getpgid\", \"getpgrp\","
    "\"getpid\", \"getppid\", \"getpriority\", \"getrandom\", \"getresgid\", \"getresgid32\","
    "\"getresuid\", \"getresuid32\", \"getrlimit\", \"get_robust_list\", \"getrusage\","
    "\"getsid\", \"getsockname\", \"getsockopt\", \"get_thread_area\", \"gettid\","
    "\"gettimeofday\", \"getuid\", \"getuid32\", \"getxattr\", \"inotify_add_watch\","
    "\"inotify_init\", \"inotify_init1\", \"inotify_rm_watch\", \"io_cancel\", \"ioctl\","
    "\"io_destroy\", \"io_getevents\", \"io_pgetevents\", \"io_pgetevents_time64\","
    "\"ioprio_get\", \"ioprio_set\", \"io_setup\", \"io_submit\", \"ipc\", \"kill\","
    "\"landlock_add_rule\", \"landlock_create_ruleset\", \"landlock_restrict_self\", \"lchown\","
    "\"lchown32\", \"lgetxattr\", \"link\", \"linkat\", \"listen\", \"listxattr\","
    "\"llistxattr\", \"_llseek\", \"lremovexattr\", \"lseek\", \"lsetxattr\", \"lstat\","
    "\"lstat64\", \"madvise\", \"map_shadow_stack\", \"membarrier\", \"memfd_create\","
    "\"memfd_secret\", \"mincore\", \"mkdir\", \"mkdirat\", \"mknod\", \"mknodat\", \"mlock\","
    "\"mlock2\", \"mlockall\", \"mmap\", \"mmap2\", \"mprotect\", \"mq_getsetattr\","
    "\"mq_notify\", \"mq_open\", \"mq_timedreceive\", \"mq_timedreceive_time64\","
    "\"mq_timedsend\", \"mq_timedsend_time64\", \"mq_unlink\", \"mremap\", \"msgctl\","
    "\"msgget\", \"msgrcv\", \"msgsnd\", \"msync\", \"munlock\", \"munlockall\", \"munmap\","
    "\"name_to_handle_at\", \"nanosleep\", \"newfstatat\", \"_newselect\", \"open\", \"openat\","
    "\"openat2\", \"pause\", \"pidfd_open\", \"pidfd_send_signal\", \"pipe\", \"pipe2\","
    "\"pkey_alloc\", \"pkey_free\", \"pkey_mprotect\", \"poll\", \"ppoll\", \"ppoll_time64\","
    "\"prctl\", \"pread64\", \"preadv\", \"preadv2\", \"prlimit64\", \"process_mrelease\","
    "\"pselect6\", \"pselect6_time64\", \"pwrite64\", \"pwritev\", \"pwritev2\", \"read\","
    "\"readahead\", \"readlink\", \"readlinkat\", \"readv\", \"recv\", \"recvfrom\","
    "\"recvmmsg\", \"recvmmsg_time64\", \"recvmsg\", \"remap_file_pages\", \"removexattr\","
    "\"rename\", \"renameat\", \"renameat2\", \"restart_syscall\", \"rmdir\", \"rseq\","
    "\"rt_sigaction\", \"rt_sigpending\", \"rt_sigprocmask\", \"rt_sigqueueinfo\","
    "\"rt_sigreturn\", \"rt_sigsuspend\", \"rt_sigtimedwait\", \"rt_sigtimedwait_time64\","
    "\"rt_tgsigqueueinfo\", \"sched_getaffinity\", \"sched_getattr\", \"sched_getparam\","
    "\"sched_get_priority_max\", \"sched_get_priority_min\", \"sched_getscheduler\","
    "\"sched_rr_get_interval\", \"sched_rr_get_interval_time64\", \"sched_setaffinity\","
    "\"sched_setattr\", \"sched_setparam\", \"sched_setscheduler\", \"sched_yield\","
    "\"seccomp\", \"select\", \"semctl\", \"semget\", \"semop\", \"semtimedop\","
    "\"semtimedop_time64\", \"send\", \"sendfile\", \"sendfile64\", \"sendmmsg\", \"sendmsg\","
    "\"sendto\", \"setfsgid\", \"setfsgid32\", \"setfsuid\", \"setfsuid32\", \"setgid\","
    "\"setgid32\", \"setgroups\", \"setgroups32\", \"setitimer\", \"setpgid\", \"setpriority\","
    "\"setregid\", \"setregid32\", \"setresgid\", \"setresgid32\", \"setresuid\","
    "\"setresuid32\", \"setreuid\", \"setreuid32\", \"setrlimit\", \"set_robust_list\","
    "\"setsid\", \"setsockopt\", \"set_thread_area\", \"set_tid_address\", \"setuid\","
    "\"setuid32\", \"setxattr\", \"shmat\", \"shmctl\", \"shmdt\", \"shmget\", \"shutdown\","
    "\"sigaltstack\", \"signalfd\", \"signalfd4\", \"sigprocmask\", \"sigreturn\","
    "\"socketcall\", \"socketpair\", \"splice\", \"stat\", \"stat64\", \"statfs\", \"statfs64\","
    "\"statx\", \"symlink\", \"symlinkat\", \"sync\", \"sync_file_range\", \"syncfs\","
    "\"sysinfo\", \"tee\", \"tgkill\", \"time\", \"timer_create\", \"timer_delete\","
    "\"timer_getoverrun\", \"timer_gettime\", \"timer_gettime64\", \"timer_settime\","
    "\"timer_settime64\", \"timerfd_create\", \"timerfd_gettime\", \"timerfd_gettime64\","
    "\"timerfd_settime\", \"timerfd_settime64\", \"times\", \"tkill\", \"truncate\","
    "\"truncate64\", \"ugetrlimit\", \"umask\", \"uname\", \"unlink\", \"unlinkat\", \"utime\","
    "\"utimensat\", \"utimensat_time64\", \"utimes\", \"vfork\", \"vmsplice\", \"wait4\","
    "\"waitid\", \"waitpid\", \"write\", \"writev\""
    "], \"action\": \"SCMP_ACT_ALLOW\"}," RULE_ALLOW(
        "\"process_vm_readv\", \"process_vm_writev\", \"ptrace\"") RULE_ALLOW("\"chroot\"")
        RULE_ALLOW_ARG("socket", "0", "40", "SCMP_CMP_NE")          /* anything but AF_VSOCK */
    RULE_ALLOW_ARG("personality", "0", "0", "SCMP_CMP_EQ")          /* PER_LINUX */
    RULE_ALLOW_ARG("personality", "0", "8", "SCMP_CMP_EQ")          /* PER_LINUX32 */
    RULE_ALLOW_ARG("personality", "0", "131072", "SCMP_CMP_EQ")     /* UNAME26 */
    RULE_ALLOW_ARG("personality", "0", "131080", "SCMP_CMP_EQ")     /* UNAME26 | PER_LINUX32 */
    RULE_ALLOW_ARG("personality", "0", "4294967295", "SCMP_CMP_EQ") /* query */
    RULE_ALLOW_ARG("clone", CLONE_FLAGS_INDEX, CLONE_NS_FLAGS, "SCMP_CMP_MASKED_EQ") ARCH_RULES
    "{\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}"
    "]}";

const char *seccomp_default_profile_json(void)
{
    return default_profile;
}
