/* template.c — Go's text/template over JSON values, as docker's --format uses it: actions
 * {{pipeline}}, {{if}}/{{else if}}/{{else}}, {{range [$i[, $v] :=] pipeline}}, {{with}},
 * {{end}}, variables ($x := p, $x = p, $ for the data), pipelines (a | f b), parentheses,
 * comments (slash-star inside the braces), {{- and -}} trimming, and the functions docker users write: json, len,
 * index, printf, print, println, join, split, lower, upper, title, truncate, pad, eq, ne, lt,
 * le, gt, ge, and, or, not. */
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

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* A value as Go prints it: strings bare, numbers, true/false, "<no value>" for a missing
 * field, "<nil>" for null, objects and arrays as compact JSON. */
static void put_value(struct out *o, const json_t *v, bool as_json)
{
    char num[64];
    if (as_json) {
        char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("null");
        puts_(o, s);
        free(s);
    } else if (!v) {
        puts_(o, "<no value>");
    } else if (json_is_string(v)) {
        put(o, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        puts_(o, num);
    } else if (json_is_real(v)) {
        snprintf(num, sizeof(num), "%g", json_real_value(v));
        puts_(o, num);
    } else if (json_is_boolean(v)) {
        puts_(o, json_is_true(v) ? "true" : "false");
    } else if (json_is_null(v)) {
        puts_(o, "<nil>");
    } else {
        put_value(o, v, true);
    }
}

static char *value_text(const json_t *v)
{
    struct out o = {0};
    put(&o, "", 0);
    put_value(&o, v, false);
    return o.buf;
}

static bool truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_real(v))
        return json_real_value(v) != 0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    return true;
}

/* --- lexing: the words of an action -------------------------------------------------------- */

enum tok { T_END, T_FIELD, T_VAR, T_STRING, T_NUMBER, T_IDENT, T_PIPE, T_LPAREN, T_RPAREN,
           T_DECLARE, T_ASSIGN, T_COMMA };

struct lex {
    const char *p, *end;
    enum tok t;
    char *text; /* the token (allocated); strings unquoted */
};

static int lex_next(struct lex *l, struct hk_error *err)
{
    free(l->text);
    l->text = NULL;
    while (l->p < l->end && isspace((unsigned char)*l->p))
        l->p++;
    if (l->p >= l->end)
        return l->t = T_END, 0;
    const char *s = l->p;
    char c = *s;
    if (c == '|' || c == '(' || c == ')' || c == ',') {
        l->p++;
        l->t = c == '|' ? T_PIPE : c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : T_COMMA;
        return 0;
    }
    if (c == ':' && s + 1 < l->end && s[1] == '=') {
        l->p += 2;
        return l->t = T_DECLARE, 0;
    }
    if (c == '=') {
        l->p++;
        return l->t = T_ASSIGN, 0;
    }
    if (c == '"' || c == '`') {
        struct out o = {0};
        put(&o, "", 0);
        for (l->p++; l->p < l->end && *l->p != c; l->p++) {
            char ch = *l->p;
            if (c == '"' && ch == '\\' && l->p + 1 < l->end) {
                ch = *++l->p;
                ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch;
            }
            put(&o, &ch, 1);
        }
        if (l->p >= l->end) {
            free(o.buf);
            return hk_error_set(err, -EINVAL, "template: unterminated quoted string");
        }
        l->p++;
        l->text = o.buf;
        return l->t = T_STRING, 0;
    }
    /* a word: .A.B, $x.A, 12, -1.5, an identifier */
    while (l->p < l->end && !isspace((unsigned char)*l->p) && !strchr("|(),=", *l->p) &&
           !(*l->p == ':' && l->p + 1 < l->end && l->p[1] == '='))
        l->p++;
    l->text = strndup(s, (size_t)(l->p - s));
    if (c == '.')
        l->t = T_FIELD;
    else if (c == '$')
        l->t = T_VAR;
    else if (isdigit((unsigned char)c) || ((c == '-' || c == '+') && l->p - s > 1))
        l->t = T_NUMBER;
    else if (isalpha((unsigned char)c) || c == '_')
        l->t = T_IDENT;
    else
        return hk_error_set(err, -EINVAL, "template: unexpected \"%s\" in action", l->text);
    return 0;
}

/* --- evaluation ------------------------------------------------------------------------------ */

struct state {
    json_t *vars; /* array of [name, value], innermost last */
    struct hk_error *err;
};

