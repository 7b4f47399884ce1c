#include "image/reference.h"

#include <ctype.h>
#include <string.h>

#include "image/digest.h"
#include "util/fs.h"

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ (([._]|__|[-]+) [a-z0-9]+)* */
static bool component_ok(const char *p, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_lower_alnum(p[0]))
        return false;
    while (i < n) {
        while (i < n && is_lower_alnum(p[i]))
            i++;
        if (i == n)
            return true;
        size_t sep = i;
        if (p[i] == '.' || p[i] == '_') {
            i++;
            if (p[sep] == '_' && i < n && p[i] == '_')
                i++;
        } else if (p[i] == '-') {
            while (i < n && p[i] == '-')
                i++;
        } else {
            return false;
        }
        if (i == n || !is_lower_alnum(p[i]))
            return false;
    }
    return true;
}

/* domain := host [":" port], host := label ("." label)* | "[" ipv6 "]" */
static bool domain_ok(const char *d, size_t n)
{
    size_t i = 0;
    if (n > 0 && d[0] == '[') {
        const char *close = memchr(d, ']', n);
        if (!close || close == d + 1)
            return false;
        for (const char *p = d + 1; p < close; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':')
                return false;
        i = (size_t)(close - d) + 1;
    } else {
        bool label_start = true;
        for (; i < n && d[i] != ':'; i++) {
            char c = d[i];
            if (c == '.') {
                if (label_start || d[i - 1] == '-')
                    return false;
                label_start = true;
                continue;
            }
            if (!isalnum((unsigned char)c) && !(c == '-' && !label_start))
                return false;
            label_start = false;
        }
        if (label_start || d[i - 1] == '-')
            return false;
    }
    if (i == n)
        return true;
    if (d[i] != ':' || i + 1 == n)
        return false;
    for (i++; i < n; i++)
        if (!isdigit((unsigned char)d[i]))
            return false;
    return true;
}

static bool tag_ok(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 128)
        return false;
    if (!isalnum((unsigned char)t[0]) && t[0] != '_')
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
            return false;
    return true;
}

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
            return false;
    return true;
}

/* Whether name's first component is a registry (docker's splitDockerDomain): it has a '.', a
 * ':' or an upper-case letter, or is "localhost", and a '/' follows it. */
static bool starts_with_domain(const char *name)
{
    const char *slash = strchr(name, '/');
    if (!slash)
        return false;
    size_t n = (size_t)(slash - name);
    if (memchr(name, '.', n) || memchr(name, ':', n) ||
        (n == 9 && strncmp(name, "localhost", 9) == 0))
        return true;
    for (size_t i = 0; i < n; i++)
        if (isupper((unsigned char)name[i]))
            return true;
    return false;
}

/* Split "name" into domain and path the way docker's splitDockerDomain does. */
static void split_domain(const char *name, char **ret_domain, char **ret_path)
{
    const char *slash = strchr(name, '/');
    if (!starts_with_domain(name)) {
        *ret_domain = xstrdup(REF_DEFAULT_DOMAIN);
        *ret_path = slash ? xstrdup(name) : xasprintf("library/%s", name);
        return;
    }
    *ret_domain = strndup(name, (size_t)(slash - name));
    if (strcmp(*ret_domain, "index.docker.io") == 0) {
        free(*ret_domain);
        *ret_domain = xstrdup(REF_DEFAULT_DOMAIN);
    }
    const char *path = slash + 1;
    if (strcmp(*ret_domain, REF_DEFAULT_DOMAIN) == 0 && !strchr(path, '/'))
        *ret_path = xasprintf("library/%s", path);
    else
        *ret_path = xstrdup(path);
}

static int check_path(const char *s, const char *path, struct hk_error *err)
{
    for (const char *p = path;;) {
        const char *end = strchrnul(p, '/');
        if (!component_ok(p, (size_t)(end - p))) {
            for (const char *q = path; *q; q++)
                if (isupper((unsigned char)*q))
                    return hk_error_set(err, -EINVAL,
                                        "invalid reference format '%.300s': repository name must "
                                        "be lowercase",
                                        s);
            return hk_error_set(err, -EINVAL,
                                "invalid reference format '%.300s': bad repository name "
                                "component '%.*s'",
                                s, (int)(end - p), p);
        }
        if (!*end)
            return 0;
        p = end + 1;
    }
}

