/* util.c — helpers shared by the command files: error printing. */
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
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

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
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
