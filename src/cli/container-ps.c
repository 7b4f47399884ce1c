/* container-ps.c — `hako ps`, `hako inspect`, `hako top`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/container-table.h"
#include "cli/container.h"
#include "cli/image-common.h"
#include "engine/inspect.h"
#include "engine/lifecycle.h"
#include "engine/list.h"
#include "engine/net/ports.h"
#include "engine/template.h"
#include "runtime/control.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The row docker's ps templates see ({{.ID}}, {{.Names}}, {{.Status}}, ...). */
static json_t *ps_row(const json_t *rec, bool no_trunc, int64_t now)
{
    const json_t *st = json_object_get(rec, "State");
    _cleanup_free_ char *cmd = xstrdup(jstr(rec, "Path"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rec, "Args"), i, v)
    {
        /* docker quotes the arguments that hold a space */
        const char *a = json_string_value(v);
        char *n = strchr(a, ' ') ? xasprintf("%s '%s'", cmd, a) : xasprintf("%s %s", cmd, a);
        free(cmd);
        cmd = n;
    }
    _cleanup_free_ char *quoted = no_trunc || strlen(cmd) <= 20
                                      ? xasprintf("\"%s\"", cmd)
                                      : xasprintf("\"%.19s…\"", cmd);
    _cleanup_free_ char *status = engine_status_text(st, now);
    char d[64];
    _cleanup_free_ char *created = xasprintf(
        "%s ago", human_duration(now - human_parse_time(jstr(rec, "Created")), d, sizeof(d)));
    _cleanup_free_ char *labels = xstrdup("");
    const char *k;
    json_object_foreach(json_object_get(json_object_get(rec, "Config"), "Labels"), k, v)
    {
        char *n = xasprintf("%s%s%s=%s", labels, labels[0] ? "," : "", k, json_string_value(v));
        free(labels);
        labels = n;
    }
    const char *name = jstr(rec, "Name");
    _cleanup_free_ char *ports = ports_column(
        json_object_get(json_object_get(rec, "NetworkSettings"), "Ports"));
    _cleanup_free_ char *id = xasprintf("%.*s", no_trunc ? 64 : 12, jstr(rec, "Id"));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Image",
                     jstr(json_object_get(rec, "Config"), "Image"), "Command", quoted,
                     "CreatedAt", jstr(rec, "Created"), "RunningFor", created, "Ports", ports,
                     "State", jstr(st, "Status"), "Status", status, "Names",
                     name[0] == '/' ? name + 1 : name, "Labels", labels, "Networks",
                     jstr(json_object_get(rec, "HostConfig"), "NetworkMode"));
}

struct ps_flags {
    bool all, quiet, no_trunc;
    const char *format;
    char *filters[17]; /* NULL-terminated */
    size_t n_filters;
};

static int parse_ps(int argc, char **argv, struct ps_flags *f)
{
    static const struct option opts[] = {
        {"all", no_argument, NULL, 'a'},         {"quiet", no_argument, NULL, 'q'},
        {"no-trunc", no_argument, NULL, 'N'},    {"format", required_argument, NULL, 'F'},
        {"filter", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+aqf:", opts, NULL)) != -1) {
        switch (c) {
        case 'a': f->all = true; break;
        case 'q': f->quiet = true; break;
        case 'N': f->no_trunc = true; break;
        case 'F': f->format = optarg; break;
        case 'f':
            if (!strchr(optarg, '=') || f->n_filters >= ELEMENTSOF(f->filters) - 1)
                return cli_usage_error("ps", "bad format of filter (expected name=value)");
            f->filters[f->n_filters++] = optarg;
            break;
        case 'h':
            printf("Usage: hako ps [-a] [-q] [--no-trunc] [--format table|json|TEMPLATE] "
                   "[--filter status=|name=|label=|id=]\n");
            return -1;
        default:
            return cli_unknown_flag("ps", argc, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("ps", "\"hako ps\" accepts no arguments.");
    return 0;
}

int cmd_ps(int argc, char **argv)
{
    struct ps_flags f = {0};
    int rc = parse_ps(argc, argv, &f);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct engine *e = NULL;
    if ((rc = cli_engine_open(&e)))
        return rc;
    json_t *recs = NULL;
    struct hk_error err = {0};
    if (record_list(e, &recs, &err) < 0) {
        engine_free(e);
        return cli_fail(&err, 125);
    }
    int64_t now = (int64_t)time(NULL);
    _cleanup_json_ json_t *rows = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        const char *s = jstr(json_object_get(rec, "State"), "Status");
        bool any_status = false;
        for (size_t k = 0; k < f.n_filters; k++)
            any_status |= strncmp(f.filters[k], "status=", 7) == 0;
        if ((!f.all && !any_status && !engine_status_live(s)) || 
            !engine_list_matches(rec, (const char *const *)f.filters))
            continue;
        json_array_append_new(rows, ps_row(rec, f.no_trunc, now));
    }
    json_decref(recs);
    engine_free(e);
    if (f.quiet) {
        json_array_foreach(rows, i, rec)
            printf("%s\n", jstr(rec, "ID"));
        return 0;
    }
    if (f.format && strcmp(f.format, "json") == 0) {
        json_array_foreach(rows, i, rec)
        {
            _cleanup_free_ char *s = json_dumps(rec, JSON_COMPACT);
            printf("%s\n", s);
        }
        return 0;
    }
    _cleanup_json_ json_t *header = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID", "Image", "IMAGE",
        "Command", "COMMAND", "CreatedAt", "CREATED AT", "RunningFor", "CREATED", "Ports",
        "PORTS", "State", "STATE", "Status", "STATUS", "Names", "NAMES", "Labels", "LABELS",
        "Networks", "NETWORKS");
    const char *fmt = f.format && strcmp(f.format, "table") != 0
                          ? f.format
                          : "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
                            "{{.Status}}\t{{.Ports}}\t{{.Names}}";
    return format_print(fmt, rows, header);
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"type", required_argument, NULL, 'T'},
        {"size", no_argument, NULL, 's'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *format = NULL;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+f:s", opts, NULL)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 'h') {
            printf("Usage: hako inspect [-f TEMPLATE] CONTAINER [CONTAINER...]\n");
            return 0;
        } else if (c != 'T' && c != 's')
            return cli_unknown_flag("inspect", argc, argv);
    }
    if (optind >= argc)
        return cli_usage_error("inspect", "\"hako inspect\" requires at least 1 argument.");
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    if (rc)
        return rc;
    _cleanup_json_ json_t *all = json_array();
    for (int i = optind; i < argc; i++) {
        _cleanup_free_ char *id = NULL;
        json_t *j = NULL;
        struct hk_error err = {0};
        if (record_resolve(e, argv[i], &id, &err) < 0 || inspect_container(e, id, &j, &err) < 0) {
            fprintf(stderr, "Error: %s\n", hk_error_msg(&err));
            rc = 125;
            continue;
        }
        json_array_append_new(all, j);
    }
    engine_free(e);
    return format_inspect(format, all, rc, 125);
}
