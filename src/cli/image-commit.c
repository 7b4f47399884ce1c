/* image-commit.c — `hako commit` (a container's changes as a new image) and `hako history`
 * (an image's history entries, as docker's columns). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "cli/image-common.h"
#include "engine/commit.h"
#include "engine/template.h"
#include "image/image.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"

static int change_cb(json_t *config, void *ud, struct hk_error *err)
{
    return cli_apply_changes(ud, config, err);
}

static int commit_usage(FILE *f, int rc)
{
    fprintf(f, "Usage: hako commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n\n"
               "Create a new image from a container's changes\n\n"
               "  -a, --author TEXT      author (\"Jane <jane@example.com>\")\n"
               "  -c, --change INSTR     apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV,\n"
               "                         EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME,\n"
               "                         WORKDIR)\n"
               "  -m, --message TEXT     the history comment\n"
               "  -p, --pause BOOL       freeze the container while committing (default true)\n"
               "      --compression ALG  gzip (default), zstd or uncompressed\n");
    return rc;
}

static bool parse_bool(const char *s, bool *ret)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        *ret = true;
    else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
        *ret = false;
    else
        return false;
    return true;
}

int cmd_commit(int argc, char **argv)
{
    static const struct option opts[] = {{"author", required_argument, NULL, 'a'},
                                         {"change", required_argument, NULL, 'c'},
                                         {"message", required_argument, NULL, 'm'},
                                         {"pause", optional_argument, NULL, 'p'},
                                         {"compression", required_argument, NULL, 'z'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct commit_request q = {.pause = true, .change = change_cb};
    _cleanup_json_ json_t *changes = json_array();
    struct hk_error err = {0};
    int c;
    while ((c = cli_getopt(argc, argv, "+a:c:m:p::h", opts)) != -1) {
        switch (c) {
        case 'a': q.author = optarg; break;
        case 'm': q.comment = optarg; break;
        case 'c': json_array_append_new(changes, json_string(optarg)); break;
        case 'p':
            if (optarg && !parse_bool(optarg, &q.pause))
                return cli_usage_error("commit", "invalid --pause value '%s'", optarg);
            break;
        case 'z':
            if (layer_compression_parse(optarg, &q.compression, &err) < 0)
                return cli_fail(&err, 125);
            break;
        case 'h': return commit_usage(stdout, 0);
        default: return commit_usage(stderr, 125);
        }
    }
    if (argc - optind < 1 || argc - optind > 2)
        return cli_usage_error("commit", "\"commit\" requires at least 1 and at most 2 arguments.");
    q.change_ud = changes;
    _cleanup_free_ char *tag = NULL, *id = NULL;
    int rc = optind + 1 < argc ? cli_tag_arg("commit", argv[optind + 1], &tag) : 0;
    q.tag = tag;
    struct engine *e = NULL;
    struct store *s = NULL;
    if (rc || (rc = cli_engine_open(&e)) || (rc = cli_resolve(e, argv[optind], &id)) ||
        (rc = cli_store_open(&s))) {
        engine_free(e);
        return rc;
    }
    q.id = id;
    char image_id[DIGEST_STR_SIZE];
    if (engine_commit(e, s, &q, image_id, &err) < 0)
        rc = cli_fail(&err, 125);
    else
        printf("%s\n", image_id);
    store_free(s);
    engine_free(e);
    return rc;
}

/* One row per history entry, newest first: {ID, CreatedAt, CreatedSince, CreatedBy, Size,
 * Comment}. Layer sizes come from the store's unpacked layers, in order of the non-empty
 * entries. */
