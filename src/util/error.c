#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int norm(int code)
{
    if (code > 0)
        return -code;
    return code == 0 ? -EIO : code;
}

int hk_error_set(struct hk_error *err, int code, const char *fmt, ...)
{
    code = norm(code);
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

int hk_error_errno(struct hk_error *err, int code, const char *fmt, ...)
{
    code = norm(code);
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(err->msg))
        snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(-code));
    err->code = code;
    return code;
}

int hk_error_prefix(struct hk_error *err, int code, const char *fmt, ...)
{
    code = norm(code);
    if (!err)
        return code;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (err->msg[0] == '\0') {
        snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, strerror(-code));
    } else {
        /* Shift the old message right and put "prefix: " in front, truncating the tail. */
        size_t plen = strlen(prefix), olen = strlen(err->msg);
        size_t room = sizeof(err->msg) - 1;
        if (plen + 2 > room)
            plen = room - 2;
        if (plen + 2 + olen > room)
            olen = room - plen - 2;
        memmove(err->msg + plen + 2, err->msg, olen);
        memcpy(err->msg, prefix, plen);
        memcpy(err->msg + plen, ": ", 2);
        err->msg[plen + 2 + olen] = '\0';
    }
    err->code = code;
    return code;
}

void hk_error_clear(struct hk_error *err)
{
    if (!err)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}

const char *hk_error_msg(const struct hk_error *err)
{
    if (!err)
        return "unknown error";
    if (err->msg[0])
        return err->msg;
    return err->code ? strerror(-err->code) : "no error";
}
