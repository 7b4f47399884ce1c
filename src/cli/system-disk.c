/* system-disk.c — docker's disk commands: `system df [-v]`, `system prune`, `image prune`. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/container-table.h"
#include "cli/container.h"
#include "cli/image-common.h"
#include "engine/lifecycle.h"
#include "engine/list.h"
#include "engine/net/network.h"
#include "engine/options.h"
#include "engine/psfilter.h"
#include "engine/volume.h"
#include "image/image.h"
#include "image/reference.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* What the image store holds on disk: layers and blobs. */
static uint64_t store_bytes(void)
{
    uint64_t n = 0;
    static const char *const dirs[] = {"layers", "blobs"};
    for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
        _cleanup_free_ char *d = xasprintf("%s/%s", engine_opts.root, dirs[i]);
        long long b = volume_dir_size(d);
        n += b > 0 ? (uint64_t)b : 0;
    }
    return n;
}

/* The IDs of the images containers use (an object: ID → count). */
static json_t *images_in_use(const json_t *containers)
{
    json_t *used = json_object();
    size_t i;
    json_t *c;
    json_array_foreach(containers, i, c)
    {
        const char *img = jstr(c, "Image");
        json_object_set_new(used, img, json_integer(json_integer_value(json_object_get(used, img)) + 1));
    }
    return used;
}

/* image prune's --filter: until=TIME, label=K[=V], label!=K[=V]. */
static int prune_filter_check(const json_t *filters, struct hk_error *err)
{
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *s = json_string_value(f);
        int64_t t;
        if (strncmp(s, "until=", 6) == 0) {
            if (opt_parse_time(s + 6, 0, &t, err) < 0)
                return -EINVAL;
        } else if (strncmp(s, "label=", 6) != 0 && strncmp(s, "label!=", 7) != 0) {
            return hk_error_set(err, -EINVAL, "Invalid filter '%.*s'", (int)strcspn(s, "!="), s);
        }
    }
    return 0;
}

static bool prune_filter_pass(const json_t *filters, const json_t *rec, const json_t *labels)
{
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f)
    {
        const char *s = json_string_value(f);
        int64_t t = 0;
        if (strncmp(s, "until=", 6) == 0) {
            opt_parse_time(s + 6, (int64_t)time(NULL) * 1000000000, &t, NULL);
            if (human_parse_time(jstr(rec, "created")) * 1000000000 >= t)
                return false;
        } else if (strncmp(s, "label=", 6) == 0 && !filters_label(labels, s + 6)) {
            return false;
        } else if (strncmp(s, "label!=", 7) == 0 && filters_label(labels, s + 7)) {
            return false;
        }
    }
    return true;
}

/* Remove the dangling images (untagged, not a build's intermediate step), or with all every
 * image no container uses; prints docker's "Deleted Images:" list. */
static int images_prune(struct store *s, const json_t *containers, bool all,
                        const json_t *filters, uint64_t *reclaimed, struct hk_error *err)
{
    _cleanup_json_ json_t *records = NULL;
    int r = image_records(s, &records, err);
    if (r < 0)
        return r;
    _cleanup_json_ json_t *used = images_in_use(containers);
    _cleanup_json_ json_t *tagged = json_object();
    const char *tag, *id;
    json_t *v, *rec;
    json_object_foreach(json_object_get(records, "tags"), tag, v)
        json_object_set_new(tagged, json_string_value(v), json_true());
    uint64_t before = store_bytes();
    bool any = false;
    json_object_foreach(json_object_get(records, "images"), id, rec)
    {
        if (json_object_get(used, id) ||
            (!all && (json_object_get(tagged, id) ||
                      json_is_true(json_object_get(rec, "intermediate")))))
            continue;
        struct image *img = NULL;
        if (json_array_size(filters)) {
            if (image_lookup(s, id, &img, NULL) < 0)
                continue;
            bool pass = prune_filter_pass(
                filters, rec, json_object_get(json_object_get(img->config, "config"), "Labels"));
            image_free(img);
            if (!pass)
                continue;
        }
        /* by each tag (docker untags them one by one; the last takes the image), or by ID */
        _cleanup_json_ json_t *names = json_array();
        json_object_foreach(json_object_get(records, "tags"), tag, v)
            if (strcmp(json_string_value(v), id) == 0)
                json_array_append_new(names, json_string(tag));
        if (!json_array_size(names))
            json_array_append_new(names, json_string(id));
        size_t k, t;
        json_t *name;
        json_array_foreach(names, t, name)
        {
            struct image_removal res = {0};
            struct hk_error rerr = {0};
            if (image_remove(s, json_string_value(name), false, &res, &rerr) < 0)
                break; /* in use since, or a parent: kept, as docker keeps it */
            if (!any)
                printf("Deleted Images:\n");
            any = true;
            json_array_foreach(res.untagged, k, v)
            {
                _cleanup_free_ char *f = ref_familiar(json_string_value(v));
                printf("untagged: %s\n", f);
            }
            if (res.deleted)
                printf("deleted: %s\n", res.deleted);
            image_removal_clear(&res);
        }
    }
    if (any)
        printf("\n");
    uint64_t after = store_bytes();
    *reclaimed += before > after ? before - after : 0;
    return 0;
}

