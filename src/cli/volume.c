/* volume.c — `hako volume create|ls|inspect|rm|prune`, as docker's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/container-table.h"
#include "cli/container.h"
#include "engine/volume.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"

/* docker's exit status for a failing command that is not run/create. */
#define EXIT_FAIL 1

static void kv_set(json_t *map, const char *kv)
{
    const char *eq = strchr(kv, '=');
    _cleanup_free_ char *k = eq ? strndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
    json_object_set_new(map, k, json_string(eq ? eq + 1 : ""));
}

static int open_engine(struct engine **e)
{
    return cli_engine_open(e) ? EXIT_FAIL : 0;
}

static int volume_create_cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"label", required_argument, NULL, 'l'}, {"opt", required_argument, NULL, 'o'},
        {"driver", required_argument, NULL, 'd'}, {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    _cleanup_json_ json_t *labels = json_object(), *o = json_object();
    const char *name = NULL;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+o:d:", opts)) != -1) {
        if (c == 'l')
            kv_set(labels, optarg);
        else if (c == 'o')
            kv_set(o, optarg);
        else if (c == 'n')
            name = optarg;
        else if (c == 'd' && strcmp(optarg, "local") != 0) {
            cli_error("error looking up volume plugin %s: plugin \"%s\" not found", optarg,
                      optarg);
            return EXIT_FAIL;
        } else if (c == 'h') {
            printf("Usage: hako volume create [OPTIONS] [VOLUME]\n\n"
                   "Create a volume\n\n"
                   "Options:\n"
                   "  -d, --driver local   Volume driver (only local)\n"
                   "      --label K=V      Set metadata\n"
                   "      --name NAME      The volume's name (as the VOLUME argument)\n"
                   "  -o, --opt K=V        Driver options: type=tmpfs|none|FSTYPE, device=, o=\n");
            return 0;
        } else if (c != 'd') {
            return cli_unknown_flag("volume create", argc, argv);
        }
    }
    if (argc - optind > 1)
        return cli_usage_error("volume create", "\"hako volume create\" requires at most 1 "
                                                "argument.");
    if (optind < argc) {
        if (name && strcmp(name, argv[optind]) != 0) {
            cli_error("conflicting options: either specify --name or provide positional arg, "
                      "not both");
            return EXIT_FAIL;
        }
        name = argv[optind];
    }
    struct engine *e = NULL;
    int rc = open_engine(&e);
    if (rc)
        return rc;
    _cleanup_json_ json_t *vol = NULL;
    struct hk_error err = {0};
    int r = volume_create(e, name, labels, o, &vol, NULL, &err);
    engine_free(e);
    if (r < 0)
        return cli_fail(&err, EXIT_FAIL);
    printf("%s\n", json_string_value(json_object_get(vol, "Name")));
    return 0;
}

/* What --format sees of a volume: docker's fields, Labels as "k=v,k=v". */
static json_t *ls_row(const json_t *v)
{
    json_t *row = json_deep_copy(v);
    _cleanup_free_ char *labels = xstrdup("");
    const char *k;
    json_t *val;
    json_object_foreach(json_object_get(v, "Labels"), k, val)
    {
        char *n = xasprintf("%s%s%s=%s", labels, labels[0] ? "," : "", k, json_string_value(val));
        free(labels);
        labels = n;
    }
    json_object_set_new(row, "Labels", json_string(labels));
    json_object_set_new(row, "Links", json_string("N/A"));
    json_object_set_new(row, "Size", json_string("N/A"));
    return row;
}

static int volume_ls_cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"quiet", no_argument, NULL, 'q'},         {"filter", required_argument, NULL, 'f'},
        {"format", required_argument, NULL, 'F'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool quiet = false;
    const char *format = NULL;
    _cleanup_json_ json_t *filters = json_array();
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+qf:", opts)) != -1) {
        if (c == 'q')
            quiet = true;
        else if (c == 'f')
            json_array_append_new(filters, json_string(optarg));
        else if (c == 'F')
            format = optarg;
        else if (c == 'h') {
            printf("Usage: hako volume ls [OPTIONS]\n\n"
                   "List volumes\n\n"
                   "Options:\n"
                   "  -f, --filter F   name=, label=, dangling=, driver=\n"
                   "      --format T   table, json or a Go template\n"
                   "  -q, --quiet      Only display volume names\n");
            return 0;
        } else
            return cli_unknown_flag("volume ls", argc, argv);
    }
    struct engine *e = NULL;
    int rc = open_engine(&e);
    _cleanup_json_ json_t *all = NULL, *rows = json_array();
    struct hk_error err = {0};
    if (rc == 0 && volume_list(e, &all, &err) < 0)
        rc = cli_fail(&err, EXIT_FAIL);
    size_t i;
    json_t *v;
    json_array_foreach(all, i, v)
    {
        bool match = true;
        if (rc == 0 && volume_filter_match(e, v, filters, &match, &err) < 0)
            rc = cli_fail(&err, EXIT_FAIL);
        if (rc == 0 && match)
            json_array_append_new(rows, ls_row(v));
    }
    engine_free(e);
    if (rc)
        return rc;
    if (quiet || (format && strcmp(format, "json") == 0)) {
        json_array_foreach(rows, i, v)
        {
            _cleanup_free_ char *s = json_dumps(v, JSON_COMPACT);
            printf("%s\n", quiet ? json_string_value(json_object_get(v, "Name")) : s);
        }
        return 0;
    }
    _cleanup_json_ json_t *header = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Name",
                                              "VOLUME NAME", "Driver", "DRIVER", "Mountpoint",
                                              "MOUNTPOINT", "Labels", "LABELS", "Scope", "SCOPE",
                                              "Links", "LINKS", "Size", "SIZE", "CreatedAt",
                                              "CREATED AT");
    const char *fmt = format && strcmp(format, "table") != 0 ? format
                                                             : "table {{.Driver}}\t{{.Name}}";
    return format_print(fmt, rows, header) ? EXIT_FAIL : 0;
}