static json_t *var_get(struct state *st, const char *name)
{
    for (size_t i = json_array_size(st->vars); i-- > 0;) {
        json_t *pair = json_array_get(st->vars, i);
        if (strcmp(json_string_value(json_array_get(pair, 0)), name) == 0)
            return json_array_get(pair, 1);
    }
    return NULL;
}

static void var_push(struct state *st, const char *name, json_t *v)
{
    json_array_append_new(st->vars, json_pack("[s,O]", name, v ? v : json_null()));
}

static int var_set(struct state *st, const char *name, json_t *v)
{
    for (size_t i = json_array_size(st->vars); i-- > 0;) {
        json_t *pair = json_array_get(st->vars, i);
        if (strcmp(json_string_value(json_array_get(pair, 0)), name) == 0)
            return json_array_set(pair, 1, v ? v : json_null());
    }
    return hk_error_set(st->err, -EINVAL, "template: undefined variable \"%s\"", name);
}

/* ".A.B" (or the ".A.B" after a variable) on v; NULL when a field is missing. */
static json_t *fields(json_t *v, const char *path)
{
    while (v && *path == '.' && path[1]) {
        const char *k = path + 1, *e = strchr(k, '.');
        size_t n = e ? (size_t)(e - k) : strlen(k);
        _cleanup_free_ char *key = strndup(k, n);
        v = json_object_get(v, key);
        path = k + n;
    }
    return v;
}

static json_t *ref(json_t *v)
{
    return v ? json_incref(v) : NULL;
}

static json_t *pipeline(struct lex *l, json_t *dot, struct state *st, bool *ok);

static json_t *number(const char *s)
{
    char *end;
    long long i = strtoll(s, &end, 10);
    if (!*end)
        return json_integer(i);
    return json_real(strtod(s, NULL));
}

/* One operand; *ok false on error (st->err set). New reference or NULL (<no value>). */
static json_t *operand(struct lex *l, json_t *dot, struct state *st, bool *ok)
{
    json_t *v = NULL;
    switch (l->t) {
    case T_FIELD:
        v = ref(strcmp(l->text, ".") == 0 ? dot : fields(dot, l->text));
        break;
    case T_VAR: {
        char *dotp = strchr(l->text, '.');
        _cleanup_free_ char *name = dotp ? strndup(l->text, (size_t)(dotp - l->text))
                                         : xstrdup(l->text);
        json_t *base = var_get(st, name);
        if (!base) {
            *ok = false;
            hk_error_set(st->err, -EINVAL, "template: undefined variable \"%s\"", name);
            return NULL;
        }
        v = ref(dotp ? fields(base, dotp) : base);
        break;
    }
    case T_STRING: v = json_string(l->text); break;
    case T_NUMBER: v = number(l->text); break;
    case T_IDENT:
        if (strcmp(l->text, "true") == 0 || strcmp(l->text, "false") == 0)
            v = json_boolean(l->text[0] == 't');
        else if (strcmp(l->text, "nil") == 0)
            v = json_null();
        else {
            *ok = false;
            hk_error_set(st->err, -EINVAL, "template: function \"%s\" used as a value",
                         l->text);
            return NULL;
        }
        break;
    case T_LPAREN: {
        if (lex_next(l, st->err) < 0) {
            *ok = false;
            return NULL;
        }
        v = pipeline(l, dot, st, ok);
        if (*ok && l->t != T_RPAREN) {
            *ok = false;
            hk_error_set(st->err, -EINVAL, "template: unclosed left paren");
        }
        /* (pipeline).Field: a field of its value */
        if (*ok && l->p < l->end && *l->p == '.') {
            if (lex_next(l, st->err) < 0) {
                *ok = false;
                break;
            }
            json_t *f = ref(fields(v, l->text));
            json_decref(v);
            v = f;
        }
        break;
    }
    default:
        *ok = false;
        hk_error_set(st->err, -EINVAL, "template: missing value in action");
        return NULL;
    }
    if (*ok && lex_next(l, st->err) < 0)
        *ok = false;
    if (!*ok) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static json_t *index_of(json_t *v, const json_t *k)
{
    if (json_is_object(v))
        return json_object_get(v, json_is_string(k) ? json_string_value(k) : "");
    if (json_is_array(v) && json_is_integer(k))
        return json_array_get(v, (size_t)json_integer_value(k));
    return NULL;
}

static double num(const json_t *v)
{
    return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

/* Go's comparison: numbers by value, strings by bytes, else equal JSON. */
static int compare(const json_t *a, const json_t *b, bool *comparable)
{
    *comparable = true;
    if (json_is_number(a) && json_is_number(b))
        return num(a) < num(b) ? -1 : num(a) > num(b);
    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b));
    *comparable = false;
    return (a && b) ? !json_equal(a, b) : a != b;
}