int cli_containers_prune(struct engine *e, uint64_t *reclaimed, struct hk_error *err)
{
    /* what each stopped container's upper layer holds, before they go */
    _cleanup_json_ json_t *before = NULL, *sizes = json_object(), *removed = NULL;
    size_t i;
    json_t *v;
    if (record_list(e, &before, NULL) == 0)
        json_array_foreach(before, i, v)
        {
            _cleanup_free_ char *dir = engine_dir(e, jstr(v, "Id"));
            _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
            long long b = volume_dir_size(upper);
            json_object_set_new(sizes, jstr(v, "Id"), json_integer(b > 0 ? b : 0));
        }
    int r = engine_prune(e, &removed, err);
    if (r < 0)
        return r;
    if (json_array_size(removed)) {
        printf("Deleted Containers:\n");
        json_array_foreach(removed, i, v)
        {
            printf("%s\n", json_string_value(v));
            *reclaimed += (uint64_t)json_integer_value(json_object_get(sizes,
                                                                       json_string_value(v)));
        }
        printf("\n");
    }
    return 0;
}

static int open_both(struct engine **e, struct store **s)
{
    int rc = cli_engine_open(e);
    if (rc == 0 && (rc = cli_store_open(s)) != 0)
        engine_free(*e);
    return rc;
}

/* The images part of a prune (last: the containers' removal frees images), then the total;
 * closes e and s. */
static int finish_prune(struct engine *e, struct store *s, bool all, const json_t *filters,
                        uint64_t reclaimed, struct hk_error *err)
{
    _cleanup_json_ json_t *containers = NULL;
    int r = record_list(e, &containers, err);
    if (r == 0)
        r = images_prune(s, containers, all, filters, &reclaimed, err);
    store_free(s);
    engine_free(e);
    if (r < 0)
        return cli_fail(err, 1);
    char buf[32];
    printf("Total reclaimed space: %s\n", human_size(reclaimed, buf, sizeof(buf)));
    return 0;
}

