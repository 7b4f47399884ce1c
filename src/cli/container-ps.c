/* container-ps.c — `hako ps`, `hako inspect`, `hako top`. */
#include <errno.h>
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
#include "image/inspect.h"
#include "engine/lifecycle.h"
#include "engine/list.h"
#include "engine/net/ports.h"
#include "engine/psfilter.h"
#include "engine/template.h"
#include "engine/volume.h"
#include "image/image.h"
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
/* The container's upper layer and its image's size (docker's SizeRw, SizeRootFs - SizeRw). */
static void container_sizes(const struct engine *e, struct store *s, const json_t *rec,
                            uint64_t *ret_rw, uint64_t *ret_image)
{
    _cleanup_free_ char *dir = engine_dir(e, jstr(rec, "Id"));
    _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
    long long rw = volume_dir_size(upper);
    struct image *im = NULL;
    *ret_image = 0;
    if (s && image_lookup(s, jstr(rec, "Image"), &im, NULL) == 0) {
        *ret_image = (uint64_t)json_integer_value(json_object_get(im->record, "size"));
        image_free(im);
    }
    *ret_rw = rw > 0 ? (uint64_t)rw : 0;
}

/* -s: docker's "RW (virtual RW+IMAGE)". */
static char *size_text(const struct engine *e, struct store *s, const json_t *rec)
{
    uint64_t rw, img;
    container_sizes(e, s, rec, &rw, &img);
    char a[32], b[32];
    human_size(rw, a, sizeof(a));
    human_size(rw + img, b, sizeof(b));
    return xasprintf("%s (virtual %s)", a, b);
}

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
    const char *net = jstr(json_object_get(rec, "HostConfig"), "NetworkMode");
    if (!net[0] || strcmp(net, "default") == 0)
        net = "bridge"; /* as docker names the default network */
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Image",
                     jstr(json_object_get(rec, "Config"), "Image"), "Command", quoted,
                     "CreatedAt", jstr(rec, "Created"), "RunningFor", created, "Ports", ports,
                     "State", jstr(st, "Status"), "Status", status, "Names",
                     name[0] == '/' ? name + 1 : name, "Labels", labels, "Networks", net);
}

struct ps_flags {
    bool all, quiet, no_trunc, size;
    long last; /* -n N / -l: the N newest containers, in every state (-1: all) */
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
        {"last", required_argument, NULL, 'n'},   {"latest", no_argument, NULL, 'l'},
        {"size", no_argument, NULL, 's'},         {NULL, 0, NULL, 0},
    };
    int c;
    char *end;
    f->last = -1;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+aqf:n:ls", opts)) != -1) {
        switch (c) {
        case 'a': f->all = true; break;
        case 'l': f->last = 1; break;
        case 's': f->size = true; break;
        case 'n':
            f->last = strtol(optarg, &end, 10);
            if (!optarg[0] || *end)
                return cli_usage_error("ps", "invalid argument \"%s\" for \"-n, --last\" flag: "
                                             "strconv.ParseInt: parsing \"%s\": invalid syntax",
                                       optarg, optarg);
            break;
        case 'q': f->quiet = true; break;
        case 'N': f->no_trunc = true; break;
        case 'F': f->format = optarg; break;
        case 'f':
            if (f->n_filters >= ELEMENTSOF(f->filters) - 1)
                return cli_usage_error("ps", "too many --filter flags (%zu at most)",
                                       ELEMENTSOF(f->filters) - 1);
            f->filters[f->n_filters++] = optarg;
            break;
        case 'h':
            printf("Usage: hako ps [OPTIONS]\n\n"
                   "List containers\n\n"
                   "Options:\n"
                   "  -a, --all             Show all containers (default shows just running)\n"
                   "  -f, --filter KEY=VALUE  Filter output: ancestor, before, since, exited,\n"
                   "                        expose, health, id, is-task, label, name, network,\n"
                   "                        publish, status, volume (one key ORs its values,\n"
                   "                        different keys AND)\n"
                   "      --format FMT      table, json or a Go template\n"
                   "  -n, --last N          Show the N last created containers (all states)\n"
                   "  -l, --latest          Show the latest created container (all states)\n"
                   "      --no-trunc        Don't truncate output\n"
                   "  -q, --quiet           Only display container IDs\n"
                   "  -s, --size            Display total file sizes\n");
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
    _cleanup_json_ json_t *fj = json_array();
    for (size_t k = 0; k < f.n_filters; k++)
        json_array_append_new(fj, json_string(f.filters[k]));
    struct store *store = NULL;
    if (f.n_filters || f.size)
        store_open(engine_opts.root, &store, NULL); /* for ancestor= and -s */
    struct psfilter pf = {0};
    int r = psfilter_parse(fj, recs, store, &pf, &err);
    if (r < 0) {
        store_free(store);
        json_decref(recs);
        engine_free(e);
        return cli_fail(&err, 125);
    }
    int64_t now = (int64_t)time(NULL);
    _cleanup_json_ json_t *rows = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        const char *st = jstr(json_object_get(rec, "State"), "Status");
        /* records are newest first: -n N takes the first N that pass, in every state */
        if (f.last > 0 && (long)json_array_size(rows) >= f.last)
            break;
        if ((!f.all && f.last <= 0 && !psfilter_wants_stopped(&pf) && !engine_status_live(st)) ||
            !psfilter_match(&pf, rec))
            continue;
        json_t *row = ps_row(rec, f.no_trunc, now);
        if (f.size) {
            _cleanup_free_ char *size = size_text(e, store, rec);
            json_object_set_new(row, "Size", json_string(size));
        }
        json_array_append_new(rows, row);
    }
    store_free(store);
    psfilter_clear(&pf);
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
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID", "Image", "IMAGE",
        "Command", "COMMAND", "CreatedAt", "CREATED AT", "RunningFor", "CREATED", "Ports",
        "PORTS", "State", "STATE", "Status", "STATUS", "Names", "NAMES", "Labels", "LABELS",
        "Networks", "NETWORKS", "Size", "SIZE");
    const char *fmt = f.format && strcmp(f.format, "table") != 0 ? f.format
                      : f.size ? "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
                                 "{{.Status}}\t{{.Ports}}\t{{.Names}}\t{{.Size}}"
                               : "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
                                 "{{.Status}}\t{{.Ports}}\t{{.Names}}";
    return format_print(fmt, rows, header);
}

