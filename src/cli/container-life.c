/* container-life.c — stop, restart, kill, rm, wait, pause, unpause, rename; and the helpers
 * every container command uses. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "engine/lifecycle.h"
#include "engine/options.h"
#include "util/fs.h"

int cli_engine_open(struct engine **ret)
{
    struct hk_error err = {0};
    if (engine_open(engine_opts.root, engine_opts.runroot, ret, &err) < 0) {
        if ((err.code == -EACCES || err.code == -EPERM) && geteuid() != 0) {
            cli_error("hako needs root (or rootless mode, not yet available): %s",
                      hk_error_msg(&err));
            return cli_op_error();
        }
        return cli_fail(&err, 125);
    }
    if (engine_opts.cgroup_parent &&
        engine_set_cgroup_parent(*ret, engine_opts.cgroup_parent, &err) < 0) {
        *ret = engine_free(*ret);
        return cli_fail(&err, 125);
    }
    return 0;
}

int cli_resolve(const struct engine *e, const char *ref, char **ret_id)
{
    struct hk_error err = {0};
    if (record_resolve(e, ref, ret_id, &err) < 0) {
        fprintf(stderr, "Error: %s\n", hk_error_msg(&err));
        return cli_op_error();
    }
    return 0;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "hako: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nSee 'hako %s --help'.\n", cmd);
    return 125;
}

int cli_unknown_flag(const char *cmd, int argc, char **argv)
{
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
    const char *known = optopt > 0 && optopt < 128 && optopt != ':' && optopt != '+' &&
                                cli_shortopts
                            ? strchr(cli_shortopts, optopt)
                            : NULL;
    if (known && known[1] == ':' && arg[0] == '-' && arg[1] != '-')
        return cli_usage_error(cmd, "flag needs an argument: '%c' in %s", optopt, arg);
    if (optopt > 0 && optopt < 128 && arg[0] == '-' && arg[1] != '-')
        return cli_usage_error(cmd, "unknown shorthand flag: '%c' in %s", optopt, arg);
    if (optopt)
        return cli_usage_error(cmd, "flag needs an argument: %s", arg);
    return cli_usage_error(cmd, "unknown flag: %s", arg);
}

/* Parse "-t N"/"--time N" style integer flags. */
static int parse_int(const char *cmd, const char *flag, const char *s, int *ret)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end)
        return cli_usage_error(cmd, "invalid argument \"%s\" for \"%s\" flag: not an integer", s,
                               flag);
    *ret = (int)v;
    return 0;
}

typedef int (*each_fn)(struct engine *e, const char *id, const char *ref, void *ud);

/* fn on several containers at once (stop, kill, rm, restart, as docker's CLI does them): one
 * child each, their names printed in the order given once all are done. */
