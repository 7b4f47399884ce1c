/* image-mount.c — `hako image mount [--driver D] IMAGE DIR` makes DIR/rootfs the image's root
 * filesystem (what the engine does for a container) and prints its path;
 * `hako image unmount DIR` undoes it. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/image-common.h"
#include "image/image.h"

int cmd_image_mount(int argc, char **argv)
{
    static const struct option opts[] = {{"driver", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    enum rootfs_driver driver = ROOTFS_AUTO;
    int c;
    while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
        if (c == 'd' && strcmp(optarg, "overlay") == 0)
            driver = ROOTFS_OVERLAY;
        else if (c == 'd' && strcmp(optarg, "copy") == 0)
            driver = ROOTFS_COPY;
        else if (c == 'd' && strcmp(optarg, "auto") == 0)
            driver = ROOTFS_AUTO;
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "Usage: hako image mount [--driver auto|overlay|copy] IMAGE DIR\n");
            return c == 'h' ? 0 : 125;
        }
    }
    if (argc - optind != 2) {
        cli_error("image mount: requires exactly 2 arguments: IMAGE DIR");
        return 125;
    }
    struct store *s = NULL;
    int rc = cli_store_open(&s);
    if (rc)
        return rc;
    struct hk_error err = {0};
    struct image *img = NULL;
    char *rootfs = NULL;
    if (image_lookup(s, argv[optind], &img, &err) < 0 ||
        image_rootfs_mount(s, img, argv[optind + 1], driver, false, &rootfs, &err) < 0)
        rc = cli_fail(&err, 125);
    else
        printf("%s\n", rootfs);
    free(rootfs);
    image_free(img);
    store_free(s);
    return rc;
}

int cmd_image_unmount(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        bool help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        fprintf(help ? stdout : stderr, "Usage: hako image unmount DIR\n\n"
                                        "Unmount a container directory's root filesystem\n");
        return help ? 0 : 125;
    }
    struct hk_error err = {0};
    if (image_rootfs_unmount(argv[1], &err) < 0)
        return cli_fail(&err, 125);
    return 0;
}
