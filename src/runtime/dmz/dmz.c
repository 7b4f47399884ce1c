/* hako-dmz — the smallest program: run another one.
 *
 * The container's program is started through this tiny static binary, run from a sealed
 * memfd (CVE-2019-5736). The last process hako runs in a container thus never has hako's own
 * binary as /proc/self/exe at the moment it execs the container's program: if that program
 * is "#!/proc/self/exe", the kernel loads this sealed copy of hako-dmz instead of hako, and
 * /proc/<pid>/exe is a file no one can write.
 *
 * Calling convention: argv = [path, argv0, arg1, ...]; we execve(path, argv + 1, envp).
 * No libc: a few instructions, so the extra exec costs microseconds. */

#if defined(__x86_64__)
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "    xor %rbp, %rbp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call dmz_main\n"
        "    hlt\n");
#define NR_WRITE 1
#define NR_EXECVE 59
#define NR_EXIT 60
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}
#elif defined(__aarch64__)
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "    mov x0, sp\n"
        "    bl dmz_main\n");
#define NR_WRITE 64
#define NR_EXECVE 221
#define NR_EXIT 93
static long sys3(long n, long a, long b, long c)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
}
#else
#error "hako-dmz supports x86_64 and aarch64"
#endif

static long len(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    return n;
}

static void say(const char *s)
{
    sys3(NR_WRITE, 2, (long)s, len(s));
}

void dmz_main(long *sp);
__attribute__((used)) void dmz_main(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    if (argc >= 2) {
        long e = -sys3(NR_EXECVE, (long)argv[0], (long)(argv + 1), (long)envp);
        say("hako: exec \"");
        say(argv[0]);
        say(e == 2 ? "\": no such file or directory\n"
            : e == 8 ? "\": exec format error\n"
            : e == 13 ? "\": permission denied\n"
                      : "\": cannot execute\n");
        sys3(NR_EXIT, e == 2 ? 127 : 126, 0, 0);
    }
    sys3(NR_EXIT, 127, 0, 0);
    for (;;)
        ;
}