static json_t *history_rows(const struct image *img)
{
    json_t *rows = json_array();
    json_t *hist = json_object_get(img->config, "history");
    json_t *layers = json_object_get(img->record, "layers");
    size_t li = 0, i;
    json_t *h;
    time_t now = time(NULL);
    json_array_foreach(hist, i, h)
    {
        bool empty = json_is_true(json_object_get(h, "empty_layer"));
        uint64_t size = 0;
        if (!empty)
            size = (uint64_t)json_integer_value(
                json_object_get(json_array_get(layers, li++), "unpacked_size"));
        const char *created = json_string_value(json_object_get(h, "created"));
        int64_t t = human_parse_time(created);
        char since[64], sz[32];
        if (t < 0)
            snprintf(since, sizeof(since), "N/A");
        else
            snprintf(since, sizeof(since), "%s ago", human_duration(now - t, sz, sizeof(sz)));
        human_size(size, sz, sizeof(sz));
        const char *by = json_string_value(json_object_get(h, "created_by"));
        const char *comment = json_string_value(json_object_get(h, "comment"));
        json_array_insert_new(
            rows, 0,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "<missing>", "CreatedAt",
                      created ? created : "", "CreatedSince", since, "CreatedBy", by ? by : "",
                      "Size", sz, "Comment", comment ? comment : ""));
    }
    if (json_array_size(rows))
        json_object_set_new(json_array_get(rows, 0), "ID", json_string(img->id));
    return rows;
}

static void print_history_table(json_t *rows, bool no_trunc)
{
    printf("%-15s %-16s %-45s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *id = json_string_value(json_object_get(r, "ID"));
        char idbuf[16], by[64];
        if (!no_trunc && strncmp(id, "sha256:", 7) == 0) {
            snprintf(idbuf, sizeof(idbuf), "%.12s", id + 7);
            id = idbuf;
        }
        const char *cb = json_string_value(json_object_get(r, "CreatedBy"));
        if (!no_trunc && strlen(cb) > 45) {
            snprintf(by, sizeof(by), "%.44s…", cb);
            cb = by;
        }
        printf("%-15s %-16s %-45s %-10s %s\n", id,
               json_string_value(json_object_get(r, "CreatedSince")), cb,
               json_string_value(json_object_get(r, "Size")),
               json_string_value(json_object_get(r, "Comment")));
    }
}

static int print_history(json_t *rows, const char *format, bool quiet, bool no_trunc)
{
    size_t i;
    json_t *r;
    if (!format && !quiet) {
        print_history_table(rows, no_trunc);
        return 0;
    }
    json_array_foreach(rows, i, r)
    {
        const char *id = json_string_value(json_object_get(r, "ID"));
        if (quiet) {
            if (no_trunc || strncmp(id, "sha256:", 7) != 0)
                printf("%s\n", id);
            else
                printf("%.12s\n", id + 7);
            continue;
        }
        struct hk_error err = {0};
        char *out = NULL;
        if (strcmp(format, "json") == 0)
            out = json_dump_compact(r);
        else if (template_render(format, r, &out, &err) < 0)
            return cli_fail(&err, 125);
        printf("%s\n", out);
        free(out);
    }
    return 0;
}

int cmd_history(int argc, char **argv)
{
    static const struct option opts[] = {{"no-trunc", no_argument, NULL, 'n'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"human", optional_argument, NULL, 'H'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool no_trunc = false, quiet = false;
    const char *format = NULL;
    int c;
    while ((c = cli_getopt(argc, argv, "qH::h", opts)) != -1) {
        if (c == 'n')
            no_trunc = true;
        else if (c == 'f')
            format = optarg;
        else if (c == 'q')
            quiet = true;
        else if (c == 'H' && (!optarg || strcmp(optarg, "true") == 0))
            continue;
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "Usage: hako history [OPTIONS] IMAGE\n\n"
                    "Show the history of an image\n\n"
                    "Options:\n"
                    "      --format TEMPLATE  table, json or a Go template\n"
                    "  -H, --human[=true]     Sizes and dates human readable (the only "
                    "way)\n"
                    "      --no-trunc         Do not truncate the output\n"
                    "  -q, --quiet            Only show image IDs\n");
            return c == 'h' ? 0 : 125;
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("history", "\"history\" requires exactly 1 argument.");
    struct store *s = NULL;
    int rc = cli_store_open(&s);
    if (rc)
        return rc;
    struct hk_error err = {0};
    struct image *img = NULL;
    if (image_lookup(s, argv[optind], &img, &err) < 0) {
        store_free(s);
        return cli_fail(&err, 1);
    }
    json_t *rows = history_rows(img);
    rc = print_history(rows, format, quiet, no_trunc);
    json_decref(rows);
    image_free(img);
    store_free(s);
    return rc;
}
