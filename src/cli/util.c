/* util.c — helpers shared by the command files: error printing. */
#include <stdarg.h>
#include <stdio.h>

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

int cli_fail(const struct hk_error *err, int exit_code)
{
    cli_error("%s", hk_error_msg(err));
    return exit_code;
}

void cli_protect_binary(void)
{
    bool protected_;
    selfexe_ensure_sealed(cli_orig_argv, &protected_);
}
