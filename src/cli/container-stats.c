/* container-stats.c — `hako stats`, `hako top` (placeholder). */
#include "cli/container.h"

int cmd_stats(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 125;
}

int cmd_top(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 125;
}
