/* template.c — a small Go text/template subset over JSON values. */
#include "engine/template.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/json.h"

struct out {
    char *buf;
    size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->buf = xrealloc(o->buf, o->cap);
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* ".A.B" over data; NULL when a field is missing. "." is data itself. */
static const json_t *lookup(const json_t *data, const char *path, size_t n)
{
    if (n == 1 && path[0] == '.')
        return data;
    const json_t *v = data;
    size_t i = 0;
    while (i < n) {
        if (path[i] != '.')
            return NULL;
        size_t j = ++i;
        while (j < n && path[j] != '.')
            j++;
        char key[256];
        if (j - i >= sizeof(key))
            return NULL;
        memcpy(key, path + i, j - i);
        key[j - i] = '\0';
        v = json_object_get(v, key);
        if (!v)
            return NULL;
        i = j;
    }
    return v;
}

static void put_value(struct out *o, const json_t *v, bool as_json)
{
    char num[64];
    if (as_json) {
        char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("null");
        put(o, s, strlen(s));
        free(s);
    } else if (!v) {
        put(o, "<no value>", 10);
    } else if (json_is_string(v)) {
        put(o, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        put(o, num, strlen(num));
    } else if (json_is_real(v)) {
        snprintf(num, sizeof(num), "%g", json_real_value(v));
        put(o, num, strlen(num));
    } else if (json_is_boolean(v)) {
        put(o, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
    } else if (json_is_null(v)) {
        put(o, "<nil>", 5);
    } else {
        put_value(o, v, true);
    }
}

/* Split an action into words (a quoted string is one word). Returns the count. */
static size_t words(char *s, char **w, size_t max)
{
    size_t n = 0;
    while (*s && n < max) {
        while (isspace((unsigned char)*s))
            s++;
        if (!*s)
            break;
        if (*s == '"') {
            w[n++] = ++s;
            while (*s && *s != '"')
                s++;
        } else {
            w[n++] = s;
            while (*s && !isspace((unsigned char)*s))
                s++;
        }
        if (*s)
            *s++ = '\0';
    }
    return n;
}

static int action(struct out *o, const char *text, const json_t *data, struct hk_error *err)
{
    char *w[4];
    _cleanup_free_ char *act = xstrdup(text);
    size_t n = words(act, w, 4);
    if (n == 1 && w[0][0] == '.') {
        put_value(o, lookup(data, w[0], strlen(w[0])), false);
        return 0;
    }
    if (n == 2 && w[1][0] == '.') {
        const json_t *v = lookup(data, w[1], strlen(w[1]));
        if (strcmp(w[0], "json") == 0) {
            put_value(o, v, true);
            return 0;
        }
        if (strcmp(w[0], "len") == 0) {
            char num[32];
            size_t len = json_is_array(v) ? json_array_size(v)
                         : json_is_object(v) ? json_object_size(v)
                                             : json_string_length(v);
            snprintf(num, sizeof(num), "%zu", len);
            put(o, num, strlen(num));
            return 0;
        }
        if (strcmp(w[0], "upper") == 0 || strcmp(w[0], "lower") == 0) {
            size_t start = o->len;
            put_value(o, v, false);
            for (size_t i = start; i < o->len; i++)
                o->buf[i] = (char)(w[0][0] == 'u' ? toupper((unsigned char)o->buf[i])
                                                  : tolower((unsigned char)o->buf[i]));
            return 0;
        }
    }
    if (n == 3 && strcmp(w[0], "index") == 0 && w[1][0] == '.') {
        const json_t *v = lookup(data, w[1], strlen(w[1]));
        put_value(o, json_is_object(v) ? json_object_get(v, w[2])
                     : json_is_array(v) ? json_array_get(v, (size_t)atol(w[2]))
                                        : NULL,
                  false);
        return 0;
    }
    return hk_error_set(err, -EINVAL, "template: unsupported action \"{{%s}}\"", text);
}

int template_render(const char *tmpl, const json_t *data, char **ret, struct hk_error *err)
{
    struct out o = {0};
    put(&o, "", 0);
    const char *p = tmpl;
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            put(&o, p, strlen(p));
            break;
        }
        const char *close = strstr(open + 2, "}}");
        if (!close) {
            free(o.buf);
            return hk_error_set(err, -EINVAL, "template: unclosed action");
        }
        const char *inner = open + 2, *end = close;
        size_t text = (size_t)(open - p);
        if (*inner == '-' && isspace((unsigned char)inner[1])) {
            while (text && isspace((unsigned char)p[text - 1]))
                text--;
            inner++;
        }
        bool trim_right = end - inner >= 2 && end[-1] == '-' && isspace((unsigned char)end[-2]);
        if (trim_right)
            end--;
        put(&o, p, text);
        _cleanup_free_ char *act = strndup(inner, (size_t)(end - inner));
        int r = action(&o, act, data, err);
        if (r < 0) {
            free(o.buf);
            return r;
        }
        p = close + 2;
        if (trim_right)
            while (isspace((unsigned char)*p))
                p++;
    }
    *ret = o.buf;
    return 0;
}
