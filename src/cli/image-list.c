/* image-list.c — `hako images` / `hako image ls`: a docker-shaped table, JSON lines or IDs. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/image-common.h"
#include "image/image.h"
#include "image/reference.h"
#include "util/fs.h"
#include "util/human.h"

struct row {
    char *repo, *tag, *id, *digest;
    int64_t created;
    uint64_t size;
};

static void row_free(struct row *r)
{
    free(r->repo);
    free(r->tag);
    free(r->id);
    free(r->digest);
}

/* Newest first, then by repository and tag. */
static int row_cmp(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->created != y->created)
        return x->created > y->created ? -1 : 1;
    int c = strcmp(x->repo, y->repo);
    return c ? c : strcmp(x->tag, y->tag);
}

static void add_row(struct row **rows, size_t *n, const char *id, json_t *rec, const char *tag)
{
    *rows = xrealloc(*rows, (*n + 1) * sizeof(**rows));
    struct row *r = &(*rows)[(*n)++];
    const char *rd = json_string_value(json_array_get(json_object_get(rec, "repo_digests"), 0));
    *r = (struct row){.id = xstrdup(id), .digest = xstrdup(rd ? strchr(rd, '@') + 1 : "<none>")};
    r->created = human_parse_time(json_string_value(json_object_get(rec, "created")));
    r->size = (uint64_t)json_integer_value(json_object_get(rec, "size"));
    const char *name = tag ? tag : rd;
    if (!name) {
        r->repo = xstrdup("<none>");
        r->tag = xstrdup("<none>");
        return;
    }
    _cleanup_free_ char *fam = ref_familiar(name);
    char *sep = tag ? strrchr(fam, ':') : strchr(fam, '@');
    *sep = '\0';
    r->repo = xstrdup(fam);
    r->tag = xstrdup(tag ? sep + 1 : "<none>");
}

/* One row per tag; an untagged image gets one row (named by a repo digest if it has one). */
static struct row *collect(json_t *records, const char *filter, bool all, size_t *ret_n)
{
    struct row *rows = NULL;
    size_t n = 0;
    const char *id;
    json_t *rec;
    json_object_foreach(json_object_get(records, "images"), id, rec)
    {
        bool tagged = false;
        const char *tag;
        json_t *v;
        json_object_foreach(json_object_get(records, "tags"), tag, v)
        {
            if (strcmp(json_string_value(v), id) != 0)
                continue;
            tagged = true;
            if (!filter || strncmp(tag, filter, strlen(filter)) == 0)
                add_row(&rows, &n, id, rec, tag);
        }
        if (!tagged && !filter && (all || !json_is_true(json_object_get(rec, "intermediate"))))
            add_row(&rows, &n, id, rec, NULL);
    }
    if (n > 1)
        qsort(rows, n, sizeof(*rows), row_cmp);
    *ret_n = n;
    return rows;
}

static void print_json(const struct row *r, bool no_trunc, int64_t now)
{
    char size[32], ago[64], created_at[64] = "N/A";
    human_size(r->size, size, sizeof(size));
    if (r->created >= 0) {
        time_t t = (time_t)r->created;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(created_at, sizeof(created_at), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
        human_duration(now - r->created, ago, sizeof(ago));
        strcat(ago, " ago");
    } else {
        strcpy(ago, "N/A");
    }
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", "N/A",
                  "CreatedAt", created_at, "CreatedSince", ago, "Digest", r->digest, "ID",
                  no_trunc ? r->id : digest_hex(r->id), "Repository", r->repo, "SharedSize", "N/A",
                  "Size", size, "Tag", r->tag, "UniqueSize", "N/A", "VirtualSize", size);
    if (!no_trunc)
        json_object_set_new(j, "ID", json_stringn(digest_hex(r->id), 12));
    char *s = json_dumps(j, JSON_COMPACT);
    puts(s);
    free(s);
    json_decref(j);
}

