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

/* What `inspect` prints for the objects in all: each rendered by format, or (format NULL) the
 * array as indented JSON (docker prints "[]" when nothing was found). Returns 0 or 1 (a bad
 * template). */
int inspect_print(const json_t *all, const char *format);
