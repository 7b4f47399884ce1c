/* container-exec.c — `hako exec [-d] [-i] [-t] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD...`:
 * a new process in a running container, through the runtime's exec (the process joins the
 * init's namespaces and cgroup and gets its capabilities, seccomp profile and rlimits). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "engine/options.h"
#include "engine/user.h"
#include "oci/spec.h"
#include "runtime/container.h"
#include "util/fs.h"
#include "util/json.h"

struct exec_flags {
    bool detach, interactive, tty, privileged;
    const char *user, *workdir;
    const char *winsize_file; /* hidden, the service's: stdin is its socket, sizes come here */
    char **env;
    size_t n_env;
    json_t *env_file; /* --env-file lines (docker puts them before the -e values) */
};

static int parse_exec(int argc, char **argv, struct exec_flags *f)
{
    static const struct option opts[] = {
        {"detach", no_argument, NULL, 'd'},      {"interactive", no_argument, NULL, 'i'},
        {"tty", no_argument, NULL, 't'},         {"env", required_argument, NULL, 'e'},
        {"workdir", required_argument, NULL, 'w'}, {"user", required_argument, NULL, 'u'},
        {"privileged", no_argument, NULL, 'P'},  {"help", no_argument, NULL, 'h'},
        {"winsize-file", required_argument, NULL, 'W'},
        {"env-file", required_argument, NULL, 'E'}, {NULL, 0, NULL, 0},
    };
    struct hk_error err = {0};
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+dite:w:u:", opts)) != -1) {
        switch (c) {
        case 'd': f->detach = true; break;
        case 'i': f->interactive = true; break;
        case 't': f->tty = true; break;
        case 'e': f->env = xrealloc(f->env, (f->n_env + 1) * sizeof(char *));
                  f->env[f->n_env++] = optarg; break;
        case 'w': f->workdir = optarg; break;
        case 'u': f->user = optarg; break;
        case 'P': f->privileged = true; break;
        case 'W': f->winsize_file = optarg; break;
        case 'E':
            if (!f->env_file)
                f->env_file = json_array();
            if (opt_read_env_file(optarg, f->env_file, &err) < 0)
                return cli_usage_error("exec", "%s", hk_error_msg(&err));
            break;
        case 'h':
            printf("Usage: hako exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
                   "Execute a command in a running container\n\n"
                   "Options:\n"
                   "  -d, --detach            Detached mode: run command in the background\n"
                   "  -e, --env K=V           Set environment variables\n"
                   "      --env-file FILE     Read in a file of environment variables\n"
                   "  -i, --interactive       Keep STDIN open even if not attached\n"
                   "      --privileged        Give extended privileges to the command\n"
                   "  -t, --tty               Allocate a pseudo-TTY\n"
                   "  -u, --user USER[:GROUP] Username or UID\n"
                   "  -w, --workdir DIR       Working directory inside the container\n");
            return -1;
        default:
            return cli_unknown_flag("exec", argc, argv);
        }
    }
    if (argc - optind < 2)
        return cli_usage_error("exec", "\"hako exec\" requires at least 2 arguments.");
    return 0;
}

static bool env_has(char **env, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
            return true;
    return false;
}

/* The container's process with exec's command and flags applied. */
static int build_process(const struct engine *e, const char *id, char **args,
                         const struct exec_flags *f, struct oci_process **ret,
                         struct hk_error *err)
{
    struct oci_process *p = NULL;
    int r = container_process(&e->rt, id, &p, err);
    if (r < 0)
        return r;
    strv_free(p->args);
    p->args = strv_copy(args);
    p->terminal = f->tty;
    p->has_console_size = false;
    size_t k;
    json_t *line;
    json_array_foreach(f->env_file, k, line)
        strv_append(&p->env, json_string_value(line));
    for (size_t i = 0; i < f->n_env; i++)
        strv_append(&p->env, f->env[i]);
    if (f->tty && !env_has(p->env, "TERM"))
        strv_append(&p->env, "TERM=xterm");
    if (f->workdir) {
        free(p->cwd);
        p->cwd = xstrdup(f->workdir);
    }
    if (f->user) {
        _cleanup_free_ char *dir = engine_dir(e, id);
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct user_ids u = {0};
        r = rootfd < 0 ? hk_error_errno(err, -errno, "open '%s'", rootfs)
                       : user_resolve(rootfd, f->user, &u, err);
        if (r < 0) {
            process_free(p);
            return r;
        }
        p->user.uid = u.uid;
        p->user.gid = u.gid;
        free(p->user.additional_gids);
        p->user.additional_gids = u.gids;
        p->user.n_additional_gids = u.n_gids;
    }
    *ret = p;
    return 0;
}

static int run_exec(const struct engine *e, const char *id, char **args,
                    const struct exec_flags *f)
{
    struct record *rec = NULL;
    struct hk_error err = {0};
    if (record_open(e, id, true, &rec, &err) < 0)
        return cli_fail(&err, 125);
    record_refresh(e, rec);
    bool running = strcmp(record_status(rec->j), "running") == 0;
    bool paused = strcmp(record_status(rec->j), "paused") == 0;
    rec = record_free(rec);
    if (paused) {
        fprintf(stderr, "Error response from daemon: Container %s is paused, unpause the "
                        "container before exec\n", id);
        return cli_op_error();
    }
    if (!running) {
        fprintf(stderr, "Error response from daemon: container %s is not running\n", id);
        return cli_op_error();
    }
    if (f->winsize_file) /* read by the runtime's terminal relay */
        setenv("HAKO_WINSIZE_FILE", f->winsize_file, 1);
    if (f->tty && f->interactive && !f->winsize_file && !isatty(STDIN_FILENO)) {
        cli_error("the input device is not a TTY");
        return cli_op_error();
    }
    struct oci_process *p = NULL;
    if (build_process(e, id, args, f, &p, &err) < 0)
        return cli_fail(&err, 125);
    if (container_process_can_ptrace(&e->rt, id, p))
        cli_protect_binary(); /* may re-exec: nothing was changed yet */
    if (!f->interactive) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            close(null);
        }
    }
    struct exec_opts o = {.detach = f->detach, .keep_console = f->detach && f->tty};
    struct exec_result res;
    int r = container_exec(&e->rt, id, p, &o, &res, &err);
    process_free(p);
    if (r < 0)
        return cli_fail(&err, err.code == -ENOENT ? 127 : err.code == -EACCES ? 126 : 125);
    if (res.console_master >= 0)
        close(res.console_master);
    return f->detach ? 0 : res.exit_code;
}

int cmd_exec(int argc, char **argv)
{
    struct exec_flags f = {0};
    int rc = parse_exec(argc, argv, &f);
    if (rc) {
        free(f.env);
        json_decref(f.env_file);
        return rc < 0 ? 0 : rc;
    }
    struct engine *e = NULL;
    _cleanup_free_ char *id = NULL;
    rc = cli_engine_open(&e);
    if (rc == 0)
        rc = cli_resolve(e, argv[optind], &id);
    if (rc == 0)
        rc = run_exec(e, id, argv + optind + 1, &f);
    engine_free(e);
    free(f.env);
    json_decref(f.env_file);
    return rc;
}
