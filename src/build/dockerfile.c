/* dockerfile.c — see dockerfile.h. Reading order: dockerfile_parse (directives, then logical
 * lines) → parse_logical (keyword, flags, JSON, heredoc markers) → check_args. */
#include "build/dockerfile.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "util/fs.h"

#define MAX_HEREDOCS 16

/* The instructions and the flags each takes. */
static const struct {
    const char *name;
    const char *flags; /* space-separated */
} known[] = {
    {"ADD", "chown chmod link checksum keep-git-dir exclude"},
    {"ARG", ""},
    {"CMD", ""},
    {"COPY", "from chown chmod link parents exclude"},
    {"ENTRYPOINT", ""},
    {"ENV", ""},
    {"EXPOSE", ""},
    {"FROM", "platform"},
    {"HEALTHCHECK", "interval timeout start-period start-interval retries"},
    {"LABEL", ""},
    {"MAINTAINER", ""},
    {"ONBUILD", ""},
    {"RUN", "mount network security"},
    {"SHELL", ""},
    {"STOPSIGNAL", ""},
    {"USER", ""},
    {"VOLUME", ""},
    {"WORKDIR", ""},
};

/* A physical line of the input. */
struct lines {
    const char *text;
    size_t len, pos;
    int lineno; /* of the line next() returns */
};

/* The next physical line (allocated, without its newline and a trailing '\r'), or NULL. */
static char *next_line(struct lines *ls)
{
    if (ls->pos >= ls->len)
        return NULL;
    const char *start = ls->text + ls->pos;
    const char *nl = memchr(start, '\n', ls->len - ls->pos);
    size_t n = nl ? (size_t)(nl - start) : ls->len - ls->pos;
    ls->pos += n + (nl ? 1 : 0);
    ls->lineno++;
    if (n > 0 && start[n - 1] == '\r')
        n--;
    char *s = xcalloc(1, n + 1);
    memcpy(s, start, n);
    for (size_t i = 0; i < n; i++)
        if (s[i] == 0)
            s[i] = ' '; /* NUL bytes cannot be part of anything */
    return s;
}

static bool blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == 0;
}

static bool comment(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == '#';
}

static void rtrim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
}

static char *ltrim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return s;
}

/* "# key=value" at the top: 1 when it is a directive (and applied), 0 when not. */
static int directive(struct dockerfile *d, const char *line, const char *name, int lineno,
                     struct hk_error *err)
{
    const char *p = line;
    if (*p++ != '#')
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *k = p;
    while (isalpha((unsigned char)*p))
        p++;
    size_t klen = (size_t)(p - k);
    while (*p == ' ' || *p == '\t')
        p++;
    if (klen == 0 || *p != '=')
        return 0;
    _cleanup_free_ char *value = xstrdup(ltrim((char *)p + 1));
    rtrim(value);
    if (klen == 6 && strncasecmp(k, "escape", 6) == 0) {
        if (strcmp(value, "\\") != 0 && strcmp(value, "`") != 0)
            return hk_error_set(err, -EINVAL, "%s:%d: invalid escape token '%s' does not validate",
                                name, lineno, value);
        d->escape = value[0];
        return 1;
    }
    if (klen == 6 && strncasecmp(k, "syntax", 6) == 0) {
        free(d->syntax);
        d->syntax = TAKE_PTR(value);
        return 1;
    }
    return klen == 5 && strncasecmp(k, "check", 5) == 0;
}

/* Whether the line ends in the escape character (then removed, with what follows it). */
static bool continues(char *s, char escape)
{
    rtrim(s);
    size_t n = strlen(s);
    if (n == 0 || s[n - 1] != escape)
        return false;
    s[n - 1] = 0;
    return true;
}

static void append(char **acc, const char *s)
{
    char *n = xasprintf("%s%s", *acc ? *acc : "", s);
    free(*acc);
    *acc = n;
}

static const char *flag_set(const char *cmd)
{
    for (size_t i = 0; i < ELEMENTSOF(known); i++)
        if (strcmp(known[i].name, cmd) == 0)
            return known[i].flags;
    return NULL;
}

