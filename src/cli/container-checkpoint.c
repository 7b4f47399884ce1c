/* container-checkpoint.c — `hako container checkpoint` and `restore` (podman's command
 * line; also `hako checkpoint` / `hako restore`). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "cli/image-common.h"
#include "engine/checkpoint.h"
#include "engine/lifecycle.h"

static int fail(const struct hk_error *err)
{
    fprintf(stderr, "Error response from daemon: %s\n", hk_error_msg(err));
    return cli_op_error();
}

/* The engine and the store (to mount a container's root filesystem again, or import). */
static int open_both(struct engine **ret_e, struct store **ret_s)
{
    int rc = cli_engine_open(ret_e);
    if (rc == 0 && (rc = cli_store_open(ret_s)) != 0)
        *ret_e = engine_free(*ret_e);
    return rc;
}

typedef int (*each_fn)(const struct engine *e, struct store *s, const char *id, const void *ud,
                       struct hk_error *err);
typedef bool (*pick_fn)(const json_t *rec);

static int run_one(const struct engine *e, struct store *s, const char *id, const char *shown,
                   each_fn fn, const void *ud)
{
    struct hk_error err = {0};
    if (fn(e, s, id, ud, &err) < 0)
        return fail(&err);
    printf("%s\n", shown);
    return 0;
}

/* fn for each container named in argv[optind..] (its reference printed when it worked), or
 * with pick (--all) for each container pick chooses (its ID printed); one failing goes on
 * with the rest. */
static int each(int argc, char **argv, each_fn fn, const void *ud, pick_fn pick)
{
    struct engine *e = NULL;
    struct store *s = NULL;
    int rc = open_both(&e, &s);
    if (rc)
        return rc;
    json_t *recs = NULL, *rec;
    struct hk_error err = {0};
    size_t n;
    if (pick && record_list(e, &recs, &err) < 0)
        rc = cli_fail(&err, 125);
    json_array_foreach(recs, n, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "Id"));
        if (id && pick(rec) && run_one(e, s, id, id, fn, ud))
            rc = 125;
    }
    json_decref(recs);
    for (int i = optind; !pick && i < argc; i++) {
        _cleanup_free_ char *id = NULL;
        if (cli_resolve(e, argv[i], &id) || run_one(e, s, id, argv[i], fn, ud))
            rc = 125;
    }
    store_free(s);
    engine_free(e);
    return rc;
}

static bool is_running(const json_t *rec)
{
    return strcmp(record_status(rec), "running") == 0;
}

static bool is_checkpointed(const json_t *rec)
{
    return !engine_status_live(record_status(rec)) &&
           json_is_true(json_object_get(json_object_get(rec, "State"), "Checkpointed"));
}

/* Either --all or container names, not both, not neither. */
static int all_or_names(const char *cmd, int argc, bool all)
{
    if (all && optind < argc)
        return cli_usage_error(cmd, "--all and containers cannot be given together");
    if (!all && optind >= argc)
        return cli_usage_error(cmd, "\"hako %s\" requires at least 1 argument.", cmd);
    return 0;
}

static int do_checkpoint(const struct engine *e, struct store *s, const char *id, const void *ud,
                         struct hk_error *err)
{
    return engine_checkpoint(e, s, id, ud, err);
}

static int do_restore(const struct engine *e, struct store *s, const char *id, const void *ud,
                      struct hk_error *err)
{
    (void)ud;
    return engine_restore(e, s, id, err);
}

int cmd_checkpoint(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {"leave-running", no_argument, NULL, 'R'},
        {"export", required_argument, NULL, 'e'},
        {"checkpoint-dir", required_argument, NULL, 'D'},
        {"tcp-established", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct engine_checkpoint_opts o = {0};
    bool all = false;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+aRe:", opts)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'R':
            o.leave_running = true;
            break;
        case 'e':
            o.export_path = optarg;
            break;
        case 'D':
            o.dir = optarg;
            break;
        case 'T':
            o.tcp_established = true;
            break;
        case 'h':
            printf(
                "Usage: hako container checkpoint [-R|--leave-running] [-e|--export FILE] "
                "[--checkpoint-dir DIR] [--tcp-established] -a|--all | CONTAINER [CONTAINER...]\n\n"
                "Dump a running container's processes through CRIU; restore brings them "
                "back.\n");
            return 0;
        default:
            return cli_unknown_flag("checkpoint", argc, argv);
        }
    }
    int r = all_or_names("checkpoint", argc, all);
    if (r)
        return r;
    if ((o.export_path || o.dir) && (all || argc - optind > 1))
        return cli_usage_error("checkpoint", "--export and --checkpoint-dir take one container");
    return each(argc, argv, do_checkpoint, &o, all ? is_running : NULL);
}

int cmd_restore(int argc, char **argv)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},
        {"import", required_argument, NULL, 'i'},
        {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *import = NULL, *name = NULL;
    bool all = false;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+ai:n:", opts)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'i':
            import = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'h':
            printf("Usage: hako container restore -a|--all | CONTAINER [CONTAINER...]\n"
                   "       hako container restore -i|--import FILE [-n|--name NAME]\n\n"
                   "Bring a checkpointed container's processes back, supervised as a started "
                   "container; --import makes a new container from an exported checkpoint.\n");
            return 0;
        default:
            return cli_unknown_flag("restore", argc, argv);
        }
    }
    if (name && !import)
        return cli_usage_error("restore", "--name can only be used with --import");
    if (import && (all || optind < argc))
        return cli_usage_error("restore", "--import restores a new container: give no "
                                          "container or --all");
    int r = import ? 0 : all_or_names("restore", argc, all);
    if (r)
        return r;
    if (!import)
        return each(argc, argv, do_restore, NULL, all ? is_checkpointed : NULL);
    struct engine *e = NULL;
    struct store *s = NULL;
    int rc = open_both(&e, &s);
    if (rc)
        return rc;
    _cleanup_free_ char *id = NULL;
    struct hk_error err = {0};
    if (engine_restore_import(e, s, import, name, &id, &err) < 0)
        rc = fail(&err);
    else
        printf("%s\n", id);
    store_free(s);
    engine_free(e);
    return rc;
}