int cli_prune_flags(int argc, char **argv, const char *cmd, bool volumes, const char *help,
                    struct prune_opts *o)
{
    static const struct option opts[] = {
        {"volumes", no_argument, NULL, 'V'}, {"all", no_argument, NULL, 'a'},
        {"force", no_argument, NULL, 'f'},   {"filter", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},    {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    /* --volumes only where it means something (system prune) */
    while ((c = cli_getopt(argc, argv, "+af", opts + (volumes ? 0 : 1))) != -1) {
        if (c == 'a')
            o->all = true;
        else if (c == 'f')
            o->force = true;
        else if (c == 'V' && volumes)
            o->volumes = true;
        else if (c == 'F')
            json_array_append_new(o->filters, json_string(optarg));
        else if (c == 'h')
            return printf("%s", help), -1;
        else
            return cli_unknown_flag(cmd, argc, argv);
    }
    if (optind < argc)
        return cli_usage_error(cmd, "\"hako %s\" accepts no arguments.", cmd);
    return 0;
}

int cmd_image_prune(int argc, char **argv)
{
    _cleanup_json_ json_t *filters = json_array();
    struct prune_opts o = {.filters = filters};
    int rc = cli_prune_flags(argc, argv, "image prune", false,
                             "Usage: hako image prune [OPTIONS]\n\nRemove unused images\n\n"
                             "Options:\n"
                             "  -a, --all             Remove all unused images, not just "
                             "dangling ones\n"
                             "      --filter FILTER   until=TIME, label=K[=V], label!=K[=V]\n"
                             "  -f, --force           Do not prompt for confirmation\n",
                             &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    bool all = o.all, force = o.force;
    struct hk_error err = {0};
    if (prune_filter_check(filters, &err) < 0)
        return cli_fail(&err, 1);
    if (!force && !cli_confirm(all ? "all images without at least one container associated "
                                     "to them"
                                   : "all dangling images"))
        return 0;
    struct engine *e = NULL;
    struct store *s = NULL;
    if ((rc = open_both(&e, &s)))
        return rc;
    return finish_prune(e, s, all, filters, 0, &err);
}

static int system_prune(int argc, char **argv)
{
    _cleanup_json_ json_t *filters = json_array();
    struct prune_opts o = {.filters = filters};
    int rc = cli_prune_flags(argc, argv, "system prune", true,
                             "Usage: hako system prune [OPTIONS]\n\nRemove unused data\n\n"
                             "Options:\n"
                             "  -a, --all             Remove all unused images not just "
                             "dangling ones\n"
                             "      --filter FILTER   until=TIME, label=K[=V], label!=K[=V] "
                             "(images)\n"
                             "  -f, --force           Do not prompt for confirmation\n"
                             "      --volumes         Prune anonymous volumes\n",
                             &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    bool all = o.all, force = o.force, volumes = o.volumes;
    struct hk_error err = {0};
    if (prune_filter_check(filters, &err) < 0)
        return cli_fail(&err, 1);
    if (!force) {
        fprintf(stderr, "WARNING! This will remove:\n  - all stopped containers\n"
                        "  - all networks not used by at least one container\n%s"
                        "  - %s\n\n"
                        "Are you sure you want to continue? [y/N] ",
                volumes ? "  - all anonymous volumes not used by at least one container\n" : "",
                all ? "all images without at least one container associated to them"
                    : "all dangling images");
        char line[16] = "";
        if (!fgets(line, sizeof(line), stdin) || (line[0] != 'y' && line[0] != 'Y'))
            return 0;
    }
    struct engine *e = NULL;
    struct store *s = NULL;
    if ((rc = open_both(&e, &s)))
        return rc;
    _cleanup_json_ json_t *nets = NULL, *vols = NULL;
    uint64_t reclaimed = 0;
    size_t i;
    json_t *v;
    int r = cli_containers_prune(e, &reclaimed, &err);
    if (r == 0)
        r = network_list(e, &nets, &err);
    bool any = false;
    json_array_foreach(nets, i, v)
    {
        struct hk_error nerr = {0};
        const char *name = jstr(v, "Name");
        if (strcmp(name, "bridge") == 0 || network_remove(e, name, &nerr) < 0)
            continue; /* the default, or in use */
        printf("%s%s\n", any ? "" : "Deleted Networks:\n", name);
        any = true;
    }
    if (any)
        printf("\n");
    long long vbytes = 0;
    if (r == 0 && volumes) {
        _cleanup_json_ json_t *none = json_array();
        r = volume_prune(e, false, none, &vols, &vbytes, &err);
        if (r == 0 && json_array_size(vols)) {
            printf("Deleted Volumes:\n");
            json_array_foreach(vols, i, v)
                printf("%s\n", json_string_value(v));
            printf("\n");
        }
        reclaimed += vbytes > 0 ? (uint64_t)vbytes : 0;
    }
    if (r < 0) {
        store_free(s);
        engine_free(e);
        return cli_fail(&err, 1);
    }
    return finish_prune(e, s, all, filters, reclaimed, &err);
}

/* --- system df ------------------------------------------------------------------------- */

struct df {
    json_t *rows;                /* the summary rows, docker's {{.Type}} {{.TotalCount}} ... */
    json_t *images, *containers, *volumes; /* -v rows */
    uint64_t cache_bytes;
    size_t cache_entries;
};

static json_t *df_row(const char *type, size_t total, size_t active, uint64_t size,
                      uint64_t reclaimable, bool percent)
{
    char a[32], b[32], rc[64], t[24], ac[24];
    human_size(size, a, sizeof(a));
    human_size(reclaimable, b, sizeof(b));
    if (percent)
        snprintf(rc, sizeof(rc), "%s (%d%%)", b, size ? (int)(reclaimable * 100 / size) : 0);
    else
        snprintf(rc, sizeof(rc), "%s", b);
    snprintf(t, sizeof(t), "%zu", total);
    snprintf(ac, sizeof(ac), "%zu", active);
    return json_pack("{s:s,s:s,s:s,s:s,s:s}", "Type", type, "TotalCount", t, "Active", ac,
                     "Size", a, "Reclaimable", rc);
}

static uint64_t layer_size(const json_t *l)
{
    return (uint64_t)json_integer_value(json_object_get(l, "unpacked_size"));
}

static void df_images(struct df *d, const json_t *records, const json_t *used, int64_t now)
{
    json_t *layer_users = json_object(), *layer_active = json_object();
    const char *id, *tag;
    json_t *rec, *l, *v;
    size_t i, n = 0, active = 0;
    json_object_foreach(json_object_get(records, "images"), id, rec)
    {
        n++;
        bool in_use = json_object_get(used, id) != NULL;
        active += in_use;
        json_array_foreach(json_object_get(rec, "layers"), i, l)
        {
            const char *chain = jstr(l, "chain_id");
            json_object_set_new(layer_users, chain,
                                json_integer(json_integer_value(json_object_get(layer_users,
                                                                                chain)) + 1));
            if (in_use)
                json_object_set_new(layer_active, chain, json_true());
        }
    }
    uint64_t total = 0, reclaimable = 0;
    json_t *seen = json_object();
    json_object_foreach(json_object_get(records, "images"), id, rec)
    {
        uint64_t shared = 0;
        json_array_foreach(json_object_get(rec, "layers"), i, l)
        {
            const char *chain = jstr(l, "chain_id");
            if (json_integer_value(json_object_get(layer_users, chain)) > 1)
                shared += layer_size(l);
            if (json_object_get(seen, chain))
                continue;
            json_object_set_new(seen, chain, json_true());
            total += layer_size(l);
            if (!json_object_get(layer_active, chain))
                reclaimable += layer_size(l);
        }
        uint64_t size = (uint64_t)json_integer_value(json_object_get(rec, "size"));
        char sz[32], sh[32], un[32], ago[64] = "N/A", cont[24];
        int64_t created = human_parse_time(jstr(rec, "created"));
        if (created >= 0) {
            human_duration(now - created, ago, sizeof(ago));
            strcat(ago, " ago");
        }
        snprintf(cont, sizeof(cont), "%lld",
                 (long long)json_integer_value(json_object_get(used, id)));
        char short_id[13];
        snprintf(short_id, sizeof(short_id), "%.12s", digest_hex(id));
        bool tagged = false;
        json_object_foreach(json_object_get(records, "tags"), tag, v)
        {
            if (strcmp(json_string_value(v), id) != 0)
                continue;
            tagged = true;
            _cleanup_free_ char *fam = ref_familiar(tag);
            char *colon = strrchr(fam, ':');
            *colon = '\0';
            json_array_append_new(
                d->images,
                json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Repository", fam, "Tag",
                          colon + 1, "ID", short_id, "CreatedSince", ago, "Size",
                          human_size(size, sz, sizeof(sz)), "SharedSize",
                          human_size(shared, sh, sizeof(sh)), "UniqueSize",
                          human_size(size - (shared < size ? shared : size), un, sizeof(un)),
                          "Containers", cont));
        }
        if (!tagged)
            json_array_append_new(
                d->images,
                json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Repository", "<none>", "Tag",
                          "<none>", "ID", short_id, "CreatedSince", ago, "Size",
                          human_size(size, sz, sizeof(sz)), "SharedSize",
                          human_size(shared, sh, sizeof(sh)), "UniqueSize",
                          human_size(size - (shared < size ? shared : size), un, sizeof(un)),
                          "Containers", cont));
    }
    json_decref(seen);
    json_decref(layer_users);
    json_decref(layer_active);
    json_array_append_new(d->rows, df_row("Images", n, active, total, reclaimable, true));
}

static void df_containers(struct df *d, const struct engine *e, const json_t *containers,
                          int64_t now)
{
    uint64_t total = 0, reclaimable = 0;
    size_t i, active = 0;
    json_t *c;
    json_array_foreach(containers, i, c)
    {
        _cleanup_free_ char *dir = engine_dir(e, jstr(c, "Id"));
        _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
        long long b = volume_dir_size(upper);
        uint64_t size = b > 0 ? (uint64_t)b : 0;
        const json_t *st = json_object_get(c, "State");
        bool live = engine_status_live(jstr(st, "Status"));
        active += live;
        total += size;
        if (!live)
            reclaimable += size;
        char sz[32], ago[64], vols[24];
        human_duration(now - human_parse_time(jstr(c, "Created")), ago, sizeof(ago));
        strcat(ago, " ago");
        snprintf(vols, sizeof(vols), "%zu", json_array_size(json_object_get(c, "Mounts")));
        _cleanup_free_ char *status = engine_status_text(st, now);
        _cleanup_free_ char *cmd = xasprintf("\"%s\"", jstr(c, "Path"));
        const char *name = jstr(c, "Name");
        json_array_append_new(
            d->containers,
            json_pack("{s:s%,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", jstr(c, "Id"), (size_t)12,
                      "Image", jstr(json_object_get(c, "Config"), "Image"), "Command", cmd,
                      "LocalVolumes", vols, "Size", human_size(size, sz, sizeof(sz)),
                      "RunningFor", ago, "Status", status, "Names",
                      name[0] == '/' ? name + 1 : name));
    }
    json_array_append_new(d->rows, df_row("Containers", json_array_size(containers), active,
                                          total, reclaimable, true));
}

static void df_volumes(struct df *d, const struct engine *e)
{
    _cleanup_json_ json_t *vols = NULL;
    volume_list(e, &vols, NULL);
    uint64_t total = 0, reclaimable = 0;
    size_t i, active = 0;
    json_t *v;
    json_array_foreach(vols, i, v)
    {
        _cleanup_free_ char *data = xasprintf("%s/volumes/%s/_data", engine_opts.root,
                                              jstr(v, "Name"));
        long long b = volume_dir_size(data);
        uint64_t size = b > 0 ? (uint64_t)b : 0;
        _cleanup_json_ json_t *users = volume_users(e, jstr(v, "Name"));
        active += json_array_size(users) > 0;
        total += size;
        if (!json_array_size(users))
            reclaimable += size;
        char sz[32], links[24];
        snprintf(links, sizeof(links), "%zu", json_array_size(users));
        json_array_append_new(d->volumes,
                              json_pack("{s:s,s:s,s:s}", "Name", jstr(v, "Name"), "Links", links,
                                        "Size", human_size(size, sz, sizeof(sz))));
    }
    json_array_append_new(d->rows, df_row("Local Volumes", json_array_size(vols), active, total,
                                          reclaimable, true));
}

static void df_cache(struct df *d)
{
    _cleanup_free_ char *dir = xasprintf("%s/build-cache", engine_opts.root);
    long long b = volume_dir_size(dir);
    d->cache_bytes = b > 0 ? (uint64_t)b : 0;
    DIR *dd = opendir(dir);
    struct dirent *de;
    while (dd && (de = readdir(dd)))
        d->cache_entries += de->d_type == DT_REG;
    if (dd)
        closedir(dd);
    /* build steps are reused while their images exist: none is reclaimable on its own */
    json_array_append_new(d->rows,
                          df_row("Build Cache", d->cache_entries, 0, d->cache_bytes, 0, false));
}

static int system_df(int argc, char **argv)
{
    static const struct option opts[] = {
        {"verbose", no_argument, NULL, 'v'},      {"format", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    bool verbose = false;
    const char *format = NULL;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+v", opts)) != -1) {
        if (c == 'v')
            verbose = true;
        else if (c == 'F')
            format = optarg;
        else if (c == 'h') {
            printf("Usage: hako system df [OPTIONS]\n\nShow docker disk usage\n\nOptions:\n"
                   "      --format FMT   table (default), json or a Go template\n"
                   "  -v, --verbose      Show detailed information on space usage\n");
            return 0;
        } else
            return cli_unknown_flag("system df", argc, argv);
    }
    if (optind < argc)
        return cli_usage_error("system df", "\"hako system df\" accepts no arguments.");
    struct engine *e = NULL;
    struct store *s = NULL;
    int rc = open_both(&e, &s);
    if (rc)
        return rc;
    struct hk_error err = {0};
    _cleanup_json_ json_t *records = NULL, *containers = NULL, *used = NULL;
    int r = image_records(s, &records, &err);
    if (r == 0)
        r = record_list(e, &containers, &err);
    struct df d = {.rows = json_array(), .images = json_array(), .containers = json_array(),
                   .volumes = json_array()};
    int64_t now = (int64_t)time(NULL);
    if (r == 0) {
        used = images_in_use(containers);
        df_images(&d, records, used, now);
        df_containers(&d, e, containers, now);
        df_volumes(&d, e);
        df_cache(&d);
    }
    store_free(s);
    engine_free(e);
    if (r < 0)
        rc = cli_fail(&err, 1);
    else if (format && strcmp(format, "json") == 0) {
        size_t i;
        json_t *row;
        json_array_foreach(d.rows, i, row)
        {
            _cleanup_free_ char *text = json_dumps(row, JSON_COMPACT);
            printf("%s\n", text);
        }
    } else if (format && strcmp(format, "table") != 0) {
        rc = format_print(format, d.rows, NULL);
    } else if (!verbose) {
        _cleanup_json_ json_t *h = json_pack("{s:s,s:s,s:s,s:s,s:s}", "Type", "TYPE",
                                             "TotalCount", "TOTAL", "Active", "ACTIVE", "Size",
                                             "SIZE", "Reclaimable", "RECLAIMABLE");
        rc = format_print("table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t"
                          "{{.Reclaimable}}",
                          d.rows, h);
    } else {
        _cleanup_json_ json_t *hi = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Repository", "REPOSITORY", "Tag", "TAG", "ID",
            "IMAGE ID", "CreatedSince", "CREATED", "Size", "SIZE", "SharedSize", "SHARED SIZE",
            "UniqueSize", "UNIQUE SIZE", "Containers", "CONTAINERS");
        _cleanup_json_ json_t *hc = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID", "Image", "IMAGE",
            "Command", "COMMAND", "LocalVolumes", "LOCAL VOLUMES", "Size", "SIZE", "RunningFor",
            "CREATED", "Status", "STATUS", "Names", "NAMES");
        _cleanup_json_ json_t *hv =
            json_pack("{s:s,s:s,s:s}", "Name", "VOLUME NAME", "Links", "LINKS", "Size", "SIZE");
        char cache[32];
        printf("Images space usage:\n\n");
        format_print("table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t"
                     "{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
                     d.images, hi);
        printf("\nContainers space usage:\n\n");
        format_print("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t"
                     "{{.RunningFor}}\t{{.Status}}\t{{.Names}}",
                     d.containers, hc);
        printf("\nLocal Volumes space usage:\n\n");
        format_print("table {{.Name}}\t{{.Links}}\t{{.Size}}", d.volumes, hv);
        printf("\nBuild cache usage: %s\n", human_size(d.cache_bytes, cache, sizeof(cache)));
    }
    json_decref(d.rows);
    json_decref(d.images);
    json_decref(d.containers);
    json_decref(d.volumes);
    return rc;
}

int cmd_system_disk(int argc, char **argv)
{
    return strcmp(argv[0], "df") == 0 ? system_df(argc, argv) : system_prune(argc, argv);
}