/* One name for `inspect`: a container, else (unless --type says otherwise) an image, else a
 * volume, as docker looks them up. */
static int inspect_one(const struct engine *e, struct store *s, const char *name,
                       const char *type, bool size, json_t **ret)
{
    bool any = !type[0];
    struct hk_error err = {0};
    _cleanup_free_ char *id = NULL;
    if (any || !strcmp(type, "container")) {
        int r = record_resolve(e, name, &id, &err);
        if (r == 0 && inspect_container(e, id, ret, &err) < 0)
            return cli_fail(&err, 125);
        if (r == 0 && size) { /* -s: docker's SizeRw and SizeRootFs */
            uint64_t rw, img;
            container_sizes(e, s, *ret, &rw, &img);
            json_object_set_new(*ret, "SizeRw", json_integer((json_int_t)rw));
            json_object_set_new(*ret, "SizeRootFs", json_integer((json_int_t)(rw + img)));
        }
        if (r == 0)
            return 0;
        if (r != -ENOENT) { /* an ambiguous prefix */
            fprintf(stderr, "Error: %s\n", hk_error_msg(&err));
            return cli_op_error();
        }
    }
    struct image *img = NULL;
    if ((any || !strcmp(type, "image")) && s && image_lookup(s, name, &img, NULL) == 0) {
        *ret = image_inspect(img);
        image_free(img);
        return 0;
    }
    if ((any || !strcmp(type, "volume")) && volume_get(e, name, ret, NULL) == 0)
        return 0;
    const char *what = any ? "object" : type;
    fprintf(stderr, "Error: No such %s: %s\n", what, name);
    return cli_op_error();
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'}, {"type", required_argument, NULL, 'T'},
        {"size", no_argument, NULL, 's'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *format = NULL, *type = "";
    bool size = false;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+f:s", opts)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 's')
            size = true;
        else if (c == 'T')
            type = optarg;
        else if (c == 'h') {
            printf("Usage: hako inspect [OPTIONS] NAME|ID [NAME|ID...]\n\n"
                   "Return low-level information on containers, images or volumes\n\n"
                   "Options:\n"
                   "  -f, --format TEMPLATE  Format the output using a Go template (or json)\n"
                   "  -s, --size             Display total file sizes if the type is container\n"
                   "      --type TYPE        Return JSON for container, image or volume\n");
            return 0;
        } else
            return cli_unknown_flag("inspect", argc, argv);
    }
    if (type[0] && strcmp(type, "container") && strcmp(type, "image") && strcmp(type, "volume"))
        return cli_usage_error("inspect", "\"%s\" is not a valid value for --type", type);
    if (optind >= argc)
        return cli_usage_error("inspect", "\"hako inspect\" requires at least 1 argument.");
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    if (rc)
        return rc;
    struct store *s = NULL;
    store_open(engine_opts.root, &s, NULL);
    _cleanup_json_ json_t *all = json_array();
    for (int i = optind; i < argc; i++) {
        json_t *j = NULL;
        int r = inspect_one(e, s, argv[i], type, size, &j);
        if (r)
            rc = r;
        else
            json_array_append_new(all, j);
    }
    store_free(s);
    engine_free(e);
    /* docker prints the objects it found ("[]" when none) and the errors after them */
    int fr = format_inspect(format, all, 0, 125);
    return fr ? fr : rc;
}