static bool flag_known(const char *set, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = set; (p = strstr(p, name)); p += n)
        if ((p == set || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
            return true;
    return false;
}

#define LERR(in, name, fmt, ...)                                                                   \
    hk_error_set(err, -EINVAL, "%s:%d: %s: " fmt, name, (in)->line, (in)->cmd, ##__VA_ARGS__)

/* Leading --flag[=value] words of *rest, consumed. */
static int parse_flags(struct df_instr *in, char **rest, const char *set, const char *name,
                       struct hk_error *err)
{
    char *p = *rest;
    while (p[0] == '-' && p[1] == '-') {
        char *end = p;
        while (*end && !isspace((unsigned char)*end))
            end++;
        char *word = strndup(p + 2, (size_t)(end - p - 2));
        char *eq = strchr(word, '=');
        if (eq)
            *eq = 0;
        if (!*word || !flag_known(set, word)) {
            int r = LERR(in, name, "unknown flag: --%s", word);
            free(word);
            return r;
        }
        in->flags = xrealloc(in->flags, (in->n_flags + 1) * sizeof(*in->flags));
        in->flags[in->n_flags++] =
            (struct df_flag){.name = word, .value = eq ? xstrdup(eq + 1) : NULL};
        p = ltrim(end);
    }
    *rest = p;
    return 0;
}

/* A JSON array of strings: the exec form. Anything else stays the shell form. */
static void parse_json(struct df_instr *in)
{
    if (in->rest[0] != '[')
        return;
    json_t *a = json_loads(in->rest, 0, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (!json_is_string(v) || strlen(json_string_value(v)) !=
                                                              json_string_length(v))
    {
        json_decref(a);
        return;
    }
    in->json = true;
    in->n_args = json_array_size(a);
    in->args = xcalloc(in->n_args + 1, sizeof(char *));
    json_array_foreach(a, i, v) in->args[i] = xstrdup(json_string_value(v));
    json_decref(a);
}

/* The heredoc markers in rest ("<<EOF", "<<-EOF", "<<'EOF'", "<<\"EOF\""), in order. */
static int heredoc_markers(struct df_instr *in, const char *name, struct hk_error *err)
{
    if (strcmp(in->cmd, "RUN") != 0 && strcmp(in->cmd, "COPY") != 0 &&
        strcmp(in->cmd, "ADD") != 0)
        return 0;
    char **words = NULL;
    size_t n = 0;
    df_split_raw(in->rest, '\0', &words, &n);
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        const char *w = words[i];
        if (strncmp(w, "<<", 2) != 0)
            continue;
        w += 2;
        bool chomp = *w == '-';
        w += chomp;
        bool quoted = *w == '"' || *w == '\'';
        size_t len = strlen(w);
        char *delim = quoted && len >= 2 && w[len - 1] == w[0] ? strndup(w + 1, len - 2)
                                                               : xstrdup(w);
        bool ok = *delim != 0;
        for (const char *c = delim; *c; c++)
            ok &= isalnum((unsigned char)*c) || *c == '_' || *c == '-' || *c == '.';
        if (!ok) {
            free(delim);
            continue; /* "<<" that is not a heredoc (a shell here-string, a redirection) */
        }
        if (in->n_heredocs >= MAX_HEREDOCS) {
            free(delim);
            r = LERR(in, name, "more than %d heredocs", MAX_HEREDOCS);
            break;
        }
        in->heredocs = xrealloc(in->heredocs, (in->n_heredocs + 1) * sizeof(*in->heredocs));
        in->heredocs[in->n_heredocs++] =
            (struct df_heredoc){.name = delim, .expand = !quoted, .content = NULL};
        if (chomp) /* an empty content marks "<<-" until heredoc_bodies reads the body */
            in->heredocs[in->n_heredocs - 1].content = xstrdup("");
    }
    df_strv_free(words);
    return r;
}

/* Read the bodies of in's heredocs from ls. */
static int heredoc_bodies(struct df_instr *in, struct lines *ls, const char *name,
                          struct hk_error *err)
{
    for (size_t i = 0; i < in->n_heredocs; i++) {
        struct df_heredoc *h = &in->heredocs[i];
        bool chomp = h->content != NULL;
        free(h->content);
        h->content = xstrdup("");
        char *line;
        bool closed = false;
        while ((line = next_line(ls))) {
            const char *l = line;
            if (chomp)
                while (*l == '\t')
                    l++;
            if (strcmp(l, h->name) == 0) {
                free(line);
                closed = true;
                break;
            }
            append(&h->content, l);
            append(&h->content, "\n");
            free(line);
        }
        if (!closed)
            return LERR(in, name, "unterminated heredoc '%s'", h->name);
    }
    return 0;
}

static size_t count_words(const char *s)
{
    char **w = NULL;
    size_t n = 0;
    df_split_raw(s, '\0', &w, &n);
    df_strv_free(w);
    return n;
}

/* Docker's checks of each instruction's arguments (the parse-time ones). */
static int check_args(struct df_instr *in, char escape, const char *name, struct hk_error *err)
{
    const char *c = in->cmd;
    size_t n = in->json ? in->n_args : count_words(in->rest);
    if (strcmp(c, "FROM") == 0) {
        if (n != 1 && n != 3)
            return LERR(in, name, "FROM requires either one or three arguments");
        if (n == 3) {
            char **w = NULL;
            size_t k;
            df_split_raw(in->rest, escape, &w, &k);
            bool as = strcasecmp(w[1], "AS") == 0;
            df_strv_free(w);
            if (!as)
                return LERR(in, name, "FROM: expected 'AS' as the second word");
        }
    } else if (strcmp(c, "COPY") == 0 || strcmp(c, "ADD") == 0) {
        if (n < 2)
            return LERR(in, name,
                        "%s requires at least two arguments, but only %s provided. Destination "
                        "could not be determined",
                        c, n == 0 ? "none was" : "one was");
    } else if (strcmp(c, "SHELL") == 0) {
        if (!in->json)
            return LERR(in, name, "SHELL requires the arguments to be in JSON form");
        if (n == 0)
            return LERR(in, name, "SHELL requires at least one argument");
    } else if (strcmp(c, "USER") == 0 || strcmp(c, "STOPSIGNAL") == 0) {
        if (n != 1)
            return LERR(in, name, "%s requires exactly one argument", c);
    } else if (strcmp(c, "WORKDIR") == 0 || strcmp(c, "MAINTAINER") == 0) {
        if (!*in->rest)
            return LERR(in, name, "%s requires exactly one argument", c);
    } else if (strcmp(c, "ENV") == 0 || strcmp(c, "LABEL") == 0 || strcmp(c, "ARG") == 0 ||
               strcmp(c, "EXPOSE") == 0 || strcmp(c, "VOLUME") == 0 ||
               strcmp(c, "ONBUILD") == 0 || strcmp(c, "HEALTHCHECK") == 0) {
        if (n == 0)
            return LERR(in, name, "%s requires at least one argument", c);
        if (strcmp(c, "ENV") == 0 && !strchr(in->rest, '=') && n < 2)
            return LERR(in, name, "ENV must have two arguments");
    } else if (strcmp(c, "RUN") == 0 && n == 0 && in->n_heredocs == 0) {
        return LERR(in, name, "RUN requires at least one argument");
    }
    return 0;
}

static int check_onbuild(struct df_instr *in, char escape, const char *name,
                         struct hk_error *err)
{
    struct df_instr inner = {0};
    int r = df_parse_line(in->rest, escape, name, in->line, &inner, err);
    if (r == 0 && (strcmp(inner.cmd, "ONBUILD") == 0 || strcmp(inner.cmd, "FROM") == 0 ||
                   strcmp(inner.cmd, "MAINTAINER") == 0))
        r = LERR(in, name, "%s isn't allowed as an ONBUILD trigger", inner.cmd);
    df_instr_clear(&inner);
    return r;
}

/* One logical line (continuations joined) into *in. */
static int parse_logical(const char *text, char escape, const char *name, int lineno,
                         struct df_instr *in, struct hk_error *err)
{
    *in = (struct df_instr){.line = lineno};
    _cleanup_free_ char *copy = xstrdup(text);
    char *p = ltrim(copy);
    rtrim(p);
    in->original = xstrdup(p);
    char *end = p;
    while (*end && !isspace((unsigned char)*end))
        end++;
    in->cmd = strndup(p, (size_t)(end - p));
    for (char *c = in->cmd; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    const char *set = flag_set(in->cmd);
    if (!set)
        return hk_error_set(err, -EINVAL, "%s:%d: unknown instruction: %s", name, lineno,
                            in->cmd);
    char *rest = ltrim(end);
    int r = *set ? parse_flags(in, &rest, set, name, err) : 0;
    if (r < 0)
        return r;
    in->rest = xstrdup(rest);
    parse_json(in);
    r = in->json ? 0 : heredoc_markers(in, name, err);
    if (r == 0)
        r = check_args(in, escape, name, err);
    if (r == 0 && strcmp(in->cmd, "ONBUILD") == 0)
        r = check_onbuild(in, escape, name, err);
    return r;
}

int df_parse_line(const char *line, char escape, const char *name, int lineno,
                  struct df_instr *ret, struct hk_error *err)
{
    struct df_instr in;
    int r = blank(line) ? hk_error_set(err, -EINVAL, "%s:%d: an empty instruction", name, lineno)
                        : parse_logical(line, escape, name, lineno, &in, err);
    if (r == 0 && in.n_heredocs > 0)
        r = hk_error_set(err, -EINVAL, "%s:%d: %s: heredocs are not allowed here", name,
                         lineno, in.cmd);
    if (r < 0) {
        if (!blank(line))
            df_instr_clear(&in);
        return r;
    }
    *ret = in;
    return 0;
}

/* Skip the directives at the top; returns the first line after them (allocated) or NULL. */
static int read_directives(struct dockerfile *d, struct lines *ls, const char *name,
                           char **ret_line, struct hk_error *err)
{
    char *line;
    while ((line = next_line(ls))) {
        int r = directive(d, ltrim(line), name, ls->lineno, err);
        if (r <= 0) {
            if (r < 0) {
                free(line);
                return r;
            }
            break;
        }
        free(line);
    }
    *ret_line = line;
    return 0;
}

static void add_instr(struct dockerfile *d, struct df_instr *in)
{
    d->instrs = xrealloc(d->instrs, (d->n + 1) * sizeof(*d->instrs));
    d->instrs[d->n++] = *in;
}

/* Join a logical line starting with first (consumed), skipping comment and blank lines inside. */
static char *logical_line(struct lines *ls, char *first, char escape)
{
    char *acc = NULL;
    char *line = first;
    while (line) {
        bool more = continues(line, escape);
        append(&acc, line);
        free(line);
        if (!more)
            break;
        do
            line = next_line(ls);
        while (line && (comment(line) || blank(line)) && (free(line), true));
    }
    return acc;
}

int dockerfile_parse(const char *text, size_t len, const char *name, struct dockerfile *ret,
                     struct hk_error *err)
{
    struct dockerfile d = {.escape = '\\'};
    struct lines ls = {.text = text, .len = len};
    char *line = NULL;
    bool staged = false;
    int r = read_directives(&d, &ls, name, &line, err);
    for (; r == 0 && line; line = next_line(&ls)) {
        if (blank(line) || comment(line)) {
            free(line);
            continue;
        }
        int start = ls.lineno;
        _cleanup_free_ char *logical = logical_line(&ls, line, d.escape);
        struct df_instr in;
        r = parse_logical(logical, d.escape, name, start, &in, err);
        if (r == 0)
            r = heredoc_bodies(&in, &ls, name, err);
        if (r == 0 && !staged && strcmp(in.cmd, "ARG") != 0 && strcmp(in.cmd, "FROM") != 0)
            r = hk_error_set(err, -EINVAL,
                             "%s:%d: %s: no build stage in current context (the first "
                             "instruction must be FROM)",
                             name, start, in.cmd);
        staged |= r == 0 && strcmp(in.cmd, "FROM") == 0;
        if (r == 0)
            add_instr(&d, &in);
        else
            df_instr_clear(&in);
    }
    free(line);
    if (r == 0 && d.n == 0)
        r = hk_error_set(err, -EINVAL, "the Dockerfile (%s) cannot be empty", name);
    if (r < 0) {
        dockerfile_clear(&d);
        return r;
    }
    *ret = d;
    return 0;
}

void df_instr_clear(struct df_instr *in)
{
    free(in->cmd);
    free(in->original);
    free(in->rest);
    for (size_t i = 0; i < in->n_flags; i++) {
        free(in->flags[i].name);
        free(in->flags[i].value);
    }
    free(in->flags);
    for (size_t i = 0; in->args && i < in->n_args; i++)
        free(in->args[i]);
    free(in->args);
    for (size_t i = 0; i < in->n_heredocs; i++) {
        free(in->heredocs[i].name);
        free(in->heredocs[i].content);
    }
    free(in->heredocs);
    *in = (struct df_instr){0};
}

void dockerfile_clear(struct dockerfile *d)
{
    for (size_t i = 0; i < d->n; i++)
        df_instr_clear(&d->instrs[i]);
    free(d->instrs);
    free(d->syntax);
    *d = (struct dockerfile){0};
}

const char *df_flag(const struct df_instr *in, const char *name, bool *ret_present)
{
    const char *v = NULL;
    bool present = false;
    for (size_t i = 0; i < in->n_flags; i++)
        if (strcmp(in->flags[i].name, name) == 0) {
            present = true;
            v = in->flags[i].value;
        }
    if (ret_present)
        *ret_present = present;
    return v;
}
