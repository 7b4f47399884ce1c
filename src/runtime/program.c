/* program.c — the last steps before a container process becomes its program, shared by the
 * init (create) and exec: finding the executable, HOME, the working directory, rlimits, the
 * seccomp filter, no_new_privs, user and capabilities. */
#include "runtime/program.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/creds.h"
#include "runtime/lsm.h"
#include "runtime/sched.h"
#include "runtime/seccomp.h"
#include "runtime/sync.h"
#include "util/fs.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(char *const *env, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
            return env[i] + n + 1;
    return NULL;
}

/* Like execvp's search, but in the container's PATH, so errors can be reported before start
 * (runc: `exec: "x": executable file not found in $PATH`). */
int program_find(const char *name, char *const *env, char **ret, struct hk_error *err)
{
    struct stat st;
    if (strchr(name, '/')) {
        if (stat(name, &st) < 0)
            return hk_error_errno(err, -errno, "exec: \"%s\"", name);
        if (!S_ISREG(st.st_mode) || access(name, X_OK) < 0)
            return hk_error_set(err, -EACCES, "exec: \"%s\": permission denied", name);
        *ret = xstrdup(name);
        return 0;
    }
    const char *path = env_get(env, "PATH");
    _cleanup_free_ char *copy = xstrdup(path ? path : DEFAULT_PATH);
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        _cleanup_free_ char *cand = xasprintf("%s/%s", dir[0] ? dir : ".", name);
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
            *ret = TAKE_PTR(cand);
            return 0;
        }
    }
    return hk_error_set(err, -ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

/* HOME from the container's /etc/passwd when the config does not set it (as runc). */
char **program_env(const struct oci_process *p)
{
    if (env_get(p->env, "HOME"))
        return p->env;
    const char *home = "/";
    _cleanup_free_ char *text = NULL;
    char line_home[4096] = "";
    if (read_file("/etc/passwd", 1 << 20, &text, NULL, NULL) == 0) {
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *f[7] = {0};
            char *s = line;
            for (int i = 0; i < 7 && s; i++) {
                f[i] = s;
                s = strchr(s, ':');
                if (s)
                    *s++ = '\0';
            }
            if (f[2] && f[5] && (uid_t)strtoul(f[2], NULL, 10) == p->user.uid && f[5][0]) {
                snprintf(line_home, sizeof(line_home), "%s", f[5]);
                home = line_home;
                break;
            }
        }
    }
    size_t n = strv_length(p->env);
    char **env = xcalloc(n + 2, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        env[i] = p->env[i];
    env[n] = xasprintf("HOME=%s", home);
    return env;
}

/* cwd after pivot_root: it must be inside the container (CVE-2024-21626: a cwd reached
 * through a leaked fd is outside the root, and getcwd says "(unreachable)"). */
int program_enter_cwd(const char *cwd, struct hk_error *err)
{
    if (chdir(cwd) < 0)
        return hk_error_errno(err, -errno, "process.cwd '%s'", cwd);
    char buf[4096];
    if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
        return hk_error_set(err, -EPERM, "process.cwd '%s' is outside the container", cwd);
    return 0;
}

int program_setup(const struct oci_process *p, struct seccomp_program *seccomp, int sync_fd,
                  bool *ret_seccomp_done, struct hk_error *err)
{
    int r = creds_set_rlimits(p, err);
    if (r == 0)
        r = creds_set_oom_score_adj(p, err);
    if (r == 0)
        r = sched_apply_process(p, err);
    if (r == 0)
        r = program_enter_cwd(p->cwd, err);
    /* As runc: after the mounts, while /proc is the container's and before no_new_privs and
     * the credentials change; it takes effect at the execve of hako-dmz. */
    if (r == 0)
        r = lsm_apply(p, err);
    if (r < 0)
        return r;
    umask(p->user.has_umask ? p->user.umask : 022);
    *ret_seccomp_done = false;
    if (seccomp && !p->no_new_privileges) {
        r = program_install_seccomp(seccomp, sync_fd, err);
        if (r < 0)
            return r;
        *ret_seccomp_done = true;
    }
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return hk_error_errno(err, -errno, "process.noNewPrivileges");
    /* In a user namespace whose setgroups file says "deny", groups cannot be set. */
    char buf[16] = "";
    bool setgroups_ok = read_str_at(AT_FDCWD, "/proc/self/setgroups", buf, sizeof(buf)) < 0 ||
                        strcmp(buf, "deny") != 0;
    return creds_apply(p, setgroups_ok, err);
}

int program_install_seccomp(struct seccomp_program *seccomp, int sync_fd, struct hk_error *err)
{
    int listener = -1;
    int r = seccomp_install(seccomp, &listener, err);
    if (r < 0 || listener < 0)
        return r;
    struct sync_msg m;
    r = sync_send(sync_fd, SYNC_SECCOMP_FD, 0, NULL, listener);
    close(listener);
    if (r < 0)
        return hk_error_errno(err, r, "send the seccomp listener to the runtime");
    return sync_expect(sync_fd, SYNC_SECCOMP_DONE, &m, NULL, err);
}