/* printf: Go's verbs %s %v %d %q %f %x %t and their flags, through C's: the format given to
 * snprintf is made here from the flags, width and precision characters and one verb. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static json_t *go_printf(json_t **args, size_t n)
{
    struct out o = {0};
    put(&o, "", 0);
    const char *f = n && json_is_string(args[0]) ? json_string_value(args[0]) : "";
    size_t a = 1;
    for (const char *p = f; *p; p++) {
        if (*p != '%') {
            put(&o, p, 1);
            continue;
        }
        if (p[1] == '%') {
            put(&o, "%", 1);
            p++;
            continue;
        }
        const char *s = p++;
        while (*p && strchr("+- #0123456789.", *p))
            p++;
        if (!*p)
            break;
        char spec[32], buf[512];
        snprintf(spec, sizeof(spec), "%.*s", (int)(p - s), s);
        json_t *v = a < n ? args[a++] : NULL;
        size_t sl = strlen(spec);
        if (strchr("dxXo", *p) && json_is_number(v)) {
            snprintf(spec + sl, sizeof(spec) - sl, "ll%c", *p);
            snprintf(buf, sizeof(buf), spec, (long long)num(v));
        } else if (strchr("feEgG", *p) && json_is_number(v)) {
            snprintf(spec + sl, sizeof(spec) - sl, "%c", *p);
            snprintf(buf, sizeof(buf), spec, num(v));
        } else if (*p == 'q') {
            _cleanup_free_ char *t = value_text(v);
            _cleanup_json_ json_t *js = json_string(t);
            _cleanup_free_ char *q = json_dumps(js, JSON_ENCODE_ANY);
            snprintf(spec + sl, sizeof(spec) - sl, "s");
            snprintf(buf, sizeof(buf), spec, q);
        } else {
            _cleanup_free_ char *t = v ? value_text(v) : xstrdup("%!v(MISSING)");
            snprintf(spec + sl, sizeof(spec) - sl, "s");
            snprintf(buf, sizeof(buf), spec, t);
        }
        puts_(&o, buf);
    }
    json_t *r = json_string(o.buf);
    free(o.buf);
    return r;
}
#pragma GCC diagnostic pop

static json_t *case_map(const json_t *v, int mode)
{
    _cleanup_free_ char *t = value_text(v);
    bool start = true;
    for (char *c = t; *c; c++) {
        if (mode == 0)
            *c = (char)toupper((unsigned char)*c);
        else if (mode == 1)
            *c = (char)tolower((unsigned char)*c);
        else if (start)
            *c = (char)toupper((unsigned char)*c);
        start = !isalnum((unsigned char)*c) && *c != '\'';
    }
    return json_string(t);
}

/* Call function name on args (owned by the caller). New reference, or NULL + *ok false. */
static json_t *call(const char *name, json_t **args, size_t n, struct state *st, bool *ok)
{
    json_t *a0 = n > 0 ? args[0] : NULL, *a1 = n > 1 ? args[1] : NULL;
    bool comparable;
    if (!strcmp(name, "json") && n == 1) {
        char *s = json_dumps(a0 ? a0 : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *r = json_string(s ? s : "null");
        free(s);
        return r;
    }
    if (!strcmp(name, "len") && n == 1)
        return json_integer((json_int_t)(json_is_array(a0)    ? json_array_size(a0)
                                         : json_is_object(a0) ? json_object_size(a0)
                                                              : json_string_length(a0)));
    if (!strcmp(name, "index") && n >= 1) {
        json_t *v = a0;
        for (size_t i = 1; i < n && v; i++)
            v = index_of(v, args[i]);
        return ref(v);
    }
    if ((!strcmp(name, "upper") || !strcmp(name, "lower") || !strcmp(name, "title")) && n == 1)
        return case_map(a0, name[0] == 'u' ? 0 : name[0] == 'l' ? 1 : 2);
    if (!strcmp(name, "printf"))
        return go_printf(args, n);
    if (!strcmp(name, "print") || !strcmp(name, "println")) {
        struct out o = {0};
        put(&o, "", 0);
        for (size_t i = 0; i < n; i++) {
            /* print: spaces between operands when neither is a string; println: always */
            if (i && (name[5] || (!json_is_string(args[i - 1]) && !json_is_string(args[i]))))
                puts_(&o, " ");
            put_value(&o, args[i], false);
        }
        if (name[5])
            puts_(&o, "\n");
        json_t *r = json_string(o.buf);
        free(o.buf);
        return r;
    }
    if (!strcmp(name, "join") && n == 2 && (json_is_array(a0) || !a0)) {
        struct out o = {0};
        put(&o, "", 0);
        size_t i;
        json_t *v;
        json_array_foreach(a0, i, v)
        {
            if (i)
                puts_(&o, json_string_value(a1) ?: "");
            put_value(&o, v, false);
        }
        json_t *r = json_string(o.buf);
        free(o.buf);
        return r;
    }
    if (!strcmp(name, "split") && n == 2) {
        _cleanup_free_ char *s = value_text(a0);
        const char *sep = json_string_value(a1) ?: "";
        json_t *r = json_array();
        size_t sl = strlen(sep);
        char *p = s, *q;
        while (sl && (q = strstr(p, sep))) {
            json_array_append_new(r, json_stringn(p, (size_t)(q - p)));
            p = q + sl;
        }
        for (; !sl && *p; p++)
            json_array_append_new(r, json_stringn(p, 1));
        if (sl)
            json_array_append_new(r, json_string(p));
        return r;
    }
    if (!strcmp(name, "truncate") && n == 2) {
        _cleanup_free_ char *s = value_text(a0);
        long k = (long)num(a1);
        return json_stringn(s, k >= 0 && (size_t)k < strlen(s) ? (size_t)k : strlen(s));
    }
    if (!strcmp(name, "pad") && n == 3) {
        _cleanup_free_ char *s = value_text(a0);
        _cleanup_free_ char *r = xasprintf("%*s%s%*s", (int)num(a1), "", s, (int)num(args[2]), "");
        return json_string(r);
    }
    if (!strcmp(name, "not") && n == 1)
        return json_boolean(!truthy(a0));
    if ((!strcmp(name, "and") || !strcmp(name, "or")) && n >= 1) {
        for (size_t i = 0; i < n; i++)
            if (truthy(args[i]) == (name[0] == 'o') || i == n - 1)
                return ref(args[i]) ?: json_null();
    }
    if (!strcmp(name, "eq") && n >= 2) {
        for (size_t i = 1; i < n; i++)
            if (compare(a0, args[i], &comparable) == 0)
                return json_true();
        return json_false();
    }
    if (!strcmp(name, "ne") && n == 2)
        return json_boolean(compare(a0, a1, &comparable) != 0);
    if ((!strcmp(name, "lt") || !strcmp(name, "le") || !strcmp(name, "gt") ||
         !strcmp(name, "ge")) && n == 2) {
        int c = compare(a0, a1, &comparable);
        if (!comparable) {
            *ok = false;
            hk_error_set(st->err, -EINVAL, "template: %s: incompatible types for comparison",
                         name);
            return NULL;
        }
        return json_boolean(name[0] == 'l' ? (name[1] == 't' ? c < 0 : c <= 0)
                                           : (name[1] == 't' ? c > 0 : c >= 0));
    }
    static const char *const known[] = {"json",  "len",  "index", "upper",    "lower", "title",
                                        "printf", "print", "println", "join", "split",
                                        "truncate", "pad", "not", "and", "or", "eq", "ne",
                                        "lt", "le", "gt", "ge"};
    bool is_known = false;
    for (size_t i = 0; i < ELEMENTSOF(known); i++)
        is_known |= strcmp(known[i], name) == 0;
    *ok = false;
    if (is_known)
        hk_error_set(st->err, -EINVAL, "template: wrong number of args for %s: got %zu", name,
                     n);
    else
        hk_error_set(st->err, -EINVAL, "template: function \"%s\" not defined", name);
    return NULL;
}

/* A command: a function and its operands (the piped value last), or one operand. */
static json_t *command(struct lex *l, json_t *dot, struct state *st, json_t *piped, bool *ok)
{
    if (l->t != T_IDENT || !strcmp(l->text, "true") || !strcmp(l->text, "false") ||
        !strcmp(l->text, "nil")) {
        json_t *v = operand(l, dot, st, ok);
        if (*ok && piped) {
            json_decref(v);
            *ok = false;
            hk_error_set(st->err, -EINVAL, "template: can't give argument to non-function");
            return NULL;
        }
        if (*ok && l->t != T_END && l->t != T_PIPE && l->t != T_RPAREN) {
            json_decref(v);
            *ok = false;
            hk_error_set(st->err, -EINVAL, "template: can't give argument to non-function");
            return NULL;
        }
        return v;
    }
    _cleanup_free_ char *name = xstrdup(l->text);
    json_t *args[16];
    size_t n = 0;
    if (lex_next(l, st->err) < 0) {
        *ok = false;
        return NULL;
    }
    while (*ok && l->t != T_END && l->t != T_PIPE && l->t != T_RPAREN && n < 15) {
        args[n] = operand(l, dot, st, ok);
        if (*ok)
            n++;
    }
    json_t *r = NULL;
    if (*ok) {
        if (piped)
            args[n++] = json_incref(piped);
        r = call(name, args, n, st, ok);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(args[i]);
    return r;
}

/* pipeline: [$x :=|= ] command [| command ...]; l is at its first token. */
static json_t *pipeline(struct lex *l, json_t *dot, struct state *st, bool *ok)
{
    json_t *v = NULL;
    bool first = true;
    for (;;) {
        json_t *next = command(l, dot, st, first ? NULL : (v ? v : json_null()), ok);
        json_decref(v);
        v = next;
        first = false;
        if (!*ok || l->t != T_PIPE)
            break;
        if (lex_next(l, st->err) < 0) {
            *ok = false;
            break;
        }
    }
    if (!*ok) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* A whole action's pipeline, with its declarations: "$x := p", "$i, $v := p" (range), or
 * "$x = p". vars[] gets the declared names (range: up to 2). */
static json_t *action_pipeline(const char *text, json_t *dot, struct state *st, char **vars,
                               size_t *n_vars, bool *assign, bool *ok)
{
    struct lex l = {.p = text, .end = text + strlen(text)};
    *n_vars = 0;
    *assign = false;
    /* look ahead for a declaration: $a [, $b] := or $a = */
    struct lex probe = l;
    probe.text = NULL;
    char *names[2] = {NULL, NULL};
    size_t k = 0;
    bool decl = false;
    while (k < 2 && lex_next(&probe, st->err) == 0 && probe.t == T_VAR && !strchr(probe.text, '.')) {
        names[k++] = xstrdup(probe.text);
        if (lex_next(&probe, st->err) < 0)
            break;
        if (probe.t == T_DECLARE || probe.t == T_ASSIGN) {
            decl = true;
            *assign = probe.t == T_ASSIGN;
            break;
        }
        if (probe.t != T_COMMA)
            break;
    }
    if (decl) {
        l.p = probe.p;
        for (size_t i = 0; i < k; i++)
            vars[i] = names[i];
        *n_vars = k;
    } else {
        for (size_t i = 0; i < k; i++)
            free(names[i]);
    }
    free(probe.text);
    json_t *v = NULL;
    if (lex_next(&l, st->err) < 0)
        *ok = false;
    else if (l.t == T_END) {
        *ok = false;
        hk_error_set(st->err, -EINVAL, "template: missing value for command");
    } else
        v = pipeline(&l, dot, st, ok);
    if (*ok && l.t != T_END) {
        *ok = false;
        hk_error_set(st->err, -EINVAL, "template: unexpected \"%s\" in operand",
                     l.text ? l.text : ")");
    }
    free(l.text);
    if (!*ok) {
        for (size_t i = 0; i < *n_vars; i++)
            free(vars[i]);
        *n_vars = 0;
        json_decref(v);
        return NULL;
    }
    return v;
}

/* --- the template: text and actions, with their nesting ------------------------------------ */

struct item {
    bool is_action;
    char *text; /* the text, or the action's inside (trimmed of "-" markers) */
};

struct tmpl {
    struct item *items;
    size_t n;
};

static int split_items(const char *t, struct tmpl *out, struct hk_error *err)
{
    const char *p = t;
    while (*p) {
        const char *open = strstr(p, "{{");
        size_t text = open ? (size_t)(open - p) : strlen(p);
        const char *inner = NULL, *end = NULL, *close = NULL;
        if (open) {
            inner = open + 2;
            if (*inner == '-' && isspace((unsigned char)inner[1])) {
                while (text && isspace((unsigned char)p[text - 1]))
                    text--;
                inner++;
            }
            close = strstr(inner, "}}");
            if (!close)
                return hk_error_set(err, -EINVAL, "template: unclosed action");
            end = close;
        }
        if (text) {
            out->items = xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
            out->items[out->n++] = (struct item){false, strndup(p, text)};
        }
        if (!open)
            break;
        bool trim_right = end - inner >= 2 && end[-1] == '-' && isspace((unsigned char)end[-2]);
        if (trim_right)
            end--;
        char *a = strndup(inner, (size_t)(end - inner));
        /* a comment: slash-star ... star-slash inside the braces */
        char *s = a;
        while (isspace((unsigned char)*s))
            s++;
        if (strncmp(s, "/*", 2) == 0)
            free(a);
        else {
            out->items = xrealloc(out->items, (out->n + 1) * sizeof(*out->items));
            out->items[out->n++] = (struct item){true, a};
        }
        p = close + 2;
        if (trim_right)
            while (isspace((unsigned char)*p))
                p++;
    }
    return 0;
}

/* The keyword an action starts with ("if", "range", ...), and the rest after it. */
static const char *keyword(const char *a, const char *kw)
{
    while (isspace((unsigned char)*a))
        a++;
    size_t n = strlen(kw);
    if (strncmp(a, kw, n) == 0 && (!a[n] || isspace((unsigned char)a[n])))
        return a + n;
    return NULL;
}

/* The index of the {{end}} matching block start i (and of its {{else}}, or 0). */
static int block_end(const struct tmpl *t, size_t i, size_t *ret_else, size_t *ret_end,
                     struct hk_error *err)
{
    int depth = 0;
    *ret_else = 0;
    for (size_t k = i + 1; k < t->n; k++) {
        if (!t->items[k].is_action)
            continue;
        const char *a = t->items[k].text;
        if (keyword(a, "if") || keyword(a, "range") || keyword(a, "with"))
            depth++;
        else if (keyword(a, "end")) {
            if (depth-- == 0) {
                *ret_end = k;
                return 0;
            }
        } else if (keyword(a, "else") && depth == 0 && !*ret_else)
            *ret_else = k;
    }
    return hk_error_set(err, -EINVAL, "template: unexpected EOF (an {{if}}, {{range}} or "
                                      "{{with}} without {{end}})");
}

static int exec_range(const struct tmpl *t, size_t from, size_t to, json_t *dot,
                      struct state *st, struct out *o);

/* Run items [from, to). */
static int exec_items(const struct tmpl *t, size_t from, size_t to, json_t *dot,
                      struct state *st, struct out *o)
{
    for (size_t i = from; i < to; i++) {
        const struct item *it = &t->items[i];
        if (!it->is_action) {
            puts_(o, it->text);
            continue;
        }
        const char *rest;
        bool is_if = (rest = keyword(it->text, "if")) != NULL;
        bool is_with = !is_if && (rest = keyword(it->text, "with")) != NULL;
        bool is_range = !is_if && !is_with && (rest = keyword(it->text, "range")) != NULL;
        if (keyword(it->text, "end") || keyword(it->text, "else"))
            return hk_error_set(st->err, -EINVAL, "template: unexpected {{%s}}", it->text);
        if (!is_if && !is_with && !is_range) {
            char *vars[2];
            size_t nv;
            bool assign, ok = true;
            json_t *v = action_pipeline(it->text, dot, st, vars, &nv, &assign, &ok);
            if (!ok)
                return st->err->code ? st->err->code : -EINVAL;
            int r = 0;
            if (nv == 1 && assign)
                r = var_set(st, vars[0], v);
            else if (nv == 1)
                var_push(st, vars[0], v);
            else if (nv > 1)
                r = hk_error_set(st->err, -EINVAL, "template: too many declarations");
            else
                put_value(o, v, false);
            for (size_t k = 0; k < nv; k++)
                free(vars[k]);
            json_decref(v);
            if (r < 0)
                return r;
            continue;
        }
        size_t els, end;
        int r = block_end(t, i, &els, &end, st->err);
        if (r < 0)
            return r;
        size_t body_end = els ? els : end;
        size_t depth = json_array_size(st->vars);
        if (is_range) {
            r = exec_range(t, i, end, dot, st, o);
        } else {
            char *vars[2];
            size_t nv;
            bool assign, ok = true;
            json_t *v = action_pipeline(rest, dot, st, vars, &nv, &assign, &ok);
            if (!ok)
                return st->err->code ? st->err->code : -EINVAL;
            for (size_t k = 0; k < nv; k++) {
                var_push(st, vars[k], v);
                free(vars[k]);
            }
            if (truthy(v))
                r = exec_items(t, i + 1, body_end, is_with ? v : dot, st, o);
            else if (els) {
                /* {{else if ...}} / {{else with ...}}: the rest is one more block */
                const char *er = keyword(t->items[els].text, "else");
                while (isspace((unsigned char)*er))
                    er++;
                if (*er) {
                    struct tmpl sub = *t;
                    _cleanup_free_ char *kw = xstrdup(er);
                    char *saved = t->items[els].text;
                    t->items[els].text = kw;
                    r = exec_items(&sub, els, end + 1, dot, st, o);
                    t->items[els].text = saved;
                } else {
                    r = exec_items(t, els + 1, end, dot, st, o);
                }
            }
            json_decref(v);
        }
        while (json_array_size(st->vars) > depth)
            json_array_remove(st->vars, json_array_size(st->vars) - 1);
        if (r < 0)
            return r;
        i = end;
    }
    return 0;
}

static int exec_range(const struct tmpl *t, size_t at, size_t end, json_t *dot,
                      struct state *st, struct out *o)
{
    size_t els, e2;
    block_end(t, at, &els, &e2, st->err);
    size_t body_end = els ? els : end;
    char *vars[2];
    size_t nv;
    bool assign, ok = true;
    json_t *v = action_pipeline(keyword(t->items[at].text, "range"), dot, st, vars, &nv, &assign,
                                &ok);
    if (!ok)
        return st->err->code ? st->err->code : -EINVAL;
    int r = 0;
    size_t depth = json_array_size(st->vars);
    size_t count = json_is_array(v) ? json_array_size(v) : json_is_object(v) ? json_object_size(v) : 0;
    if (v && !json_is_null(v) && !json_is_array(v) && !json_is_object(v))
        r = hk_error_set(st->err, -EINVAL, "template: range can't iterate over %s",
                         json_is_string(v) ? json_string_value(v) : "a value");
    /* Go ranges over a map in key order */
    const char **keys = json_is_object(v) ? xcalloc(count + 1, sizeof(*keys)) : NULL;
    if (keys) {
        size_t k = 0;
        const char *key;
        json_t *x;
        json_object_foreach(v, key, x) keys[k++] = key;
        for (size_t a = 1; a < count; a++)
            for (size_t b = a; b > 0 && strcmp(keys[b - 1], keys[b]) > 0; b--) {
                const char *tmp = keys[b];
                keys[b] = keys[b - 1];
                keys[b - 1] = tmp;
            }
    }
    for (size_t i = 0; r == 0 && i < count; i++) {
        json_t *elem = keys ? json_object_get(v, keys[i]) : json_array_get(v, i);
        json_t *key = keys ? json_string(keys[i]) : json_integer((json_int_t)i);
        if (nv == 1)
            var_push(st, vars[0], elem);
        else if (nv == 2) {
            var_push(st, vars[0], key);
            var_push(st, vars[1], elem);
        }
        json_decref(key);
        r = exec_items(t, at + 1, body_end, elem, st, o);
        while (json_array_size(st->vars) > depth)
            json_array_remove(st->vars, json_array_size(st->vars) - 1);
    }
    if (r == 0 && count == 0 && els)
        r = exec_items(t, els + 1, end, dot, st, o);
    free(keys);
    for (size_t k = 0; k < nv; k++)
        free(vars[k]);
    json_decref(v);
    return r;
}

int template_render(const char *tmpl, const json_t *data, char **ret, struct hk_error *err)
{
    struct tmpl t = {0};
    struct out o = {0};
    put(&o, "", 0);
    int r = split_items(tmpl, &t, err);
    struct state st = {.vars = json_array(), .err = err};
    struct hk_error local = {0};
    if (!err)
        st.err = &local;
    var_push(&st, "$", (json_t *)data);
    if (r == 0)
        r = exec_items(&t, 0, t.n, (json_t *)data, &st, &o);
    for (size_t i = 0; i < t.n; i++)
        free(t.items[i].text);
    free(t.items);
    json_decref(st.vars);
    if (r < 0) {
        free(o.buf);
        return r;
    }
    *ret = o.buf;
    return 0;
}
