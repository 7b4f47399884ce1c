/* login.c — `hako login` checks credentials against a registry and stores them (Docker's
 * config.json "auths" shape, see image/auth.h); `hako logout` removes them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/auth.h"
#include "image/reference.h"
#include "image/registry.h"
#include "util/fs.h"

/* "https://host:5000/" → "host:5000"; Docker Hub's names → "docker.io". */
static char *registry_name(const char *arg)
{
    const char *s = arg;
    if (strncmp(s, "https://", 8) == 0)
        s += 8;
    else if (strncmp(s, "http://", 7) == 0)
        s += 7;
    char *d = strndup(s, strcspn(s, "/"));
    if (strcmp(d, "index.docker.io") == 0 || strcmp(d, "registry-1.docker.io") == 0) {
        free(d);
        d = xstrdup(REF_DEFAULT_DOMAIN);
    }
    return d;
}

/* One line from stdin without its newline; echo off when it is a terminal. */
static char *read_line(const char *prompt, bool secret)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
    }
    char buf[4096];
    char *got = fgets(buf, sizeof(buf), stdin);
    if (tty && secret) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!got)
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    return xstrdup(buf);
}

struct login_args {
    const char *user, *pass, *authfile;
    bool stdin_pass, tls_verify;
};

static int parse(int argc, char **argv, struct login_args *a)
{
    static const struct option opts[] = {
        {"username", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'},
        {"password-stdin", no_argument, NULL, 's'},
        {"authfile", required_argument, NULL, 'a'},
        {"tls-verify", optional_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    a->tls_verify = true;
    while ((c = cli_getopt(argc, argv, "u:p:h", opts)) != -1) {
        if (c == 'u')
            a->user = optarg;
        else if (c == 'p')
            a->pass = optarg;
        else if (c == 's')
            a->stdin_pass = true;
        else if (c == 'a')
            a->authfile = optarg;
        else if (c == 't' && (!optarg || !strcmp(optarg, "true") || !strcmp(optarg, "false")))
            a->tls_verify = !optarg || strcmp(optarg, "true") == 0;
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "Usage: hako login [-u|--username USER] [-p|--password PASS | "
                    "--password-stdin] [--authfile F] "
                    "[--tls-verify=false] REGISTRY\n");
            return c == 'h' ? -1 : 125;
        }
    }
    if (argc - optind != 1) {
        cli_error("login: requires exactly 1 argument: REGISTRY");
        return 125;
    }
    return 0;
}

int cmd_login(int argc, char **argv)
{
    struct login_args a = {0};
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    _cleanup_free_ char *domain = registry_name(argv[optind]);
    _cleanup_free_ char *user = a.user ? xstrdup(a.user) : read_line("Username: ", false);
    _cleanup_free_ char *pass =
        a.pass ? xstrdup(a.pass) : read_line(a.stdin_pass ? "" : "Password: ", true);
    if (!user || !*user || !pass) {
        cli_error("login: a username and a password are needed");
        return 125;
    }
    struct hk_error err = {0};
    struct registry_opts o = {.tls_verify = a.tls_verify, .user = user, .pass = pass};
    struct registry *r = NULL;
    if (registry_open(domain, NULL, &o, &r, &err) < 0)
        return cli_fail(&err, 125);
    registry_free(r);
    if (auth_set(a.authfile, domain, user, pass, &err) < 0)
        return cli_fail(&err, 125);
    printf("Login Succeeded\n");
    return 0;
}

int cmd_logout(int argc, char **argv)
{
    static const struct option opts[] = {{"authfile", required_argument, NULL, 'a'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *authfile = NULL;
    int c;
    while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
        if (c == 'a') {
            authfile = optarg;
            continue;
        }
        fprintf(c == 'h' ? stdout : stderr, "Usage: hako logout [--authfile F] REGISTRY\n");
        return c == 'h' ? 0 : 125;
    }
    if (argc - optind != 1) {
        cli_error("logout: requires exactly 1 argument: REGISTRY");
        return 125;
    }
    _cleanup_free_ char *domain = registry_name(argv[optind]);
    struct hk_error err = {0};
    if (auth_delete(authfile, domain, &err) < 0)
        return cli_fail(&err, 125);
    printf("Removed login credentials for %s\n", domain);
    return 0;
}
