/* logs.c — json-file log reading: filters, tail, follow offsets. */
#include "engine/logs.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/options.h"
#include "util/json.h"

int logs_parse_line(const char *line, const struct log_filter *f, log_fn fn, void *ud)
{
    json_error_t jerr;
    _cleanup_json_ json_t *j = json_loads(line, JSON_ALLOW_NUL, &jerr);
    json_t *log = json_object_get(j, "log");
    const char *stream = json_string_value(json_object_get(j, "stream"));
    const char *time = json_string_value(json_object_get(j, "time"));
    if (!json_is_string(log) || !stream || !time)
        return 0;
    struct log_entry e = {.stream = stream, .log = json_string_value(log),
                          .len = json_string_length(log), .time = time};
    if (opt_parse_time(time, 0, &e.time_ns, NULL) < 0)
        e.time_ns = 0;
    if (f && f->since_ns && e.time_ns < f->since_ns)
        return 0;
    if (f && f->until_ns && e.time_ns > f->until_ns)
        return 0;
    return fn(&e, ud);
}

/* Complete lines in the file from offset on. */
static long count_lines(FILE *fp)
{
    long n = 0;
    int c;
    while ((c = getc(fp)) != EOF)
        n += c == '\n';
    return n;
}

int logs_read(const char *path, const struct log_filter *f, log_fn fn, void *ud, off_t *offset,
              struct hk_error *err)
{
    _cleanup_fclose_ FILE *fp = fopen(path, "re");
    if (!fp)
        return errno == ENOENT ? 0 : hk_error_errno(err, -errno, "open '%s'", path);
    long skip = 0;
    if (*offset == 0 && f && f->tail >= 0) {
        long total = count_lines(fp);
        skip = total > f->tail ? total - f->tail : 0;
        rewind(fp);
    } else if (fseeko(fp, *offset, SEEK_SET) < 0) {
        return hk_error_errno(err, -errno, "seek '%s'", path);
    }
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    off_t pos = *offset;
    while ((n = getline(&line, &cap, fp)) > 0) {
        if (line[n - 1] != '\n')
            break; /* a line being written: next time */
        pos += n;
        line[n - 1] = '\0';
        if (skip > 0) {
            skip--;
            continue;
        }
        int r = logs_parse_line(line, f, fn, ud);
        if (r < 0) {
            *offset = pos;
            return r;
        }
    }
    *offset = pos;
    return 0;
}