static int each_parallel(struct engine *e, char **ids, char **refs, size_t n, each_fn fn,
                         void *ud, bool print)
{
    pid_t *kids = xcalloc(n, sizeof(pid_t));
    fflush(stdout);
    fflush(stderr);
    for (size_t i = 0; i < n; i++) {
        if (!ids[i])
            continue;
        kids[i] = fork();
        if (kids[i] == 0) {
            int r = fn(e, ids[i], refs[i], ud);
            fflush(stderr);
            _exit(r == 0 ? 0 : r == 125 && cli_op_failed ? 1 : r);
        }
        if (kids[i] < 0) { /* no child: do it here */
            int r = fn(e, ids[i], refs[i], ud);
            kids[i] = r ? -r - 1 : -1;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int code = 125;
        if (kids[i] > 0) {
            int st = 0;
            while (waitpid(kids[i], &st, 0) < 0 && errno == EINTR)
                ;
            code = WIFEXITED(st) ? WEXITSTATUS(st) : 125;
        } else if (kids[i] < 0) {
            code = -kids[i] - 1;
        }
        if (code == 1)
            code = cli_op_error();
        if (code)
            rc = code;
        else if (print)
            printf("%s\n", refs[i]);
    }
    free(kids);
    return rc;
}

/* Run fn for each container named in argv[optind..] (at once when parallel); print the
 * reference on success, as docker does; an error for one goes on with the rest and makes the
 * exit status 125 (docker's 1 for a failed operation). */
static int for_each_ex(int argc, char **argv, const char *cmd, each_fn fn, void *ud, bool print,
                       bool parallel)
{
    if (optind >= argc)
        return cli_usage_error(cmd, "\"hako %s\" requires at least 1 argument.", cmd);
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    if (rc)
        return rc;
    size_t n = (size_t)(argc - optind);
    char **ids = xcalloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        if (cli_resolve(e, argv[optind + (int)i], &ids[i]))
            rc = 125;
    if (parallel && n > 1) {
        int r = each_parallel(e, ids, argv + optind, n, fn, ud, print);
        if (r)
            rc = r;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (!ids[i])
                continue;
            int r = fn(e, ids[i], argv[optind + (int)i], ud);
            if (r)
                rc = r;
            else if (print)
                printf("%s\n", argv[optind + (int)i]);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    engine_free(e);
    return rc;
}

static int for_each(int argc, char **argv, const char *cmd, each_fn fn, void *ud, bool print)
{
    return for_each_ex(argc, argv, cmd, fn, ud, print, false);
}

static int fail(const struct hk_error *err)
{
    fprintf(stderr, "Error response from daemon: %s\n", hk_error_msg(err));
    return cli_op_error();
}

static int do_stop(struct engine *e, const char *id, const char *ref, void *ud)
{
    (void)ref;
    struct hk_error err = {0};
    return engine_stop(e, id, *(int *)ud, &err) < 0 ? fail(&err) : 0;
}

static int do_restart(struct engine *e, const char *id, const char *ref, void *ud)
{
    int rc = do_stop(e, id, ref, ud);
    struct hk_error err = {0};
    if (rc == 0 && engine_start(e, NULL, id, NULL, &err) < 0)
        return fail(&err);
    return rc;
}

static int stop_like(int argc, char **argv, const char *cmd, each_fn fn)
{
    static const struct option opts[] = {
        {"time", required_argument, NULL, 't'}, {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    int timeout = -1, c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+t:", opts)) != -1) {
        if (c == 't') {
            int r = parse_int(cmd, "-t, --time", optarg, &timeout);
            if (r)
                return r;
        } else if (c == 'h') {
            printf("Usage: hako %s [OPTIONS] CONTAINER [CONTAINER...]\n\n%s one or more "
                   "containers (at once)\n\nOptions:\n"
                   "  -t, --time SECONDS   Seconds to wait before killing the container "
                   "(default: its\n"
                   "                       --stop-timeout, else 10); also --timeout SECONDS\n",
                   cmd, strcmp(cmd, "stop") == 0 ? "Stop" : "Restart");
            return 0;
        } else {
            return cli_unknown_flag(cmd, argc, argv);
        }
    }
    return for_each_ex(argc, argv, cmd, fn, &timeout, true, true);
}

int cmd_stop(int argc, char **argv)
{
    return stop_like(argc, argv, "stop", do_stop);
}

int cmd_restart(int argc, char **argv)
{
    return stop_like(argc, argv, "restart", do_restart);
}

static int do_kill(struct engine *e, const char *id, const char *ref, void *ud)
{
    (void)ref;
    struct hk_error err = {0};
    return engine_kill(e, id, *(int *)ud, &err) < 0 ? fail(&err) : 0;
}

int cmd_kill(int argc, char **argv)
{
    static const struct option opts[] = {
        {"signal", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int sig = 9, c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+s:", opts)) != -1) {
        struct hk_error err = {0};
        if (c == 's') {
            if (opt_parse_signal(optarg, &sig, &err) < 0)
                return cli_usage_error("kill", "%s", hk_error_msg(&err));
        } else if (c == 'h') {
            printf("Usage: hako kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                   "Kill one or more running containers (at once)\n\nOptions:\n"
                   "  -s, --signal SIGNAL  Signal to send to the container (default KILL)\n");
            return 0;
        } else {
            return cli_unknown_flag("kill", argc, argv);
        }
    }
    return for_each_ex(argc, argv, "kill", do_kill, &sig, true, true);
}

static int do_rm(struct engine *e, const char *id, const char *ref, void *ud)
{
    (void)ref;
    struct hk_error err = {0};
    const bool *fv = ud; /* force, volumes */
    return engine_remove_volumes(e, id, fv[0], fv[1], &err) < 0 ? fail(&err) : 0;
}

int cmd_rm(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"volumes", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},  {NULL, 0, NULL, 0},
    };
    bool fv[2] = {false, false}; /* force, volumes */
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+fv", opts)) != -1) {
        if (c == 'f')
            fv[0] = true;
        else if (c == 'v')
            fv[1] = true;
        else if (c == 'h') {
            printf("Usage: hako rm [-f] [-v] CONTAINER [CONTAINER...]\n\n"
                   "  -f, --force     Kill a running container first\n"
                   "  -v, --volumes   Remove its anonymous volumes too\n");
            return 0;
        } else
            return cli_unknown_flag("rm", argc, argv);
    }
    return for_each_ex(argc, argv, "rm", do_rm, fv, true, true);
}

static int do_wait(struct engine *e, const char *id, const char *ref, void *ud)
{
    (void)ref;
    (void)ud;
    int code = 0;
    struct hk_error err = {0};
    if (engine_wait(e, id, &code, &err) < 0)
        return fail(&err);
    printf("%d\n", code);
    fflush(stdout);
    return 0;
}

static int no_flags(int argc, char **argv, const char *cmd, const char *usage)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+", opts)) != -1) {
        if (c == 'h') {
            printf("Usage: hako %s %s\n\n%s\n", cmd, usage,
                   strcmp(cmd, "wait") == 0    ? "Block until one or more containers stop, "
                                                 "then print their exit codes"
                   : strcmp(cmd, "pause") == 0 ? "Pause all processes within one or more "
                                                 "containers"
                                               : "Unpause all processes within one or more "
                                                 "containers");
            return -1;
        }
        return cli_unknown_flag(cmd, argc, argv);
    }
    return 0;
}

