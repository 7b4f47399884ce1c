/* hako-init — the `--init` process: PID 1 of a container that runs something else.
 *
 * A program that is not written to be PID 1 neither reaps the orphans the kernel re-parents
 * to it (they stay zombies) nor gets signals it has no handler for (PID 1 is protected from
 * those). hako-init starts the program as its child, forwards every signal it receives to
 * it, reaps every child, and exits with the program's status (128+N for signal N) — what tini
 * does as docker-init. Freestanding (sys.h): bind-mounted into the container read-only.
 *
 * argv: hako-init -- PROGRAM [ARG...] (PROGRAM found through $PATH as execvp does). */
#include "engine/tiny/sys.h"

static char path_buf[4096];

/* execvp: PROGRAM with a '/' as is, else each $PATH entry in turn. Returns on failure. */
static long exec_path(char **argv, char **envp)
{
    const char *name = argv[0];
    for (const char *c = name; *c; c++)
        if (*c == '/')
            return sys3(NR_execve, name, argv, envp);
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char **e = envp; *e; e++)
        if (sprefix(*e, "PATH="))
            path = *e + 5;
    long err = -E_NOENT;
    size_t nlen = slen(name);
    for (const char *p = path;;) {
        const char *end = p;
        while (*end && *end != ':')
            end++;
        size_t dlen = (size_t)(end - p);
        if (dlen + nlen + 2 < sizeof(path_buf)) {
            memcpy(path_buf, p, dlen);
            if (dlen == 0)
                path_buf[dlen++] = '.';
            path_buf[dlen] = '/';
            memcpy(path_buf + dlen + 1, name, nlen + 1);
            long r = sys3(NR_execve, path_buf, argv, envp);
            if (r == -E_ACCES)
                err = r;
            else if (r != -E_NOENT && r != -20 /* ENOTDIR */)
                return r;
        }
        if (!*end)
            return err;
        p = end + 1;
    }
}

_Noreturn static void child(char **argv, char **envp)
{
    /* Its own process group, in the terminal's foreground (so ^C reaches it), as tini. */
    sys2(NR_setpgid, 0, 0);
    int pgrp = (int)sys0(NR_getpid);
    sys3(NR_ioctl, 0, TIOCSPGRP_, &pgrp); /* fails harmlessly without a terminal */
    u64 none = 0;
    sys4(NR_rt_sigprocmask, SIG_SETMASK_, &none, 0, 8);
    long e = exec_path(argv, envp);
    say("hako-init: exec \"");
    say(argv[0]);
    say(e == -E_NOENT ? "\": executable file not found in $PATH\n" : "\": permission denied\n");
    die(e == -E_NOENT ? 127 : 126);
}

void tiny_main(long *sp);
__attribute__((used)) void tiny_main(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    int first = 1;
    if (argc > 1 && argv[1][0] == '-' && argv[1][1] == '-' && !argv[1][2])
        first = 2;
    if (first >= argc) {
        say("usage: hako-init [--] PROGRAM [ARG...]\n");
        die(125);
    }
    /* Every signal waits for us to forward it (SIGKILL and SIGSTOP cannot be blocked). */
    u64 all = ~0ULL;
    sys4(NR_rt_sigprocmask, SIG_SETMASK_, &all, 0, 8);
    long pid = sys2(NR_clone, SIG_CHLD, 0);
    if (pid == 0)
        child(argv + first, envp);
    if (pid < 0) {
        say("hako-init: fork failed\n");
        die(125);
    }
    for (;;) {
        struct timespec_ t = {1, 0};
        char info[128];
        long sig = sys4(NR_rt_sigtimedwait, &all, info, &t, 8);
        if (sig > 0 && sig != SIG_CHLD)
            sys2(NR_kill, pid, sig);
        /* Reap everything; our own child's end is our end. */
        for (;;) {
            int status = 0;
            long r = sys4(NR_wait4, -1, &status, WNOHANG_, 0);
            if (r <= 0)
                break;
            if (r == pid) {
                int code = (status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
                die(code);
            }
        }
    }
}
