/* image-io.c — `hako load [-i FILE] [-q]`, `hako save [-o FILE] IMAGE...`,
 * `hako import FILE|- [REFERENCE]`. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "cli/image-common.h"
#include "image/archive-io.h"
#include "image/reference.h"
#include "util/fs.h"
#include "util/json.h"

static int open_input(const char *path, int *ret_fd)
{
    if (!path || strcmp(path, "-") == 0) {
        *ret_fd = STDIN_FILENO;
        return 0;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_error("open '%s': %m", path);
        return 125;
    }
    *ret_fd = fd;
    return 0;
}

int cmd_load(int argc, char **argv)
{
    static const struct option opts[] = {{"input", required_argument, NULL, 'i'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *input = NULL;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+i:qh", opts)) != -1) {
        if (c == 'i')
            input = optarg;
        else if (c == 'h') {
            printf("Usage: hako load [OPTIONS]\n\n"
                   "Load images from a docker-archive or oci-archive (stdin by default)\n\n"
                   "Options:\n"
                   "  -i, --input FILE   Read from tar archive file, instead of STDIN\n"
                   "  -q, --quiet        Suppress the load output (hako prints no progress "
                   "for load:\n"
                   "                     the \"Loaded image:\" lines stay, as docker's)\n");
            return 0;
        } else if (c != 'q')
            return cli_unknown_flag("load", argc, argv);
    }
    if (optind != argc || (!input && isatty(STDIN_FILENO))) {
        cli_error("load: give the archive with -i FILE or on stdin");
        return 125;
    }
    int fd = -1, rc = open_input(input, &fd);
    struct store *s = NULL;
    if (rc || (rc = cli_store_open(&s)))
        return rc;
    struct hk_error err = {0};
    json_t *loaded = NULL;
    int r = image_load(s, fd, &loaded, &err);
    if (r < 0) {
        hk_error_prefix(&err, r, "load '%s'", input ? input : "-");
        rc = cli_fail(&err, 125);
    }
    size_t i;
    json_t *l;
    json_array_foreach(loaded, i, l)
    {
        const char *name = json_string_value(json_object_get(l, "name"));
        _cleanup_free_ char *fam = name ? ref_familiar(name) : NULL;
        /* -q quiets the progress, not these lines (docker prints them with -q too) */
        if (fam)
            printf("Loaded image: %s\n", fam);
        else
            printf("Loaded image ID: %s\n", json_string_value(json_object_get(l, "id")));
    }
    json_decref(loaded);
    store_free(s);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}

/* Save into path atomically: a temporary file next to it, renamed when complete. */
static int save_to(struct store *s, char **names, size_t n, const char *path)
{
    struct hk_error err = {0};
    if (!path) {
        if (image_save(s, names, n, STDOUT_FILENO, &err) < 0)
            return cli_fail(&err, 125);
        return 0;
    }
    _cleanup_free_ char *tmp = xasprintf("%s.tmp-XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        cli_error("save: create '%s': %m", tmp);
        return 125;
    }
    int r = image_save(s, names, n, fd, &err);
    if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0))
        r = hk_error_errno(&err, -errno, "save: write '%s'", path);
    close(fd);
    if (r < 0) {
        unlink(tmp);
        return cli_fail(&err, 125);
    }
    return 0;
}

int cmd_save(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *output = NULL;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+o:h", opts)) != -1) {
        if (c == 'o') {
            output = optarg;
            continue;
        }
        if (c != 'h')
            return cli_unknown_flag("save", argc, argv);
        printf("Usage: hako save [OPTIONS] IMAGE [IMAGE...]\n\n"
               "Save one or more images to a tar archive (streamed to STDOUT by default): a\n"
               "docker-archive that is also an OCI layout\n\nOptions:\n"
               "  -o, --output FILE   Write to a file, instead of STDOUT\n");
        return 0;
    }
    if (optind >= argc) {
        cli_error("save: requires at least 1 argument");
        return 125;
    }
    if (!output && isatty(STDOUT_FILENO)) {
        cli_error("save: refusing to write an archive to a terminal: use -o FILE");
        return 125;
    }
    struct store *s = NULL;
    int rc = cli_store_open(&s);
    if (rc)
        return rc;
    rc = save_to(s, argv + optind, (size_t)(argc - optind), output);
    store_free(s);
    return rc;
}

int cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {{"message", required_argument, NULL, 'm'},
                                         {"change", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *message = NULL;
    _cleanup_json_ json_t *changes = json_array();
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+m:c:h", opts)) != -1) {
        if (c == 'm') {
            message = optarg;
            continue;
        }
        if (c == 'c') {
            json_array_append_new(changes, json_string(optarg));
            continue;
        }
        if (c != 'h')
            return cli_unknown_flag("import", argc, argv);
        fprintf(stdout,
                "Usage: hako import [-m MESSAGE] [-c CHANGE]... FILE|- [REPOSITORY[:TAG]]\n\n"
                "Import a root filesystem tarball as an image\n\n"
                "  -c, --change INSTR   apply a Dockerfile instruction to the config (CMD,\n"
                "                       ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL,\n"
                "                       USER, VOLUME, WORKDIR)\n"
                "  -m, --message TEXT   the history comment\n");
        return 0;
    }
    if (argc - optind < 1 || argc - optind > 2) {
        cli_error("import: requires 1 or 2 arguments: FILE|- [REPOSITORY[:TAG]]");
        return 125;
    }
    struct hk_error err = {0};
    _cleanup_free_ char *tag = NULL;
    int rc = optind + 1 < argc ? cli_tag_arg("import", argv[optind + 1], &tag) : 0;
    if (rc)
        return rc;
    _cleanup_json_ json_t *config = json_object();
    if (cli_apply_changes(changes, config, &err) < 0)
        return cli_fail(&err, 125);
    int fd = -1;
    rc = open_input(argv[optind], &fd);
    struct store *s = NULL;
    if (rc || (rc = cli_store_open(&s)))
        return rc;
    _cleanup_free_ char *comment = xasprintf("Imported from %s", argv[optind]);
    char id[DIGEST_STR_SIZE];
    int r = image_import(s, fd, tag, message ? message : comment, config, id, &err);
    if (r < 0) {
        hk_error_prefix(&err, r, "import '%s'", argv[optind]);
        rc = cli_fail(&err, 125);
    }
    else
        printf("%s\n", id);
    store_free(s);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}
