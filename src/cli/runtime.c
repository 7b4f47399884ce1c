/* runtime.c — the `hako-runtime` front door: runc's command line. */
#include <stdio.h>

#include "cli/cli.h"

int runtime_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "hako-runtime: not implemented yet\n");
    return 1;
}
