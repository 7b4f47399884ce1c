/* ignore.c — see ignore.h. */
#include "build/ignore.h"

#include <fnmatch.h>
#include <string.h>

#include "util/fs.h"
#include "util/path.h"

void ignore_parse(const char *text, struct ignore *ret)
{
    *ret = (struct ignore){0};
    if (!text)
        return;
    _cleanup_free_ char *copy = xstrdup(text);
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        while (*l == ' ' || *l == '\t')
            l++;
        size_t n = strlen(l);
        while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
            l[--n] = 0;
        if (!*l || *l == '#')
            continue;
        bool ex = *l == '!';
        if (ex)
            l++;
        _cleanup_free_ char *abs = xasprintf("/%s", l);
        _cleanup_free_ char *clean = path_clean(abs);
        if (strcmp(clean, "/") == 0)
            continue;
        ret->patterns = xrealloc(ret->patterns, (ret->n + 1) * sizeof(char *));
        ret->exception = xrealloc(ret->exception, (ret->n + 1) * sizeof(bool));
        ret->patterns[ret->n] = xstrdup(clean + 1);
        ret->exception[ret->n++] = ex;
    }
}

void ignore_clear(struct ignore *ig)
{
    for (size_t i = 0; i < ig->n; i++)
        free(ig->patterns[i]);
    free(ig->patterns);
    free(ig->exception);
    *ig = (struct ignore){0};
}

/* Match pattern segments against path segments; "**" takes zero or more segments. A pattern
 * that runs out while path segments remain matches too (a directory and what is under it). */
static bool match_segs(char **p, size_t np, char **s, size_t ns)
{
    if (np == 0)
        return true;
    if (strcmp(p[0], "**") == 0) {
        for (size_t k = 0; k <= ns; k++)
            if (match_segs(p + 1, np - 1, s + k, ns - k))
                return true;
        return false;
    }
    if (ns == 0 || fnmatch(p[0], s[0], 0) != 0)
        return false;
    return match_segs(p + 1, np - 1, s + 1, ns - 1);
}

static size_t split(char *s, char **out, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(s, "/", &save); t && n < max; t = strtok_r(NULL, "/", &save))
        out[n++] = t;
    return n;
}

static bool match_one(const char *pattern, const char *path)
{
    _cleanup_free_ char *p = xstrdup(pattern), *s = xstrdup(path);
    char *ps[128], *ss[128];
    size_t np = split(p, ps, 128), ns = split(s, ss, 128);
    return match_segs(ps, np, ss, ns);
}

bool ignore_match(const struct ignore *ig, const char *relpath)
{
    bool excluded = false;
    for (size_t i = 0; i < ig->n; i++)
        if (match_one(ig->patterns[i], relpath))
            excluded = !ig->exception[i];
    return excluded;
}

bool ignore_may_include_under(const struct ignore *ig, const char *relpath)
{
    size_t n = strlen(relpath);
    for (size_t i = 0; i < ig->n; i++)
        if (ig->exception[i] && (strstr(ig->patterns[i], "**") ||
                                 (strncmp(ig->patterns[i], relpath, n) == 0 &&
                                  ig->patterns[i][n] == '/')))
            return true;
    return false;
}
