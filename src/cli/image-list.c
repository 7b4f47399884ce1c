/* image-list.c — `hako images` / `hako image ls`: a docker-shaped table, JSON lines or IDs. */
#include <fnmatch.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/container-table.h"
#include "cli/container.h"
#include "cli/image-common.h"
#include "engine/psfilter.h"
#include "image/image.h"
#include "image/reference.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"

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

/* The object docker's images templates see ({{.Repository}}, {{.ID}}, {{.Size}}, ...). */
static json_t *row_json(const struct row *r, bool no_trunc, int64_t now)
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
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers",
                          "N/A", "CreatedAt", created_at, "CreatedSince", ago, "Digest",
                          r->digest, "ID", r->id, "Repository", r->repo, "SharedSize", "N/A",
                          "Size", size, "Tag", r->tag, "UniqueSize", "N/A", "VirtualSize", size);
    if (!no_trunc)
        json_object_set_new(j, "ID", json_stringn(digest_hex(r->id), 12));
    return j;
}

/* --filter: docker's keys for images. */
struct img_filter {
    json_t *by_key;   /* key → array of values */
    int64_t before, since; /* created times of the before=/since= images (-1: none) */
};

static const char *const filter_keys[] = {"before", "dangling", "label", "reference", "since",
                                          "until"};

static int img_filter_parse(struct store *s, char **specs, size_t n, struct img_filter *f)
{
    f->by_key = json_object();
    f->before = f->since = -1;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(specs[i], '=');
        if (!eq) {
            cli_error("bad format of filter (expected name=value)");
            return 125;
        }
        _cleanup_free_ char *k = strndup(specs[i], (size_t)(eq - specs[i]));
        const char *v = eq + 1;
        size_t j = 0;
        while (j < ELEMENTSOF(filter_keys) && strcmp(k, filter_keys[j]) != 0)
            j++;
        if (j == ELEMENTSOF(filter_keys)) {
            cli_error("Invalid filter '%s'", k);
            return cli_op_error();
        }
        if (!strcmp(k, "dangling") && strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "1") &&
            strcmp(v, "0")) {
            cli_error("Invalid filter 'dangling=%s'", v);
            return cli_op_error();
        }
        if (!strcmp(k, "until") && human_parse_time(v) < 0) {
            char *end;
            strtoll(v, &end, 10);
            if (!v[0] || *end) {
                cli_error("failed to parse value of filter until: %s is not a timestamp", v);
                return cli_op_error();
            }
        }
        if (!strcmp(k, "before") || !strcmp(k, "since")) {
            struct image *img = NULL;
            struct hk_error err = {0};
            if (image_lookup(s, v, &img, &err) < 0)
                return cli_fail(&err, 1);
            int64_t t = human_parse_time(
                json_string_value(json_object_get(img->record, "created")));
            image_free(img);
            if (k[0] == 'b')
                f->before = t;
            else
                f->since = t;
        }
        if (!json_object_get(f->by_key, k))
            json_object_set_new(f->by_key, k, json_array());
        json_array_append_new(json_object_get(f->by_key, k), json_string(v));
    }
    return 0;
}

/* reference=PATTERN: a glob over "repo:tag" or "repo", as docker's FamiliarMatch. */
static bool reference_match(const struct row *r, const char *pattern)
{
    if (!strcmp(r->repo, "<none>"))
        return false;
    _cleanup_free_ char *full = xasprintf("%s:%s", r->repo, r->tag);
    return fnmatch(pattern, full, 0) == 0 || fnmatch(pattern, r->repo, 0) == 0;
}

static bool one_filter(struct store *s, const struct img_filter *f, const struct row *r,
                       const char *k, const char *v)
{
    if (!strcmp(k, "dangling"))
        return (strcmp(r->tag, "<none>") == 0) == (v[0] == 't' || v[0] == '1');
    if (!strcmp(k, "reference"))
        return reference_match(r, v);
    if (!strcmp(k, "before"))
        return r->created < f->before;
    if (!strcmp(k, "since"))
        return r->created > f->since;
    if (!strcmp(k, "until")) {
        int64_t t = human_parse_time(v);
        return r->created < (t >= 0 ? t : strtoll(v, NULL, 10));
    }
    if (!strcmp(k, "label")) {
        struct image *img = NULL;
        if (image_lookup(s, r->id, &img, NULL) < 0)
            return false;
        bool ok =
            filters_label(json_object_get(json_object_get(img->config, "config"), "Labels"), v);
        image_free(img);
        return ok;
    }
    return false;
}

