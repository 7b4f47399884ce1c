/* image.c — `hako image ...` and the single-purpose image commands: inspect, rmi, tag,
 * build-busybox, mount/unmount. (pull: pull.c; images: image-list.c; load/save/import:
 * image-io.c; login/logout: login.c.) */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/image-common.h"
#include "image/busybox.h"
#include "image/image.h"
#include "image/inspect.h"
#include "image/reference.h"
#include "util/fs.h"

static int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
        fprintf(c == 'h' ? stdout : stderr, "Usage: hako image inspect IMAGE [IMAGE...]\n");
        return c == 'h' ? 0 : 125;
    }
    if (optind >= argc) {
        cli_error("image inspect: requires at least 1 argument");
        return 125;
    }
    struct store *s = NULL;
    int rc = cli_store_open(&s);
    if (rc)
        return rc;
    json_t *out = json_array();
    for (int i = optind; i < argc; i++) {
        struct hk_error err = {0};
        struct image *img = NULL;
        if (image_lookup(s, argv[i], &img, &err) < 0) {
            rc = cli_fail(&err, 125);
            continue;
        }
        json_array_append_new(out, image_inspect(img));
        image_free(img);
    }
    char *text = json_dumps(out, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    puts(text);
    free(text);
    json_decref(out);
    store_free(s);
    return rc;
}

int cmd_rmi(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool force = false;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+fh", opts)) != -1) {
        if (c == 'f') {
            force = true;
            continue;
        }
        if (c != 'h')
            return cli_unknown_flag("rmi", argc, argv);
        printf("Usage: hako rmi [OPTIONS] IMAGE [IMAGE...]\n\n"
               "Remove one or more images\n\nOptions:\n"
               "  -f, --force   Force removal of the image (only untag it when a container "
               "uses it)\n");
        return 0;
    }
    if (optind >= argc) {
        cli_error("rmi: requires at least 1 argument");
        return 125;
    }
    struct store *s = NULL;
    int rc = cli_store_open(&s);
    if (rc)
        return rc;
    for (int i = optind; i < argc; i++) {
        struct hk_error err = {0};
        struct image_removal res = {0};
        if (image_remove(s, argv[i], force, &res, &err) < 0) {
            rc = cli_fail(&err, 125);
            continue;
        }
        size_t k;
        json_t *t;
        json_array_foreach(res.untagged, k, t)
        {
            char *f = ref_familiar(json_string_value(t));
            printf("Untagged: %s\n", f);
            free(f);
        }
        if (res.deleted)
            printf("Deleted: %s\n", res.deleted);
        image_removal_clear(&res);
    }
    store_free(s);
    return rc;
}

int cmd_tag(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("Usage: hako tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n");
        return 0;
    }
    if (argc != 3) {
        cli_error("tag: requires exactly 2 arguments: SOURCE_IMAGE TARGET_IMAGE");
        return 125;
    }
    struct store *s = NULL;
    int rc = cli_store_open(&s);
    if (rc)
        return rc;
    struct hk_error err = {0};
    if (image_tag(s, argv[1], argv[2], &err) < 0)
        rc = cli_fail(&err, 125);
    store_free(s);
    return rc;
}

static int cmd_build_busybox(int argc, char **argv)
{
    static const struct option opts[] = {{"busybox", required_argument, NULL, 'b'},
                                         {"tag", required_argument, NULL, 't'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *busybox = BUSYBOX_BINARY, *tag = "busybox:latest";
    int c;
    while ((c = cli_getopt(argc, argv, "t:h", opts)) != -1) {
        if (c == 'b')
            busybox = optarg;
        else if (c == 't')
            tag = optarg;
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "Usage: hako image build-busybox [--busybox PATH] [-t|--tag NAME]\n\n"
                    "Make the busybox:latest image offline from Debian's busybox-static.\n");
            return c == 'h' ? 0 : 125;
        }
    }
    struct hk_error err = {0};
    struct image_ref ref = {0};
    if (ref_parse(tag, &ref, &err) < 0)
        return cli_fail(&err, 125);
    _cleanup_free_ char *full = ref_string(&ref);
    ref_clear(&ref);
    struct store *s = NULL;
    int rc = cli_store_open(&s);
    if (rc)
        return rc;
    char id[DIGEST_STR_SIZE];
    bool existed = false;
    if (image_build_busybox(s, busybox, full, &existed, id, &err) < 0)
        rc = cli_fail(&err, 125);
    else
        printf("%s\n", id);
    store_free(s);
    return rc;
}

static const struct cli_command image_commands[] = {
    {"build-busybox", cmd_build_busybox, "Make busybox:latest from busybox-static, offline"},
    {"import", cmd_import, "Import a rootfs tarball as an image"},
    {"inspect", cmd_inspect, "Show images as JSON"},
    {"load", cmd_load, "Load images from a docker-archive or oci-archive"},
    {"ls", cmd_images, "List images"},
    {"mount", cmd_image_mount, "Mount an image's root filesystem for a container directory"},
    {"pull", cmd_pull, "Pull an image from a registry"},
    {"prune", cmd_image_prune, "Remove unused images"},
    {"rm", cmd_rmi, "Remove images"},
    {"save", cmd_save, "Save images to a docker-archive"},
    {"tag", cmd_tag, "Tag an image"},
    {"unmount", cmd_image_unmount, "Unmount a container directory's root filesystem"},
};

int cmd_image(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "Usage: hako image COMMAND\n\nManage images\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(image_commands); i++)
            fprintf(f, "  %-14s %s\n", image_commands[i].name, image_commands[i].summary);
        return argc < 2 ? 125 : 0;
    }
    for (size_t i = 0; i < ELEMENTSOF(image_commands); i++)
        if (strcmp(image_commands[i].name, argv[1]) == 0) {
            optind = 0;
            return image_commands[i].run(argc - 1, argv + 1);
        }
    cli_error("'%s' is not a hako image command. See 'hako image --help'", argv[1]);
    return 125;
}
