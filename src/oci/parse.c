#include "oci/parse.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/fs.h"
#include "util/json.h"

int parse_error(const struct parse_ctx *ctx, struct hk_error *err, const char *jpath,
                const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    int line = ctx->text ? json_line_of(ctx->text, jpath) : 0;
    if (line > 0)
        return hk_error_set(err, -EINVAL, "%s:%d: %s: %s", ctx->file, line, jpath, why);
    return hk_error_set(err, -EINVAL, "%s: %s: %s", ctx->file, jpath, why);
}

const char *jpath_key(char *buf, size_t size, const char *parent, const char *key)
{
    if (parent && parent[0])
        snprintf(buf, size, "%s.%s", parent, key);
    else
        snprintf(buf, size, "%s", key);
    return buf;
}

const char *jpath_index(char *buf, size_t size, const char *parent, size_t i)
{
    snprintf(buf, size, "%s[%zu]", parent, i);
    return buf;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

/* Look up key; NULL (absent) for a missing key or an explicit JSON null. */
static json_t *field(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

int parse_string(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                 const char *key, bool required, char **ret, struct hk_error *err)
{
    char jp[JPATH_MAX];
    json_t *v = field(obj, key);
    if (!v) {
        if (required)
            return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key),
                               "required field is missing");
        return 0;
    }
    if (!json_is_string(v))
        return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key),
                           "expected a string, got %s", type_name(v));
    if (strlen(json_string_value(v)) != json_string_length(v))
        return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key),
                           "string contains a NUL byte");
    free(*ret);
    *ret = xstrdup(json_string_value(v));
    return 0;
}

int parse_bool(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
               const char *key, bool *ret, struct hk_error *err)
{
    char jp[JPATH_MAX];
    json_t *v = field(obj, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key),
                           "expected a boolean, got %s", type_name(v));
    *ret = json_is_true(v);
    return 0;
}

int parse_int(const struct parse_ctx *ctx, const json_t *obj, const char *parent, const char *key,
              bool required, int64_t min, int64_t max, int64_t *ret, bool *ret_set,
              struct hk_error *err)
{
    char jp[JPATH_MAX];
    json_t *v = field(obj, key);
    if (!v) {
        if (required)
            return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key),
                               "required field is missing");
        return 0;
    }
    if (!json_is_integer(v))
        return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key),
                           "expected an integer, got %s", type_name(v));
    json_int_t n = json_integer_value(v);
    if (n < min || n > max)
        return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key),
                           "%" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]", (int64_t)n,
                           min, max);
    *ret = n;
    if (ret_set)
        *ret_set = true;
    return 0;
}

int parse_u64(const struct parse_ctx *ctx, const json_t *obj, const char *parent, const char *key,
              uint64_t *ret, bool *ret_set, struct hk_error *err)
{
    int64_t n;
    bool set = false;
    int r = parse_int(ctx, obj, parent, key, false, 0, INT64_MAX, &n, &set, err);
    if (r < 0)
        return r;
    if (set) {
        *ret = (uint64_t)n;
        if (ret_set)
            *ret_set = true;
    }
    return 0;
}

int parse_object(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                 const char *key, json_t **ret, struct hk_error *err)
{
    char jp[JPATH_MAX];
    json_t *v = field(obj, key);
    *ret = NULL;
    if (!v)
        return 0;
    if (!json_is_object(v))
        return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key),
                           "expected an object, got %s", type_name(v));
    *ret = v;
    return 0;
}

int parse_array(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                const char *key, json_t **ret, struct hk_error *err)
{
    char jp[JPATH_MAX];
    json_t *v = field(obj, key);
    *ret = NULL;
    if (!v)
        return 0;
    if (!json_is_array(v))
        return parse_error(ctx, err, jpath_key(jp, sizeof(jp), parent, key),
                           "expected an array, got %s", type_name(v));
    *ret = v;
    return 0;
}

int parse_strv(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
               const char *key, char ***ret, size_t *ret_n, struct hk_error *err)
{
    char jp[JPATH_MAX], jpi[JPATH_MAX];
    json_t *arr;
    int r = parse_array(ctx, obj, parent, key, &arr, err);
    if (r < 0 || !arr)
        return r;
    jpath_key(jp, sizeof(jp), parent, key);
    size_t n = json_array_size(arr);
    char **v = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(arr, i);
        if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s)) {
            strv_free(v);
            return parse_error(ctx, err, jpath_index(jpi, sizeof(jpi), jp, i),
                               "expected a string, got %s", type_name(s));
        }
        v[i] = xstrdup(json_string_value(s));
    }
    strv_free(*ret);
    *ret = v;
    if (ret_n)
        *ret_n = n;
    return 0;
}

char **strv_free(char **v)
{
    if (!v)
        return NULL;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
    return NULL;
}

size_t strv_length(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

void strv_append_take(char ***v, char *s)
{
    size_t n = strv_length(*v);
    *v = xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = s;
    (*v)[n + 1] = NULL;
}

void strv_append(char ***v, const char *s)
{
    strv_append_take(v, xstrdup(s));
}

char **strv_copy(char *const *v)
{
    size_t n = strv_length(v);
    char **c = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        c[i] = xstrdup(v[i]);
    return c;
}

bool strv_contains(char *const *v, const char *s)
{
    for (size_t i = 0; v && v[i]; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}
