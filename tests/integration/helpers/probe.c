/* probe — run inside a container by the security tests: try one privileged operation and
 * print "ok" or the errno name, so the test can assert what the kernel allowed. Static, so it
 * runs in any rootfs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int report(int r)
{
    if (r == 0) {
        puts("ok");
        return 0;
    }
    puts(strerrorname_np(errno) ? strerrorname_np(errno) : "error");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *what = argv[1];
    if (strcmp(what, "init_module") == 0)
        return report((int)syscall(SYS_init_module, NULL, 0, ""));
    if (strcmp(what, "finit_module") == 0)
        return report((int)syscall(SYS_finit_module, 0, "", 0));
    if (strcmp(what, "mount") == 0)
        return report(mount("none", "/tmp", "tmpfs", 0, NULL));
    if (strcmp(what, "unshare-user-mount") == 0) {
        /* a new user namespace, then a mount over the container's own /etc from it */
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
            return report(-1);
        return report(mount("none", "/etc", "tmpfs", 0, NULL));
    }
    if (strcmp(what, "syscall") == 0 && argc > 2) /* a raw syscall number, no arguments */
        return report(syscall(strtol(argv[2], NULL, 0), 0, 0, 0, 0, 0, 0) < 0 ? -1 : 0);
    if (strcmp(what, "unshare-user") == 0)
        return report(unshare(CLONE_NEWUSER));
    if (strcmp(what, "chroot-escape") == 0 && argc > 2) {
        /* the classic: chroot into a subdirectory with cwd left outside it, climb, chroot
         * there; then open argv[2] (a host path): "ok" means the host's root was reached */
        mkdir("/.escape", 0700);
        if (chroot("/.escape") < 0)
            return report(-1);
        for (int i = 0; i < 64; i++)
            if (chdir("..") < 0)
                return report(-1);
        if (chroot(".") < 0)
            return report(-1);
        return report(open(argv[2], O_RDONLY) < 0 ? -1 : 0);
    }
    if (strcmp(what, "write") == 0 && argc > 2) {
        int fd = open(argv[2], O_WRONLY);
        return report(fd < 0 ? -1 : 0);
    }
    return 2;
}
