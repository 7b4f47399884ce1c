/* main.c — one binary, two front doors: `hako` (the engine) and `hako-runtime` (the
 * runc-compatible OCI runtime), chosen by the name it was started under. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

char **cli_orig_argv;

int main(int argc, char **argv)
{
    cli_orig_argv = argv;
    const char *name = argc > 0 ? argv[0] : "hako";
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    if (strcmp(base, "hako-runtime") == 0)
        return runtime_main(argc, argv);
    /* `hako runtime ARGS` reaches the same runtime front door. */
    if (argc > 1 && strcmp(argv[1], "runtime") == 0)
        return runtime_main(argc - 1, argv + 1);
    return engine_main(argc, argv);
}
