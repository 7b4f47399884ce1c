/* sys.h — the few system calls and helpers the engine's freestanding programs use (the
 * monitor's relay loop, tiny/monitor.c, and the --init process, tiny/init.c).
 *
 * They are built with -nostdlib -static, like the runtime's hako-dmz: no libc, no dynamic
 * loader, so a monitor kept for every running container costs tens of kilobytes of memory
 * instead of the megabytes a dynamically linked C program (conmon) maps. Return values are the
 * kernel's: a negative errno on failure. */
#pragma once

typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned int u32;
typedef unsigned long long u64;

#if defined(__x86_64__)
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "    xor %rbp, %rbp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call tiny_main\n"
        "    hlt\n");
enum {
    NR_read = 0, NR_write = 1, NR_close = 3, NR_ioctl = 16, NR_sendto = 44, NR_recvfrom = 45,
    NR_clone = 56, NR_execve = 59, NR_exit = 60, NR_wait4 = 61, NR_kill = 62, NR_fcntl = 72,
    NR_setpgid = 109, NR_rt_sigtimedwait = 128, NR_rt_sigprocmask = 14,
    NR_clock_gettime = 228, NR_exit_group = 231, NR_openat = 257, NR_ppoll = 271,
    NR_accept4 = 288, NR_signalfd4 = 289, NR_execveat = 322, NR_getpid = 39,
    NR_close_range = 436,
};
static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}
#elif defined(__aarch64__)
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "    mov x0, sp\n"
        "    bl tiny_main\n");
enum {
    NR_read = 63, NR_write = 64, NR_close = 57, NR_ioctl = 29, NR_sendto = 206,
    NR_recvfrom = 207, NR_clone = 220, NR_execve = 221, NR_exit = 93, NR_wait4 = 260,
    NR_kill = 129, NR_fcntl = 25, NR_setpgid = 154, NR_rt_sigtimedwait = 137,
    NR_rt_sigprocmask = 135, NR_clock_gettime = 113, NR_exit_group = 94, NR_openat = 56,
    NR_ppoll = 73, NR_accept4 = 242, NR_signalfd4 = 74, NR_execveat = 281, NR_getpid = 172,
    NR_close_range = 436,
};
static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}
#else
#error "the engine's tiny programs support x86_64 and aarch64"
#endif

#define sys0(n) sys6(n, 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* errno values and flags used here (the same on both architectures). */
enum {
    E_INTR = 4, E_IO = 5, E_CHILD = 10, E_AGAIN = 11, E_NOENT = 2, E_ACCES = 13,
};
#define SIG_CHLD 17
#define SIG_TTOU 22
#define SIG_KILL 9
#define SIG_STOP 19
#define O_WRONLY_ 01
#define O_NONBLOCK_ 04000
#define O_CLOEXEC_ 02000000
#define F_GETFL_ 3
#define F_SETFL_ 4
#define F_SETFD_ 2
#define AT_EMPTY_PATH_ 0x1000
#define POLLIN_ 0x001
#define POLLOUT_ 0x004
#define POLLERR_ 0x008
#define POLLHUP_ 0x010
#define WNOHANG_ 1
#define MSG_DONTWAIT_ 0x40
#define MSG_NOSIGNAL_ 0x4000
#define TIOCSWINSZ_ 0x5414
#define TIOCSPGRP_ 0x5410
#define TIOCGPGRP_ 0x540F
#define SIG_BLOCK_ 0
#define SIG_SETMASK_ 2
#define CLOCK_MONOTONIC_ 1

struct pollfd_ {
    int fd;
    short events, revents;
};
struct timespec_ {
    long tv_sec, tv_nsec;
};
struct signalfd_siginfo_ {
    u32 ssi_signo;
    char pad[124];
};

/* The compiler may emit calls to these for struct copies and zeroing. */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
__attribute__((used)) void *memcpy(void *d, const void *s, size_t n)
{
    char *dd = d;
    const char *ss = s;
    while (n--)
        *dd++ = *ss++;
    return d;
}
__attribute__((used)) void *memset(void *d, int c, size_t n)
{
    char *dd = d;
    while (n--)
        *dd++ = (char)c;
    return d;
}

static inline size_t slen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static inline int sprefix(const char *s, const char *p)
{
    while (*p)
        if (*s++ != *p++)
            return 0;
    return 1;
}

/* A decimal (optionally negative) integer; *ok = 0 when s is not one. */
static inline long parse_long(const char *s, int *ok)
{
    long sign = 1, v = 0;
    *ok = 0;
    if (*s == '-') {
        sign = -1;
        s++;
    }
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
    }
    *ok = 1;
    return sign * v;
}

/* Write v in decimal at p; returns the number of characters. */
static inline size_t fmt_ulong(char *p, unsigned long v)
{
    char t[24];
    size_t n = 0, i = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        p[i++] = t[--n];
    return i;
}

static inline long write_all(int fd, const char *p, size_t n)
{
    while (n) {
        long w = sys3(NR_write, fd, p, n);
        if (w == -E_INTR || w == -E_AGAIN)
            continue;
        if (w < 0)
            return w;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static inline void say(const char *s)
{
    write_all(2, s, slen(s));
}

_Noreturn static inline void die(int code)
{
    for (;;)
        sys1(NR_exit_group, code);
}

/* sigset for rt_sigprocmask/signalfd: the kernel's is 64 bits. */
static inline u64 sigbit(int sig)
{
    return 1ULL << (sig - 1);
}
