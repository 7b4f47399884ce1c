/* container-table.h — tables and --format for the container commands. */
#pragma once

#include <jansson.h>
#include <stdio.h>

#include "util/error.h"

struct table {
    size_t ncols, nrows;
    char ***rows;
};

struct table *table_new(size_t ncols);
/* Add a row of ncols cells (copied). */
void table_add(struct table *t, const char *const *cells);
void table_print(FILE *f, const struct table *t);
struct table *table_free(struct table *t);

/* A --format string with docker's escapes ("\t", "\n") turned into the characters. */
char *format_unescape(const char *fmt);
/* Render the template over row and print it with a newline. */
int format_row(const char *tmpl, const json_t *row, struct hk_error *err);
/* Print rows (an array of objects) by format: "table TEMPLATE" renders each row, splits it
 * on tabs and aligns the columns under the header (header rendered by the same template);
 * a bare TEMPLATE prints each row as rendered. Returns 0 or the exit status. */
int format_print(const char *format, const json_t *rows, const json_t *header);

/* inspect's output: each of all rendered by format, or all as indented JSON (when it has
 * something, or nothing failed: rc 0). Returns rc, or fail_code when a template fails. */
int format_inspect(const char *format, const json_t *all, int rc, int fail_code);