static int volume_inspect_cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *format = NULL;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+f:", opts)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 'h') {
            printf("Usage: hako volume inspect [OPTIONS] VOLUME [VOLUME...]\n\n"
                   "Display detailed information on one or more volumes\n\n"
                   "Options:\n"
                   "  -f, --format TEMPLATE   Format the output with a Go template\n");
            return 0;
        } else
            return cli_unknown_flag("volume inspect", argc, argv);
    }
    if (optind >= argc)
        return cli_usage_error("volume inspect", "\"hako volume inspect\" requires at least 1 "
                                                 "argument.");
    struct engine *e = NULL;
    int rc = open_engine(&e);
    if (rc)
        return rc;
    _cleanup_json_ json_t *all = json_array();
    for (int i = optind; i < argc; i++) {
        json_t *v = NULL;
        if (volume_get(e, argv[i], &v, NULL) < 0) {
            cli_error("No such volume: %s", argv[i]);
            rc = EXIT_FAIL;
            continue;
        }
        json_array_append_new(all, v);
    }
    engine_free(e);
    return format_inspect(format, all, rc, 1);
}

static int volume_rm_cmd(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    bool force = false;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+f", opts)) != -1) {
        if (c == 'f')
            force = true;
        else if (c == 'h') {
            printf("Usage: hako volume rm [-f] VOLUME [VOLUME...]\n\n"
                   "  -f, --force   A volume that does not exist is not an error\n");
            return 0;
        } else
            return cli_unknown_flag("volume rm", argc, argv);
    }
    if (optind >= argc)
        return cli_usage_error("volume rm", "\"hako volume rm\" requires at least 1 argument.");
    struct engine *e = NULL;
    int rc = open_engine(&e);
    if (rc)
        return rc;
    for (int i = optind; i < argc; i++) {
        struct hk_error err = {0};
        int r = volume_remove(e, argv[i], false, &err);
        if (r == 0 || (force && r == -ENOENT))
            printf("%s\n", argv[i]);
        else
            rc = cli_fail(&err, EXIT_FAIL);
    }
    engine_free(e);
    return rc;
}

static int volume_prune_cmd(int argc, char **argv)
{
    _cleanup_json_ json_t *filters = json_array();
    struct prune_opts o = {.filters = filters};
    int rc = cli_prune_flags(argc, argv, "volume prune", false,
                             "Usage: hako volume prune [-a] [-f] [--filter label=K[=V]]\n\n"
                             "  -a, --all     Remove every unused volume, not only anonymous "
                             "ones\n"
                             "  -f, --force   Do not prompt for confirmation\n",
                             &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    bool all = o.all, force = o.force;
    if (!force && !cli_confirm(all ? "all local volumes not used by at least one container"
                                   : "anonymous local volumes not used by at least one "
                                     "container"))
        return 0;
    struct engine *e = NULL;
    if ((rc = open_engine(&e)))
        return rc;
    _cleanup_json_ json_t *removed = NULL;
    long long bytes = 0;
    struct hk_error err = {0};
    int r = volume_prune(e, all, filters, &removed, &bytes, &err);
    engine_free(e);
    if (r < 0)
        return cli_fail(&err, EXIT_FAIL);
    if (json_array_size(removed)) {
        printf("Deleted Volumes:\n");
        size_t i;
        json_t *v;
        json_array_foreach(removed, i, v)
            printf("%s\n", json_string_value(v));
        printf("\n");
    }
    char buf[32];
    printf("Total reclaimed space: %s\n", human_size((uint64_t)bytes, buf, sizeof(buf)));
    return 0;
}

int cmd_volume(int argc, char **argv)
{
    static const struct cli_command subs[] = {
        {"create", volume_create_cmd, "Create a volume"},
        {"ls", volume_ls_cmd, "List volumes"},
        {"list", volume_ls_cmd, NULL},
        {"inspect", volume_inspect_cmd, "Show volumes in detail"},
        {"rm", volume_rm_cmd, "Remove volumes"},
        {"remove", volume_rm_cmd, NULL},
        {"prune", volume_prune_cmd, "Remove unused volumes"},
    };
    return cli_subcommand("volume", subs, ELEMENTSOF(subs), argc, argv, "Manage volumes");
}
