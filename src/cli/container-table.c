/* container-table.c — docker's column layout (each column as wide as its widest cell plus
 * three spaces, the last one unpadded) and --format handling shared by ps, stats and top. */
#include "cli/container-table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/template.h"
#include "util/fs.h"

struct table *table_new(size_t ncols)
{
    struct table *t = xcalloc(1, sizeof(*t));
    t->ncols = ncols;
    return t;
}

void table_add(struct table *t, const char *const *cells)
{
    t->rows = xrealloc(t->rows, (t->nrows + 1) * sizeof(char **));
    char **row = xcalloc(t->ncols, sizeof(char *));
    for (size_t c = 0; c < t->ncols; c++)
        row[c] = xstrdup(cells[c] ? cells[c] : "");
    t->rows[t->nrows++] = row;
}

/* Columns a cell takes: UTF-8 characters, not bytes ("…" is one). */
static size_t width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

void table_print(FILE *f, const struct table *t)
{
    size_t *w = xcalloc(t->ncols, sizeof(size_t));
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            if (width(t->rows[r][c]) > w[c])
                w[c] = width(t->rows[r][c]);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c + 1 < t->ncols; c++)
            /* docker's tabwriter: 3 spaces of padding, cells at least 10 wide */
            fprintf(f, "%s%*s", t->rows[r][c],
                    (int)((w[c] + 3 < 10 ? 10 : w[c] + 3) - width(t->rows[r][c])), "");
        fprintf(f, "%s\n", t->rows[r][t->ncols - 1]);
    }
    free(w);
}

struct table *table_free(struct table *t)
{
    if (!t)
        return NULL;
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    free(t->rows);
    free(t);
    return NULL;
}

char *format_unescape(const char *fmt)
{
    char *out = xcalloc(1, strlen(fmt) + 1);
    char *o = out;
    for (const char *p = fmt; *p; p++) {
        if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n')) {
            *o++ = p[1] == 't' ? '\t' : '\n';
            p++;
        } else {
            *o++ = *p;
        }
    }
    return out;
}

int format_row(const char *tmpl, const json_t *row, struct hk_error *err)
{
    char *s = NULL;
    int r = template_render(tmpl, row, &s, err);
    if (r < 0)
        return r;
    printf("%s\n", s);
    free(s);
    return 0;
}

/* "table {{...}}": rows rendered, split on tabs, aligned, under a header rendered from
 * header; a bare template prints rows as rendered. */
int format_print(const char *format, const json_t *rows, const json_t *header)
{
    bool table = strncmp(format, "table", 5) == 0;
    _cleanup_free_ char *tmpl = format_unescape(table ? format + 5 + (format[5] == ' ') : format);
    struct hk_error err = {0};
    if (!table) {
        size_t i;
        json_t *v;
        json_array_foreach(rows, i, v) if (format_row(tmpl, v, &err) < 0) return cli_fail(&err,
                                                                                          125);
        return 0;
    }
    struct table *t = NULL;
    for (size_t i = 0; i <= json_array_size(rows); i++) {
        char *s = NULL;
        if (template_render(tmpl, i == 0 ? header : json_array_get(rows, i - 1), &s, &err) < 0) {
            table_free(t);
            return cli_fail(&err, 125);
        }
        const char *cells[32] = {0};
        size_t n = 0;
        for (char *p = s, *c; n < 32 && (c = strsep(&p, "\t"));)
            cells[n++] = c;
        if (!t)
            t = table_new(n ? n : 1);
        table_add(t, cells);
        free(s);
    }
    table_print(stdout, t);
    table_free(t);
    return 0;
}


int format_inspect(const char *format, const json_t *all, int rc, int fail_code)
{
    if (format) {
        _cleanup_free_ char *tmpl = format_unescape(format);
        size_t i;
        json_t *j;
        struct hk_error err = {0};
        json_array_foreach(all, i, j) if (format_row(tmpl, j, &err) < 0) return cli_fail(&err,
                                                                                         fail_code);
    } else if (json_array_size(all) || rc == 0) {
        _cleanup_free_ char *s = json_dumps(all, JSON_INDENT(4));
        printf("%s\n", s);
    }
    return rc;
}