/* Columns as docker's tabwriter lays them out: width = max(longest + 3, 10). */
static void print_table(const struct row *rows, size_t n, bool no_trunc, int64_t now)
{
    char(*cells)[5][96] = xcalloc(n + 1, sizeof(*cells));
    static const char *const head[] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};
    size_t w[5] = {0};
    for (size_t c = 0; c < 5; c++)
        snprintf(cells[0][c], sizeof(cells[0][c]), "%s", head[c]);
    for (size_t i = 0; i < n; i++) {
        char(*row)[96] = cells[i + 1];
        snprintf(row[0], 96, "%s", rows[i].repo);
        snprintf(row[1], 96, "%s", rows[i].tag);
        snprintf(row[2], 96, "%.*s", no_trunc ? 71 : 12,
                 no_trunc ? rows[i].id : digest_hex(rows[i].id));
        if (rows[i].created >= 0) {
            char ago[64];
            snprintf(row[3], 96, "%s ago", human_duration(now - rows[i].created, ago, sizeof(ago)));
        } else {
            snprintf(row[3], 96, "N/A");
        }
        human_size(rows[i].size, row[4], 96);
    }
    for (size_t i = 0; i <= n; i++)
        for (size_t c = 0; c < 5; c++)
            if (strlen(cells[i][c]) + 3 > w[c])
                w[c] = strlen(cells[i][c]) + 3;
    for (size_t i = 0; i <= n; i++) {
        for (size_t c = 0; c < 4; c++)
            printf("%-*s", (int)(w[c] < 10 ? 10 : w[c]), cells[i][c]);
        printf("%s\n", cells[i][4]);
    }
    free(cells);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: hako images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
               "List images\n\n"
               "Options:\n"
               "  -q, --quiet          only show image IDs\n"
               "  -a, --all            also show the intermediate images of builds\n"
               "      --format FMT     table (default) or json (one object per line)\n"
               "      --no-trunc       do not truncate image IDs\n");
}

/* The repository (and tag, when one was written) an optional argument selects, as a prefix of
 * normalized tags. */
static int filter_of(const char *arg, char **ret)
{
    struct image_ref ref = {0};
    struct hk_error err = {0};
    if (ref_parse(arg, &ref, &err) < 0)
        return cli_fail(&err, 125);
    *ret = ref.tag_default ? xasprintf("%s/%s:", ref.domain, ref.path) : ref_string(&ref);
    ref_clear(&ref);
    return 0;
}

int cmd_images(int argc, char **argv)
{
    static const struct option opts[] = {
        {"quiet", no_argument, NULL, 'q'},
        {"all", no_argument, NULL, 'a'},
        {"format", required_argument, NULL, 'f'},
        {"no-trunc", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool quiet = false, json = false, no_trunc = false, all = false;
    int c;
    while ((c = cli_getopt(argc, argv, "qah", opts)) != -1) {
        if (c == 'q')
            quiet = true;
        else if (c == 'a')
            all = true;
        else if (c == 'T')
            no_trunc = true;
        else if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
            json = strcmp(optarg, "json") == 0;
        else if (c == 'h')
            return usage(stdout), 0;
        else {
            if (c == 'f')
                cli_error("images: --format: '%s' is not one of table, json", optarg);
            usage(stderr);
            return 125;
        }
    }
    if (argc - optind > 1)
        return usage(stderr), 125;
    _cleanup_free_ char *filter = NULL;
    if (optind < argc && filter_of(argv[optind], &filter) != 0)
        return 125;
    struct store *s = NULL;
    int rc = cli_store_open(&s);
    if (rc)
        return rc;
    struct hk_error err = {0};
    json_t *records = NULL;
    if (image_records(s, &records, &err) < 0) {
        store_free(s);
        return cli_fail(&err, 125);
    }
    size_t n = 0;
    struct row *rows = collect(records, filter, all, &n);
    int64_t now = (int64_t)time(NULL);
    if (quiet)
        for (size_t i = 0; i < n; i++)
            printf("%.*s\n", no_trunc ? 71 : 12, no_trunc ? rows[i].id : digest_hex(rows[i].id));
    else if (json)
        for (size_t i = 0; i < n; i++)
            print_json(&rows[i], no_trunc, now);
    else
        print_table(rows, n, no_trunc, now);
    for (size_t i = 0; i < n; i++)
        row_free(&rows[i]);
    free(rows);
    json_decref(records);
    store_free(s);
    return 0;
}
