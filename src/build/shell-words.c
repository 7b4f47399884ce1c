/* shell-words.c — docker's shell-like word processing for Dockerfile arguments (the `shell`
 * lexer of moby/buildkit): quotes, the escape character, and variable expansion. */
#include <ctype.h>
#include <string.h>

#include "build/dockerfile.h"
#include "util/fs.h"

struct sbuf {
    char *s;
    size_t len, cap;
};

static void sb_add(struct sbuf *b, char c)
{
    if (b->len + 2 > b->cap) {
        b->cap = b->cap ? b->cap * 2 : 32;
        b->s = xrealloc(b->s, b->cap);
    }
    b->s[b->len++] = c;
    b->s[b->len] = 0;
}

static char *sb_take(struct sbuf *b)
{
    char *s = b->s ? b->s : xstrdup("");
    *b = (struct sbuf){0};
    return s;
}

struct lex {
    const char *s;
    size_t i, n;
    char esc;
    df_lookup_fn lookup;
    void *ud;
    bool split;
    bool heredoc; /* a heredoc body: quotes are text, the escape only before $, itself, ` */
    struct sbuf word;
    bool in_word;
    char **words;
    size_t n_words;
    struct hk_error *err;
};

static void end_word(struct lex *l)
{
    if (!l->in_word)
        return;
    l->words = xrealloc(l->words, (l->n_words + 2) * sizeof(char *));
    l->words[l->n_words++] = sb_take(&l->word);
    l->words[l->n_words] = NULL;
    l->in_word = false;
}

/* A character that came from quotes or an escape: always part of the word. */
static void add_raw(struct lex *l, char c)
{
    l->in_word = true;
    sb_add(&l->word, c);
}

/* An unquoted character (or one from an unquoted variable): whitespace splits words. */
static void add_char(struct lex *l, char c)
{
    if (l->split && isspace((unsigned char)c))
        end_word(l);
    else
        add_raw(l, c);
}

static int expand_sub(struct lex *l, const char *s, size_t n, char **ret);

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* ${...}: l->i is just past "${". *ret allocated (NULL: unset and no default). */
static int dollar_brace(struct lex *l, char **ret)
{
    size_t start = l->i;
    while (l->i < l->n && name_char(l->s[l->i]))
        l->i++;
    if (l->i == start || l->i >= l->n)
        return hk_error_set(l->err, -EINVAL, "bad substitution: missing or empty variable name");
    _cleanup_free_ char *name = strndup(l->s + start, l->i - start);
    const char *val = l->lookup(name, l->ud);
    if (l->s[l->i] == '}') {
        l->i++;
        *ret = val ? xstrdup(val) : NULL;
        return 0;
    }
    bool colon = l->s[l->i] == ':';
    if (colon)
        l->i++;
    char mod = l->i < l->n ? l->s[l->i++] : 0;
    if (mod != '-' && mod != '+' && mod != '?')
        return hk_error_set(l->err, -EINVAL, "unsupported modifier (%c) in substitution of '%s'",
                            mod ? mod : ' ', name);
    size_t wstart = l->i;
    int depth = 0;
    while (l->i < l->n && (l->s[l->i] != '}' || depth > 0)) {
        if (l->s[l->i] == l->esc && l->i + 1 < l->n)
            l->i++;
        else if (l->s[l->i] == '{')
            depth++;
        else if (l->s[l->i] == '}')
            depth--;
        l->i++;
    }
    if (l->i >= l->n)
        return hk_error_set(l->err, -EINVAL, "missing '}' in substitution of '%s'", name);
    size_t wlen = l->i - wstart;
    l->i++;
    bool set = val && (!colon || *val);
    _cleanup_free_ char *word = NULL;
    int r = expand_sub(l, l->s + wstart, wlen, &word);
    if (r < 0)
        return r;
    if (mod == '-')
        *ret = xstrdup(set ? val : word);
    else if (mod == '+')
        *ret = xstrdup(set ? word : "");
    else if (!set)
        return hk_error_set(l->err, -EINVAL, "%s: %s", name, *word ? word : "is not allowed to be unset");
    else
        *ret = xstrdup(val);
    return 0;
}

/* At '$': append the expansion (split when unquoted and splitting). */
static int dollar(struct lex *l, bool quoted)
{
    l->i++;
    _cleanup_free_ char *val = NULL;
    if (l->i < l->n && l->s[l->i] == '{') {
        l->i++;
        int r = dollar_brace(l, &val);
        if (r < 0)
            return r;
    } else if (l->i < l->n && name_char(l->s[l->i])) {
        size_t start = l->i;
        while (l->i < l->n && name_char(l->s[l->i]))
            l->i++;
        _cleanup_free_ char *name = strndup(l->s + start, l->i - start);
        const char *v = l->lookup(name, l->ud);
        val = v ? xstrdup(v) : NULL;
    } else {
        add_raw(l, '$');
        return 0;
    }
    if (quoted)
        l->in_word = true;
    for (const char *p = val ? val : ""; *p; p++)
        quoted ? add_raw(l, *p) : add_char(l, *p);
    return 0;
}

