#include "util/proc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fs.h"

int proc_run_capture(char *const argv[], size_t max, char **ret_out, struct hk_error *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return hk_error_errno(err, -errno, "pipe");
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return hk_error_errno(err, -errno, "fork");
    }
    if (pid == 0) {
        if (dup2(p[1], STDOUT_FILENO) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
    _cleanup_free_ char *out = NULL;
    int r = read_file(path, max, &out, NULL, err);
    close(p[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (r < 0)
        return hk_error_prefix(err, r, "'%s'", argv[0]);
    if (WIFSIGNALED(status))
        return hk_error_set(err, -EIO, "'%s' was killed by signal %d", argv[0],
                            WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        return hk_error_set(err, -EIO, "'%s' exited with status %d", argv[0],
                            WEXITSTATUS(status));
    *ret_out = TAKE_PTR(out);
    return 0;
}
