/* util.c — helpers shared by the command files: error printing. */
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/selfexe.h"

const char *cli_prog = "hako";

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool cli_op_failed;

int cli_op_error(void)
{
    cli_op_failed = true;
    return 125;
}

int cli_fail(const struct hk_error *err, int exit_code)
{
    cli_op_failed = true;
    cli_error("%s", hk_error_msg(err));
    return exit_code;
}

void cli_protect_binary(void)
{
    bool protected_;
    selfexe_ensure_sealed(cli_orig_argv, &protected_);
}

const char *cli_shortopts;

/* HAKO_LIST_OPTIONS=NAME: the parser of the command whose argv[0] is NAME ("hako" for the
 * global options, "ls" for "hako network ls") prints the options it accepts, one a line
 * ("-q", "--quiet"), and exits 0: tests/integration/test_help.py checks --help against the
 * very table getopt is given. */
static void list_options(char **argv, const char *shortopts, const struct option *longopts)
{
    const char *want = getenv("HAKO_LIST_OPTIONS");
    if (!want || !argv[0])
        return;
    const char *base = strrchr(argv[0], '/');
    if (strcmp(base ? base + 1 : argv[0], want) != 0)
        return;
    for (const char *s = shortopts; *s; s++)
        if (*s != '+' && *s != ':' && *s != '-')
            printf("-%c\n", *s);
    for (const struct option *o = longopts; o && o->name; o++)
        printf("--%s\n", o->name);
    exit(0);
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    list_options(argv, shortopts, longopts);
    cli_shortopts = shortopts;
    /* -h is --help, as docker's, where the command has no -h of its own (run's --hostname) */
    int at = optind ? optind : 1;
    if (at < argc && strcmp(argv[at], "-h") == 0 && !strchr(shortopts, 'h'))
        for (const struct option *o = longopts; o && o->name; o++)
            if (strcmp(o->name, "help") == 0 && !o->flag) {
                optind = at + 1;
                return o->val;
            }
    int before = optind ? optind : 1, li = -1;
    int c = getopt_long(argc, argv, shortopts, longopts, &li);
    if (c == -1 || li < 0 || before >= argc)
        return c;
    /* A long option is never grouped: argv[before] is the one just read ("--name[=value]"). */
    const char *tok = argv[before] + 2;
    size_t n = strcspn(tok, "=");
    if (strlen(longopts[li].name) == n && strncmp(tok, longopts[li].name, n) == 0)
        return c;
    optind = before + 1; /* so argv[optind - 1] names what was typed */
    optopt = 0;
    return '?';
}

int cli_subcommand(const char *group, const struct cli_command *subs, size_t n, int argc,
                   char **argv, const char *summary)
{
    if (argc >= 2)
        for (size_t i = 0; i < n; i++)
            if (strcmp(argv[1], subs[i].name) == 0) {
                optind = 0;
                return subs[i].run(argc - 1, argv + 1);
            }
    bool help = argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
    FILE *f = help ? stdout : stderr;
    if (!help)
        fprintf(stderr, "hako: unknown command \"%s\" for \"hako %s\"\n\n", argv[1], group);
    fprintf(f, "Usage: hako %s COMMAND\n\n%s\n\nCommands:\n", group, summary);
    for (size_t i = 0; i < n; i++)
        if (subs[i].summary)
            fprintf(f, "  %-9s %s\n", subs[i].name, subs[i].summary);
    return help ? 0 : 125;
}

bool cli_confirm(const char *warning)
{
    fprintf(stderr, "WARNING! This will remove %s.\nAre you sure you want to continue? [y/N] ",
            warning);
    char line[16] = "";
    return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}
