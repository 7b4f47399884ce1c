/* log.h — diagnostics to stderr or a log file, as text or as runc-style JSON lines.
 *
 * Library code logs at debug level only; src/cli decides what the user sees. */
#pragma once

#include <stdbool.h>

#include "util/macro.h"

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Send logs to path (appended, created 0600) instead of stderr; NULL restores stderr. */
int log_set_file(const char *path);
void log_set_json(bool json);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "debug", "info", "warn"/"warning", "error"; -EINVAL otherwise. */
int log_level_from_string(const char *s, enum log_level *ret_level);
/* The fd logs go to (for children that must keep it across exec). */
int log_fd(void);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_get_level() >= LOG_DEBUG)                                                          \
            log_msg(LOG_DEBUG, __VA_ARGS__);                                                       \
    } while (0)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
