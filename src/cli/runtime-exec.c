/* runtime-exec.c — `hako-runtime exec`: a new process in a running container, as runc's. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/runtime-cmds.h"
#include "oci/spec.h"
#include "runtime/lsm.h"
#include "runtime/seccomp.h"
#include "util/fs.h"
#include "util/json.h"

struct exec_flags {
    const char *process_file;
    const char *cwd;
    const char *user;
    const char *apparmor, *process_label; /* --apparmor, --process-label */
    char **env;  /* NULL-terminated, from -e */
    char **caps; /* from --cap */
    gid_t *gids; /* from --additional-gids */
    char **cgroups; /* from --cgroup */
    size_t n_gids;
    bool tty, no_new_privs;
    struct exec_opts o;
};

static int parse_flags(int argc, char **argv, struct exec_flags *f)
{
    static const struct option opts[] = {
        {"process", required_argument, NULL, 'p'}, {"tty", no_argument, NULL, 't'},
        {"console-socket", required_argument, NULL, 'c'}, {"detach", no_argument, NULL, 'd'},
        {"pid-file", required_argument, NULL, 'P'}, {"cwd", required_argument, NULL, 'w'},
        {"env", required_argument, NULL, 'e'},     {"user", required_argument, NULL, 'u'},
        {"cap", required_argument, NULL, 'C'},     {"no-new-privs", no_argument, NULL, 'N'},
        {"preserve-fds", required_argument, NULL, 'f'},
        {"additional-gids", required_argument, NULL, 'g'},
        {"apparmor", required_argument, NULL, 'a'}, {"process-label", required_argument, NULL, 'l'},
        {"ignore-paused", no_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'},
        {"cgroup", required_argument, NULL, 'G'},
        {NULL, 0, NULL, 0},
    };
    int c;
    /* "+": the program's own arguments after the id are not ours. */
    while ((c = getopt_long_only(argc, argv, "+p:tdw:e:u:g:", opts, NULL)) != -1) {
        switch (c) {
        case 'p': f->process_file = optarg; break;
        case 't': f->tty = true; break;
        case 'c': f->o.console_socket = optarg; break;
        case 'd': f->o.detach = true; break;
        case 'P': f->o.pid_file = optarg; break;
        case 'w': f->cwd = optarg; break;
        case 'e': strv_append(&f->env, optarg); break;
        case 'u': f->user = optarg; break;
        case 'C': strv_append(&f->caps, optarg); break;
        case 'N': f->no_new_privs = true; break;
        case 'f': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 0 || n > 65536)
                return rt_usage_error("exec", "--preserve-fds: '%s' is not a count", optarg);
            f->o.preserve_fds = (int)n;
            break;
        }
        case 'g': {
            char *end;
            errno = 0;
            unsigned long g = strtoul(optarg, &end, 10);
            if (end == optarg || *end || errno || g > UINT32_MAX - 1 || optarg[0] == '-')
                return rt_usage_error("exec", "--additional-gids: '%s' is not a gid", optarg);
            f->gids = xrealloc(f->gids, (f->n_gids + 1) * sizeof(*f->gids));
            f->gids[f->n_gids++] = (gid_t)g;
            break;
        }
        case 'i': f->o.ignore_paused = true; break;
        case 'G': strv_append(&f->cgroups, optarg); break;
        case 'a': f->apparmor = optarg; break;
        case 'l': f->process_label = optarg; break;
        case 'h':
            puts("Usage: hako-runtime exec [--process FILE] [-t] [--console-socket S] [-d] "
                 "[--pid-file F] [--cwd D] [-e K=V] [-u UID[:GID]] [--cap CAP] "
                 "[--no-new-privs] [--preserve-fds N] [--additional-gids GID] "
                 "[--apparmor PROFILE] [--process-label LABEL] ID [COMMAND [ARG...]]");
            return -1;
        default:
            return rt_usage_error("exec", "unknown option (see --help)");
        }
    }
    if (optind >= argc)
        return rt_usage_error("exec", "a container id is required");
    if (!f->process_file && optind + 1 >= argc)
        return rt_usage_error("exec", "a command (or --process) is required");
    return 0;
}

static int load_process_file(const char *path, struct oci_process **ret, struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = strcmp(path, "-") == 0 ? read_file("/dev/stdin", 1 << 20, &text, &len, err)
                                   : read_file(path, 1 << 20, &text, &len, err);
    if (r < 0)
        return r;
    json_error_t jerr;
    _cleanup_json_ json_t *j = json_loadb(text, len, 0, &jerr);
    if (!j)
        return hk_error_set(err, -EINVAL, "%s:%d:%d: not valid JSON: %s", path, jerr.line,
                            jerr.column, jerr.text);
    struct parse_ctx ctx = {.file = path, .text = text};
    struct oci_process *p = NULL;
    r = spec_parse_process(&ctx, j, "", &p, err);
    if (r == 0 && (r = lsm_check_process(p, &ctx, "", err)) < 0)
        p = process_free(p);
    *ret = p;
    return r;
}