/* Split s into name, tag and digest (allocated); checks only the tag and digest syntax. */
static int split_ref(const char *s, char **ret_name, char **ret_tag, char **ret_digest,
                     struct hk_error *err)
{
    _cleanup_free_ char *name = xstrdup(s), *tag = NULL, *digest = NULL;
    char *at = strchr(name, '@');
    if (at) {
        *at = '\0';
        digest = xstrdup(at + 1);
        int r = digest_check(digest, err);
        if (r < 0)
            return hk_error_prefix(err, r, "invalid reference format '%.300s'", s);
    }
    char *slash = strrchr(name, '/');
    char *colon = strrchr(slash ? slash : name, ':');
    if (colon) {
        *colon = '\0';
        tag = xstrdup(colon + 1);
        if (!tag_ok(tag))
            return hk_error_set(err, -EINVAL, "invalid reference format '%.300s': bad tag '%.200s'",
                                s, tag);
    }
    *ret_name = TAKE_PTR(name);
    *ret_tag = TAKE_PTR(tag);
    *ret_digest = TAKE_PTR(digest);
    return 0;
}

int ref_parse(const char *s, struct image_ref *ret, struct hk_error *err)
{
    if (!s || !*s)
        return hk_error_set(err, -EINVAL, "invalid reference format: empty name");
    if (strlen(s) > 4 * REF_NAME_MAX)
        return hk_error_set(err, -EINVAL, "invalid reference format: name too long");
    _cleanup_free_ char *name = NULL, *tag = NULL, *digest = NULL;
    int r = split_ref(s, &name, &tag, &digest, err);
    if (r < 0)
        return r;
    if (!*name)
        return hk_error_set(err, -EINVAL, "invalid reference format '%.300s': empty name", s);
    if (is_hex64(name))
        return hk_error_set(err, -EINVAL,
                            "invalid repository name (%s): cannot specify 64-byte hexadecimal "
                            "strings",
                            name);
    _cleanup_free_ char *domain = NULL, *path = NULL;
    split_domain(name, &domain, &path);
    /* As docker, the limit is on the normalized name ("docker.io/library/x"), which is what
     * ref_string() prints and a later ref_parse() reads. */
    if (strlen(domain) + 1 + strlen(path) > REF_NAME_MAX)
        return hk_error_set(err, -EINVAL,
                            "invalid reference format '%.300s': repository name longer than %d "
                            "characters",
                            s, REF_NAME_MAX);
    if (!domain_ok(domain, strlen(domain)))
        return hk_error_set(err, -EINVAL, "invalid reference format '%.300s': bad registry '%s'", s,
                            domain);
    r = check_path(s, path, err);
    if (r < 0)
        return r;
    ret->tag_default = !tag && !digest;
    if (ret->tag_default)
        tag = xstrdup("latest");
    ret->domain = TAKE_PTR(domain);
    ret->path = TAKE_PTR(path);
    ret->tag = TAKE_PTR(tag);
    ret->digest = TAKE_PTR(digest);
    return 0;
}

void ref_clear(struct image_ref *r)
{
    if (!r)
        return;
    free(r->domain);
    free(r->path);
    free(r->tag);
    free(r->digest);
    *r = (struct image_ref){0};
}

char *ref_name(const struct image_ref *r)
{
    return xasprintf("%s/%s", r->domain, r->path);
}

char *ref_string(const struct image_ref *r)
{
    return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "", r->tag ? r->tag : "",
                     r->digest ? "@" : "", r->digest ? r->digest : "");
}

/* s without prefix, or NULL when s does not start with it. */
static const char *skip_prefix(const char *s, const char *prefix)
{
    for (; *prefix; prefix++, s++)
        if (*s != *prefix)
            return NULL;
    return s;
}

char *ref_familiar_name(const char *name)
{
    const char *rest = skip_prefix(name, REF_DEFAULT_DOMAIN "/library/");
    if (rest && !strchr(rest, '/'))
        return xstrdup(rest);
    /* "docker.io/a.b/c" stays whole: "a.b/c" would name the registry a.b. */
    rest = skip_prefix(name, REF_DEFAULT_DOMAIN "/");
    return xstrdup(rest && !starts_with_domain(rest) ? rest : name);
}

const char *ref_api_host(const struct image_ref *r)
{
    if (strcmp(r->domain, REF_DEFAULT_DOMAIN) == 0)
        return "registry-1.docker.io";
    return r->domain;
}

bool ref_domain_is_local(const char *domain)
{
    size_t n = strcspn(domain, ":");
    if (domain[0] == '[')
        return strncmp(domain, "[::1]", 5) == 0;
    if (n == 9 && strncmp(domain, "localhost", 9) == 0)
        return true;
    return strncmp(domain, "127.", 4) == 0;
}

char *ref_familiar(const char *ref)
{
    /* split off ":tag" / "@digest" from the name part, shorten the name, put them back */
    const char *at = strchr(ref, '@');
    const char *slash = strrchr(ref, '/');
    const char *colon = strchr(slash ? slash : ref, ':');
    const char *cut = colon && (!at || colon < at) ? colon : at;
    size_t n = cut ? (size_t)(cut - ref) : strlen(ref);
    _cleanup_free_ char *name = strndup(ref, n);
    _cleanup_free_ char *fam = ref_familiar_name(name);
    return xasprintf("%s%s", fam, cut ? cut : "");
}
