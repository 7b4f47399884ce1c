/* logs.h — reading a container's json-file log (written by hako-monitor: one JSON object a
 * line, {"log": "...", "stream": "stdout"|"stderr", "time": "RFC 3339 with nanoseconds"}). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct log_entry {
    const char *stream; /* "stdout" / "stderr" */
    const char *log;    /* the bytes, as logged (lines keep their "\n") */
    size_t len;
    const char *time; /* as written */
    int64_t time_ns;
};

struct log_filter {
    int64_t since_ns; /* 0: from the start */
    int64_t until_ns; /* 0: to the end */
    long tail;        /* < 0: all; else only the last tail entries */
};

typedef int (*log_fn)(const struct log_entry *e, void *ud);

/* Parse one log line (NUL-terminated, without its newline) and call fn when it passes f.
 * Lines that are not log entries (a torn last line) are skipped. Returns fn's result. */
int logs_parse_line(const char *line, const struct log_filter *f, log_fn fn, void *ud);

/* Call fn for each entry of the log at path that passes f, from *offset (0: the start; tail
 * applies then), and leave in *offset where complete lines end (to continue with -f). A
 * missing file has no entries. fn returning < 0 stops and is returned. */
int logs_read(const char *path, const struct log_filter *f, log_fn fn, void *ud, off_t *offset,
              struct hk_error *err);
