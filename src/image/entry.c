#include "image/entry.h"

#include <limits.h>
#include <string.h>

#include "util/fs.h"

#define WH_PREFIX ".wh."
#define WH_META ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"

int entry_clean(const char *name, char **ret, struct hk_error *err)
{
    size_t len = strlen(name);
    if (len >= PATH_MAX)
        return hk_error_set(err, -ENAMETOOLONG, "name longer than %d bytes", PATH_MAX);
    if (name[0] == '/')
        return hk_error_set(err, -EPERM, "absolute path '%s' refused", name);
    _cleanup_free_ char *out = xcalloc(1, len + 1);
    size_t n = 0;
    for (const char *p = name; *p;) {
        const char *end = strchrnul(p, '/');
        size_t clen = (size_t)(end - p);
        if (clen == 2 && p[0] == '.' && p[1] == '.')
            return hk_error_set(err, -EPERM, "'..' in path '%s' refused", name);
        if (clen > 0 && !(clen == 1 && p[0] == '.')) {
            if (n > 0)
                out[n++] = '/';
            memcpy(out + n, p, clen);
            n += clen;
        }
        p = *end ? end + 1 : end;
    }
    out[n] = '\0';
    *ret = TAKE_PTR(out);
    return 0;
}

int whiteout_classify(const char *path, enum whiteout_kind *ret_kind, char **ret_target,
                      struct hk_error *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dirlen = slash ? (size_t)(slash - path) : 0;
    *ret_target = NULL;
    if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) != 0) {
        *ret_kind = WHITEOUT_NONE;
        return 0;
    }
    if (strcmp(base, WH_OPAQUE) == 0) {
        *ret_kind = WHITEOUT_OPAQUE;
        *ret_target = strndup(path, dirlen);
        return 0;
    }
    if (strncmp(base, WH_META, strlen(WH_META)) == 0) {
        *ret_kind = WHITEOUT_META;
        return 0;
    }
    const char *victim = base + strlen(WH_PREFIX);
    if (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
        return hk_error_set(err, -EPERM, "whiteout '%s' names no entry of its directory", path);
    *ret_kind = WHITEOUT_FILE;
    *ret_target = slash ? xasprintf("%.*s/%s", (int)dirlen, path, victim) : xstrdup(victim);
    return 0;
}