struct match_ctx {
    struct store *s;
    const struct img_filter *f;
    const struct row *r;
};

static bool one_of(const char *k, const char *v, void *ud)
{
    const struct match_ctx *m = ud;
    return one_filter(m->s, m->f, m->r, k, v);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: hako images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
               "List images\n\n"
               "Options:\n"
               "  -a, --all             Show all images (also the intermediate images of "
               "builds)\n"
               "      --digests         Show digests\n"
               "  -f, --filter KEY=VALUE  Filter output: before, dangling, label, reference,\n"
               "                        since, until\n"
               "      --format FMT      table (default), json or a Go template\n"
               "      --no-trunc        Don't truncate output\n"
               "  -q, --quiet           Only show image IDs\n");
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
        {"quiet", no_argument, NULL, 'q'},      {"all", no_argument, NULL, 'a'},
        {"format", required_argument, NULL, 'F'}, {"no-trunc", no_argument, NULL, 'T'},
        {"digests", no_argument, NULL, 'D'},   {"filter", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    bool quiet = false, no_trunc = false, all = false, digests = false;
    const char *format = NULL;
    char *filters[16];
    size_t n_filters = 0;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+qaf:h", opts)) != -1) {
        if (c == 'q')
            quiet = true;
        else if (c == 'a')
            all = true;
        else if (c == 'T')
            no_trunc = true;
        else if (c == 'D')
            digests = true;
        else if (c == 'F')
            format = optarg;
        else if (c == 'f' && n_filters < ELEMENTSOF(filters))
            filters[n_filters++] = optarg;
        else if (c == 'f')
            return cli_usage_error("images", "too many --filter flags (%zu at most)",
                                   ELEMENTSOF(filters));
        else if (c == 'h')
            return usage(stdout), 0;
        else
            return cli_unknown_flag("images", argc, argv);
    }
    if (argc - optind > 1)
        return cli_usage_error("images", "\"hako images\" accepts at most 1 argument.");
    _cleanup_free_ char *filter = NULL;
    if (optind < argc && filter_of(argv[optind], &filter) != 0)
        return 125;
    struct store *s = NULL;
    int rc = cli_store_open(&s);
    if (rc)
        return rc;
    struct img_filter f = {0};
    rc = img_filter_parse(s, filters, n_filters, &f);
    struct hk_error err = {0};
    json_t *records = NULL;
    if (rc == 0 && image_records(s, &records, &err) < 0)
        rc = cli_fail(&err, 1);
    if (rc) {
        json_decref(f.by_key);
        store_free(s);
        return rc;
    }
    size_t n = 0;
    struct row *rows = collect(records, filter, all, &n);
    int64_t now = (int64_t)time(NULL);
    _cleanup_json_ json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        struct match_ctx m = {s, &f, &rows[i]};
        if (filters_match(f.by_key, one_of, &m))
            json_array_append_new(list, row_json(&rows[i], no_trunc, now));
        row_free(&rows[i]);
    }
    free(rows);
    json_decref(records);
    json_decref(f.by_key);
    store_free(s);
    size_t i;
    json_t *row;
    if (quiet) {
        json_array_foreach(list, i, row)
            printf("%s\n", json_string_value(json_object_get(row, "ID")));
        return 0;
    }
    if (format && strcmp(format, "json") == 0) {
        json_array_foreach(list, i, row)
        {
            _cleanup_free_ char *text = json_dumps(row, JSON_COMPACT);
            puts(text);
        }
        return 0;
    }
    _cleanup_json_ json_t *header = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "Containers", "CONTAINERS", "CreatedAt",
        "CREATED AT", "CreatedSince", "CREATED", "Digest", "DIGEST", "ID", "IMAGE ID",
        "Repository", "REPOSITORY", "SharedSize", "SHARED SIZE", "Size", "SIZE", "Tag", "TAG",
        "UniqueSize", "UNIQUE SIZE", "VirtualSize", "SIZE");
    const char *fmt = format && strcmp(format, "table") != 0 ? format
                      : digests ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
                                  "{{.CreatedSince}}\t{{.Size}}"
                                : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t"
                                  "{{.Size}}";
    return format_print(fmt, list, header);
}
