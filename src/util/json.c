#include "util/json.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

int json_load_file_text(const char *path, size_t max, json_t **ret, char **ret_text,
                        struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_file(path, max, &text, &len, err);
    if (r < 0)
        return r;
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return hk_error_set(err, -EINVAL, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    *ret = j;
    if (ret_text)
        *ret_text = TAKE_PTR(text);
    return 0;
}

char *json_dump_compact(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s)
        abort();
    return s;
}

/* A tiny cursor over JSON text that tracks the line, enough to skip values and find keys. */
struct cur {
    const char *p;
    int line;
};

static void ws(struct cur *c)
{
    while (*c->p && isspace((unsigned char)*c->p)) {
        if (*c->p == '\n')
            c->line++;
        c->p++;
    }
}

/* Skip a string starting at '"'; returns its raw body span. */
static bool skip_string(struct cur *c, const char **ret_start, size_t *ret_len)
{
    if (*c->p != '"')
        return false;
    const char *start = ++c->p;
    while (*c->p && *c->p != '"') {
        if (*c->p == '\\' && c->p[1])
            c->p++;
        if (*c->p == '\n')
            c->line++;
        c->p++;
    }
    if (*c->p != '"')
        return false;
    if (ret_start)
        *ret_start = start;
    if (ret_len)
        *ret_len = (size_t)(c->p - start);
    c->p++;
    return true;
}

static bool skip_value(struct cur *c, int depth)
{
    if (depth > 512)
        return false;
    ws(c);
    char ch = *c->p;
    if (ch == '"')
        return skip_string(c, NULL, NULL);
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->p++;
        for (;;) {
            ws(c);
            if (*c->p == close) {
                c->p++;
                return true;
            }
            if (ch == '{') {
                if (!skip_string(c, NULL, NULL))
                    return false;
                ws(c);
                if (*c->p++ != ':')
                    return false;
            }
            if (!skip_value(c, depth + 1))
                return false;
            ws(c);
            if (*c->p == ',')
                c->p++;
            else if (*c->p != close)
                return false;
        }
    }
    while (*c->p && !strchr(",}] \t\r\n", *c->p))
        c->p++;
    return true;
}

int json_line_of(const char *text, const char *jpath)
{
    struct cur c = {.p = text, .line = 1};
    const char *q = jpath;
    ws(&c);
    while (*q) {
        if (*q == '.')
            q++;
        if (*q == '[') {
            char *end;
            long idx = strtol(q + 1, &end, 10);
            if (*end != ']')
                return 0;
            q = end + 1;
            ws(&c);
            if (*c.p != '[')
                return 0;
            c.p++;
            for (long i = 0; i < idx; i++) {
                if (!skip_value(&c, 0))
                    return 0;
                ws(&c);
                if (*c.p++ != ',')
                    return 0;
            }
            ws(&c);
            continue;
        }
        size_t klen = strcspn(q, ".[");
        ws(&c);
        if (*c.p != '{')
            return 0;
        c.p++;
        for (;;) {
            ws(&c);
            const char *k;
            size_t kl;
            if (!skip_string(&c, &k, &kl))
                return 0;
            ws(&c);
            if (*c.p++ != ':')
                return 0;
            ws(&c);
            if (kl == klen && memcmp(k, q, klen) == 0)
                break;
            if (!skip_value(&c, 0))
                return 0;
            ws(&c);
            if (*c.p++ != ',')
                return 0;
        }
        q += klen;
    }
    return c.line;
}
