/* container-cp.c — `hako export [-o FILE] CONTAINER`, `hako diff CONTAINER`,
 * `hako cp CONTAINER:SRC DEST|-` and `hako cp SRC|- CONTAINER:DEST`, as docker's. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "cli/image-common.h"
#include "engine/cp.h"
#include "engine/diff.h"
#include "util/fs.h"

/* The engine, the store and the full ID of ref; 0 or the exit code (printed). */
static int open_all(const char *ref, struct engine **e, struct store **s, char **id)
{
    int rc = cli_engine_open(e);
    if (rc == 0)
        rc = cli_resolve(*e, ref, id);
    if (rc == 0)
        rc = cli_store_open(s);
    return rc;
}

static void close_all(struct engine *e, struct store *s, char *id)
{
    free(id);
    store_free(s);
    engine_free(e);
}

/* The flags: --help, and -o/--output where output is given. 0 to go on with argv[optind...],
 * -1 after the help, else the exit status. */
static int parse_flags(int argc, char **argv, const char *cmd, const char *usage,
                       const char **output)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, output ? "+o:h" : "+h", opts + (output ? 0 : 1))) != -1) {
        if (c == 'h') {
            printf("%s", usage);
            return -1;
        }
        if (c != 'o' || !output)
            return cli_unknown_flag(cmd, argc, argv);
        *output = optarg;
    }
    return 0;
}

int cmd_export(int argc, char **argv)
{
    static const char usage[] = "Usage: hako export [OPTIONS] CONTAINER\n\n"
                                "Export a container's filesystem as a tar archive\n\n"
                                "Options:\n"
                                "  -o, --output FILE   Write to FILE instead of stdout\n";
    const char *output = NULL;
    int i = parse_flags(argc, argv, "export", usage, &output);
    if (i)
        return i < 0 ? 0 : i;
    i = optind;
    if (argc - i != 1)
        return cli_usage_error("export", "\"hako export\" requires exactly 1 argument.");
    if (!output && isatty(STDOUT_FILENO)) {
        cli_error("export: cowardly refusing to write a tar to a terminal: use -o FILE or "
                  "redirect");
        return 125;
    }
    struct engine *e = NULL;
    struct store *s = NULL;
    char *id = NULL;
    int rc = open_all(argv[i], &e, &s, &id);
    _cleanup_free_ char *tmp = output ? xasprintf("%s.tmp-XXXXXX", output) : NULL;
    int fd = rc || !output ? STDOUT_FILENO : mkostemp(tmp, O_CLOEXEC);
    struct hk_error err = {0};
    if (rc == 0 && fd < 0)
        rc = (cli_error("export: create '%s': %m", tmp), 125);
    int r = rc ? 0 : engine_export(e, s, id, fd, &err);
    if (rc == 0 && r == 0 && output && (fchmod(fd, 0644) < 0 || rename(tmp, output) < 0))
        r = hk_error_errno(&err, -errno, "write '%s'", output);
    if (output && fd >= 0) {
        close(fd);
        if (r < 0 || rc)
            unlink(tmp);
    }
    if (r < 0)
        rc = cli_fail(&err, 125);
    close_all(e, s, id);
    return rc;
}

int cmd_diff(int argc, char **argv)
{
    static const char usage[] = "Usage: hako diff CONTAINER\n\n"
                                "Inspect changes to files or directories on a container's "
                                "filesystem (A added, C changed, D deleted)\n";
    int rc = parse_flags(argc, argv, "diff", usage, NULL);
    if (rc)
        return rc < 0 ? 0 : rc;
    argc -= optind - 1;
    argv += optind - 1;
    if (argc != 2)
        return cli_usage_error("diff", "\"hako diff\" requires exactly 1 argument.");
    struct engine *e = NULL;
    struct store *s = NULL;
    char *id = NULL;
    rc = open_all(argv[1], &e, &s, &id);
    struct hk_error err = {0};
    json_t *changes = NULL;
    if (rc == 0 && engine_diff(e, s, id, &changes, &err) < 0)
        rc = cli_fail(&err, 125);
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        int kind = (int)json_integer_value(json_object_get(c, "Kind"));
        printf("%c %s\n", "CAD"[kind < 0 || kind > 2 ? 0 : kind],
               json_string_value(json_object_get(c, "Path")));
    }
    json_decref(changes);
    close_all(e, s, id);
    return rc;
}

/* "CONTAINER:PATH" → the container part (allocated) and the path; NULL for a host path (one
 * starting with '/' or '.', or without ':'), as docker splits them. */
static char *split_container(const char *arg, const char **ret_path)
{
    const char *colon = strchr(arg, ':');
    if (!colon || arg[0] == '/' || arg[0] == '.' || colon == arg)
        return NULL;
    *ret_path = colon + 1;
    return strndup(arg, (size_t)(colon - arg));
}

int cmd_cp(int argc, char **argv)
{
    static const char usage[] =
        "Usage: hako cp CONTAINER:SRC_PATH DEST_PATH|-\n"
        "       hako cp SRC_PATH|- CONTAINER:DEST_PATH\n\n"
        "Copy files between a container and the host ('-': a tar on stdin or stdout).\n"
        "The container's symlinks resolve inside its root filesystem, never on the host.\n";
    int rc = parse_flags(argc, argv, "cp", usage, NULL);
    if (rc)
        return rc < 0 ? 0 : rc;
    argc -= optind - 1;
    argv += optind - 1;
    if (argc != 3)
        return cli_usage_error("cp", "\"hako cp\" requires exactly 2 arguments.");
    const char *src_path = NULL, *dst_path = NULL;
    _cleanup_free_ char *src_ctr = split_container(argv[1], &src_path);
    _cleanup_free_ char *dst_ctr = split_container(argv[2], &dst_path);
    if (!!src_ctr == !!dst_ctr) {
        cli_error("cp: %s", src_ctr ? "copying between containers is not supported"
                                    : "must specify at least one container source");
        return 125;
    }
    const char *ctr_path = src_ctr ? src_path : dst_path;
    if (!*ctr_path) {
        cli_error("cp: the path in the container is empty");
        return 125;
    }
    if (src_ctr && strcmp(argv[2], "-") == 0 && isatty(STDOUT_FILENO)) {
        cli_error("cp: cowardly refusing to write a tar to a terminal");
        return 125;
    }
    struct engine *e = NULL;
    struct store *s = NULL;
    char *id = NULL;
    rc = open_all(src_ctr ? src_ctr : dst_ctr, &e, &s, &id);
    struct hk_error err = {0};
    int r = 0;
    if (rc == 0 && src_ctr)
        r = engine_cp_out(e, s, id, ctr_path, argv[2], STDOUT_FILENO, &err);
    else if (rc == 0)
        r = engine_cp_in(e, s, id, argv[1], STDIN_FILENO, ctr_path, &err);
    if (r < 0)
        rc = cli_fail(&err, 125);
    close_all(e, s, id);
    return rc;
}
