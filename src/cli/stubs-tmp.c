#include "cli/cli.h"
#include "cli/image-common.h"
static int not_yet(const char *name)
{
    cli_error("%s: not implemented yet", name);
    return 125;
}

int cmd_load(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_save(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_import(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_login(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_logout(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
