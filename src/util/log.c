#include "util/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int sink = STDERR_FILENO;
static bool as_json;
static enum log_level current = LOG_WARN;

int log_set_file(const char *path)
{
    if (sink != STDERR_FILENO)
        close(sink);
    sink = STDERR_FILENO;
    if (!path)
        return 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    sink = fd;
    return 0;
}

void log_set_json(bool json)
{
    as_json = json;
}

void log_set_level(enum log_level level)
{
    current = level;
}

enum log_level log_get_level(void)
{
    return current;
}

int log_fd(void)
{
    return sink;
}

int log_level_from_string(const char *s, enum log_level *ret_level)
{
    static const struct {
        const char *name;
        enum log_level level;
    } names[] = {
        {"error", LOG_ERROR}, {"warn", LOG_WARN},   {"warning", LOG_WARN},
        {"info", LOG_INFO},   {"debug", LOG_DEBUG}, {"trace", LOG_DEBUG},
    };
    for (size_t i = 0; i < ELEMENTSOF(names); i++)
        if (strcmp(s, names[i].name) == 0) {
            *ret_level = names[i].level;
            return 0;
        }
    return -EINVAL;
}

/* Append s to buf as a JSON string body (no quotes), escaping what JSON requires. */
static size_t json_escape(char *buf, size_t size, const char *s)
{
    size_t n = 0;
    for (; *s && n + 7 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)c;
        } else if (c == '\n') {
            buf[n++] = '\\';
            buf[n++] = 'n';
        } else if (c < 0x20) {
            n += (size_t)snprintf(buf + n, size - n, "\\u%04x", c);
        } else {
            buf[n++] = (char)c;
        }
    }
    buf[n] = '\0';
    return n;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > current)
        return;
    int saved = errno;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    char line[8192];
    int n;
    if (as_json) {
        char esc[6000];
        struct timespec ts;
        struct tm tm;
        char when[64];
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        json_escape(esc, sizeof(esc), msg);
        n = snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s.%09ldZ\"}\n",
                     names[level], esc, when, ts.tv_nsec);
    } else if (sink == STDERR_FILENO) {
        if (level == LOG_DEBUG) {
            /* debug lines carry the time since the process started, to see where it goes */
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            static struct timespec t0;
            if (!t0.tv_sec)
                t0 = now;
            double ms = (double)(now.tv_sec - t0.tv_sec) * 1e3 +
                        (double)(now.tv_nsec - t0.tv_nsec) / 1e6;
            n = snprintf(line, sizeof(line), "debug[%d] +%.3fms: %s\n", (int)getpid(), ms, msg);
        } else {
            n = snprintf(line, sizeof(line), "%s: %s\n", names[level], msg);
        }
    } else {
        time_t now = time(NULL);
        struct tm tm;
        char when[64];
        localtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        n = snprintf(line, sizeof(line), "%s %s: %s\n", when, names[level], msg);
    }
    if (n > 0) {
        size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
        ssize_t w = write(sink, line, len);
        (void)w;
    }
    errno = saved;
}