/* --apparmor / --process-label: refused where the LSM is off (never silently unconfined). */
static int apply_lsm_flags(struct oci_process *p, const struct exec_flags *f,
                           struct hk_error *err)
{
    if (f->apparmor && f->apparmor[0] && !lsm_apparmor_enabled())
        return hk_error_set(err, -EINVAL, "--apparmor: AppArmor is not enabled on this host");
    if (f->process_label && f->process_label[0] && !lsm_selinux_enabled())
        return hk_error_set(err, -EINVAL, "--process-label: SELinux is not enabled on this host");
    if (f->apparmor) {
        free(p->apparmor_profile);
        p->apparmor_profile = xstrdup(f->apparmor);
    }
    if (f->process_label) {
        free(p->selinux_label);
        p->selinux_label = xstrdup(f->process_label);
    }
    return 0;
}

static int apply_user(struct oci_process *p, const char *user, struct hk_error *err)
{
    char *end;
    unsigned long uid = strtoul(user, &end, 10);
    unsigned long gid = 0;
    if (end == user || (*end && *end != ':'))
        return hk_error_set(err, -EINVAL, "--user '%s': expected UID[:GID] numbers", user);
    if (*end == ':') {
        const char *g = end + 1;
        gid = strtoul(g, &end, 10);
        if (end == g || *end)
            return hk_error_set(err, -EINVAL, "--user '%s': expected UID[:GID] numbers", user);
    }
    p->user.uid = (uid_t)uid;
    p->user.gid = (gid_t)gid;
    return 0;
}

/* Start from the container's process (or --process) and apply the flags, as runc does. */
static int build_process(const char *id, char **args, struct exec_flags *f,
                         struct oci_process **ret, struct hk_error *err)
{
    struct oci_process *p = NULL;
    int r = f->process_file ? load_process_file(f->process_file, &p, err)
                            : container_process(&rt_opts, id, &p, err);
    if (r < 0)
        return r;
    if (!f->process_file) {
        strv_free(p->args);
        p->args = strv_copy(args);
        p->terminal = f->tty;
        p->has_console_size = false;
    }
    if (f->cwd) {
        free(p->cwd);
        p->cwd = xstrdup(f->cwd);
    }
    for (size_t i = 0; f->env && f->env[i]; i++)
        strv_append(&p->env, f->env[i]);
    if (f->user && (r = apply_user(p, f->user, err)) < 0)
        goto fail;
    if (f->n_gids) {
        struct oci_user *u = &p->user;
        u->additional_gids = xrealloc(u->additional_gids,
                                      (u->n_additional_gids + f->n_gids) * sizeof(gid_t));
        memcpy(u->additional_gids + u->n_additional_gids, f->gids, f->n_gids * sizeof(gid_t));
        u->n_additional_gids += f->n_gids;
    }
    if ((r = apply_lsm_flags(p, f, err)) < 0)
        goto fail;
    for (size_t i = 0; f->caps && f->caps[i]; i++) {
        int cap = oci_cap_from_name(f->caps[i]);
        if (cap < 0) {
            r = hk_error_set(err, -EINVAL, "--cap: unknown capability '%s'", f->caps[i]);
            goto fail;
        }
        /* Never inheritable (CVE-2022-29162). */
        uint64_t bit = UINT64_C(1) << cap;
        p->has_caps = true;
        p->caps.bounding |= bit;
        p->caps.effective |= bit;
        p->caps.permitted |= bit;
        p->caps.ambient |= bit;
    }
    if (f->no_new_privs)
        p->no_new_privileges = true;
    *ret = p;
    return 0;
fail:
    process_free(p);
    return r;
}

int rt_cmd_exec(int argc, char **argv)
{
    struct exec_flags f = {0};
    int r = parse_flags(argc, argv, &f);
    if (r)
        return r < 0 ? 0 : r;
    const char *id = argv[optind];
    struct hk_error err = {0};
    struct oci_process *p = NULL;
    r = build_process(id, argv + optind + 1, &f, &p, &err);
    if (r == 0 && container_process_can_ptrace(&rt_opts, id, p))
        cli_protect_binary(); /* may re-exec: everything above is read-only */
    struct exec_result res;
    f.o.cgroups = f.cgroups;
    if (r == 0)
        r = container_exec(&rt_opts, id, p, &f.o, &res, &err);
    process_free(p);
    strv_free(f.env);
    strv_free(f.caps);
    free(f.gids);
    strv_free(f.cgroups);
    if (r < 0) {
        hk_error_prefix(&err, r, "exec failed");
        rt_fail(&err);
        return 255; /* runc's status for an exec that did not run */
    }
    return f.o.detach ? 0 : res.exit_code;
}

/* `seccomp-default`: Docker's default profile as an OCI linux.seccomp object, to start a
 * custom profile from (and what `hako run` applies by default). */
int rt_cmd_seccomp_default(int argc, char **argv)
{
    int r = rt_no_args("seccomp-default", "Print Docker's default seccomp profile (OCI JSON)",
                       argc, argv);
    if (r)
        return r < 0 ? 0 : r;
    fputs(seccomp_default_profile_json(), stdout);
    return 0;
}