static int single_quote(struct lex *l)
{
    l->i++;
    l->in_word = true;
    while (l->i < l->n && l->s[l->i] != '\'')
        add_raw(l, l->s[l->i++]);
    if (l->i >= l->n)
        return hk_error_set(l->err, -EINVAL,
                            "unexpected end of statement while looking for matching single-quote");
    l->i++;
    return 0;
}

static int double_quote(struct lex *l)
{
    l->i++;
    l->in_word = true;
    while (l->i < l->n && l->s[l->i] != '"') {
        char c = l->s[l->i];
        if (c == '$') {
            int r = dollar(l, true);
            if (r < 0)
                return r;
            continue;
        }
        if (c == l->esc && l->i + 1 < l->n &&
            (l->s[l->i + 1] == '"' || l->s[l->i + 1] == '$' || l->s[l->i + 1] == l->esc))
            c = l->s[++l->i];
        add_raw(l, c);
        l->i++;
    }
    if (l->i >= l->n)
        return hk_error_set(l->err, -EINVAL,
                            "unexpected end of statement while looking for matching double-quote");
    l->i++;
    return 0;
}

static int run(struct lex *l)
{
    while (l->i < l->n) {
        char c = l->s[l->i];
        int r = 0;
        if (l->heredoc && c != '$') {
            if (c == l->esc && l->i + 1 < l->n && strchr("$`", l->s[l->i + 1]))
                l->i++;
            else if (c == l->esc && l->i + 1 < l->n && l->s[l->i + 1] == l->esc)
                l->i++;
            add_raw(l, l->s[l->i++]);
        } else if (c == '\'')
            r = single_quote(l);
        else if (c == '"')
            r = double_quote(l);
        else if (c == '$')
            r = dollar(l, false);
        else if (c == l->esc) {
            if (++l->i < l->n)
                add_raw(l, l->s[l->i++]);
        } else {
            add_char(l, c);
            l->i++;
        }
        if (r < 0)
            return r;
    }
    end_word(l);
    return 0;
}

static void lex_clear(struct lex *l)
{
    free(l->word.s);
    df_strv_free(l->words);
}

/* The default word of a ${VAR:-word}: expanded, quotes removed, never split. */
static int expand_sub(struct lex *l, const char *s, size_t n, char **ret)
{
    struct lex sub = {.s = s, .n = n, .esc = l->esc, .lookup = l->lookup, .ud = l->ud,
                      .err = l->err};
    int r = run(&sub);
    if (r == 0)
        *ret = xstrdup(sub.n_words ? sub.words[0] : "");
    lex_clear(&sub);
    return r;
}

int df_expand(const char *s, char escape, df_lookup_fn lookup, void *ud, char **ret,
              struct hk_error *err)
{
    struct lex l = {.s = s, .n = strlen(s), .esc = escape, .lookup = lookup, .ud = ud,
                    .err = err};
    int r = run(&l);
    if (r == 0)
        *ret = xstrdup(l.n_words ? l.words[0] : "");
    lex_clear(&l);
    return r;
}

int df_expand_heredoc(const char *s, char escape, df_lookup_fn lookup, void *ud, char **ret,
                      struct hk_error *err)
{
    struct lex l = {.s = s, .n = strlen(s), .esc = escape, .lookup = lookup, .ud = ud,
                    .heredoc = true, .err = err};
    int r = run(&l);
    if (r == 0)
        *ret = xstrdup(l.n_words ? l.words[0] : "");
    lex_clear(&l);
    return r;
}

int df_words(const char *s, char escape, df_lookup_fn lookup, void *ud, char ***ret,
             size_t *ret_n, struct hk_error *err)
{
    struct lex l = {.s = s, .n = strlen(s), .esc = escape, .lookup = lookup, .ud = ud,
                    .split = true, .err = err};
    int r = run(&l);
    if (r == 0) {
        if (!l.words)
            l.words = xcalloc(1, sizeof(char *));
        *ret = TAKE_PTR(l.words);
        *ret_n = l.n_words;
    }
    lex_clear(&l);
    return r;
}

int df_split_raw(const char *s, char escape, char ***ret, size_t *ret_n)
{
    char **v = xcalloc(1, sizeof(char *));
    size_t n = 0;
    const char *p = s;
    while (*p) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        char quote = 0;
        for (; *p && (quote || !isspace((unsigned char)*p)); p++) {
            if (*p == escape && p[1] && quote != '\'')
                p++;
            else if (!quote && (*p == '"' || *p == '\''))
                quote = *p;
            else if (quote && *p == quote)
                quote = 0;
        }
        v = xrealloc(v, (n + 2) * sizeof(char *));
        v[n++] = strndup(start, (size_t)(p - start));
        v[n] = NULL;
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

void df_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}