int cmd_wait(int argc, char **argv)
{
    int r = no_flags(argc, argv, "wait", "CONTAINER [CONTAINER...]");
    return r ? (r < 0 ? 0 : r) : for_each(argc, argv, "wait", do_wait, NULL, false);
}

static int do_pause(struct engine *e, const char *id, const char *ref, void *ud)
{
    (void)ref;
    struct hk_error err = {0};
    return engine_pause(e, id, *(bool *)ud, &err) < 0 ? fail(&err) : 0;
}

int cmd_pause(int argc, char **argv)
{
    bool on = true;
    int r = no_flags(argc, argv, "pause", "CONTAINER [CONTAINER...]");
    return r ? (r < 0 ? 0 : r) : for_each(argc, argv, "pause", do_pause, &on, true);
}

int cmd_unpause(int argc, char **argv)
{
    bool on = false;
    int r = no_flags(argc, argv, "unpause", "CONTAINER [CONTAINER...]");
    return r ? (r < 0 ? 0 : r) : for_each(argc, argv, "unpause", do_pause, &on, true);
}

int cmd_rename(int argc, char **argv)
{
    int r = no_flags(argc, argv, "rename", "CONTAINER NEW_NAME");
    if (r)
        return r < 0 ? 0 : r;
    if (argc - optind != 2)
        return cli_usage_error("rename", "\"hako rename\" requires exactly 2 arguments.");
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    _cleanup_free_ char *id = NULL;
    if (rc == 0)
        rc = cli_resolve(e, argv[optind], &id);
    struct hk_error err = {0};
    if (rc == 0 && engine_rename(e, id, argv[optind + 1], &err) < 0)
        rc = fail(&err);
    engine_free(e);
    return rc;
}
