/* image.c — image commands: pull, images, image, rmi, tag, load, save, import, login, logout. */
#include "cli/cli.h"

static int not_yet(const char *name)
{
    cli_error("%s: not implemented yet", name);
    return 125;
}

int cmd_pull(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_images(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_image(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_rmi(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_tag(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_load(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_save(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_import(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_login(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
int cmd_logout(int argc, char **argv) { (void)argc; return not_yet(argv[0]); }
