/* container-exec.c — `hako exec` (placeholder until the exec commit). */
#include "cli/container.h"

int cmd_exec(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 125;
}
