/* user.c — user and group lookup in the container's /etc/passwd and /etc/group. */
#include "engine/user.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/path.h"

#define ETC_MAX (4u << 20)

void user_ids_clear(struct user_ids *u)
{
    free(u->gids);
    *u = (struct user_ids){0};
}

static bool parse_id(const char *s, unsigned long *ret)
{
    char *end;
    if (!*s || *s == '-' || *s == '+')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v > 0xfffffffeUL)
        return false;
    *ret = v;
    return true;
}

/* Split a colon-separated line into at most n fields (in place). Returns the count. */
static size_t split_fields(char *line, char **f, size_t n)
{
    size_t k = 0;
    f[k++] = line;
    for (char *p = line; *p && k < n; p++)
        if (*p == ':') {
            *p = '\0';
            f[k++] = p + 1;
        }
    return k;
}

/* Find the entry whose name (field 0) or id (field 2) matches key in a passwd/group text.
 * fields gets its fields (pointing into *copy, which the caller frees). */
static bool find_entry(const char *text, const char *key, bool by_id, char **copy, char **fields,
                       size_t nfields)
{
    if (!text)
        return false;
    *copy = xstrdup(text);
    for (char *save = NULL, *p = *copy, *line; (line = strtok_r(p, "\n", &save)); p = NULL) {
        if (line[0] == '#' || line[0] == '+' || line[0] == '-')
            continue;
        size_t n = split_fields(line, fields, nfields);
        if (n < 3)
            continue;
        if (strcmp(fields[by_id ? 2 : 0], key) == 0)
            return true;
    }
    free(*copy);
    *copy = NULL;
    return false;
}

static void add_gid(struct user_ids *u, gid_t g)
{
    for (size_t i = 0; i < u->n_gids; i++)
        if (u->gids[i] == g)
            return;
    u->gids = xrealloc(u->gids, (u->n_gids + 1) * sizeof(gid_t));
    u->gids[u->n_gids++] = g;
}

/* The groups whose member list (field 3) names user. */
static void member_groups(const char *group, const char *user, struct user_ids *u)
{
    if (!group || !user)
        return;
    _cleanup_free_ char *copy = xstrdup(group);
    for (char *save = NULL, *p = copy, *line; (line = strtok_r(p, "\n", &save)); p = NULL) {
        char *f[4];
        unsigned long gid;
        if (split_fields(line, f, 4) < 4 || !parse_id(f[2], &gid))
            continue;
        for (char *s2 = NULL, *q = f[3], *m; (m = strtok_r(q, ",", &s2)); q = NULL)
            if (strcmp(m, user) == 0)
                add_gid(u, (gid_t)gid);
    }
}

static int resolve_user(const char *spec, const char *passwd, struct user_ids *u,
                        char **ret_name, struct hk_error *err)
{
    unsigned long id;
    bool numeric = parse_id(spec, &id);
    char *f[7];
    _cleanup_free_ char *copy = NULL;
    if (!spec[0]) {
        if (find_entry(passwd, "0", true, &copy, f, 7)) {
            *ret_name = xstrdup(f[0]);
            u->gid = (gid_t)strtoul(f[3], NULL, 10);
        }
        return 0;
    }
    if (find_entry(passwd, spec, numeric, &copy, f, 7)) {
        unsigned long uid, gid;
        if (!parse_id(f[2], &uid) || !parse_id(f[3], &gid))
            return hk_error_set(err, -EINVAL, "/etc/passwd: bad entry for user %s", spec);
        u->uid = (uid_t)uid;
        u->gid = (gid_t)gid;
        *ret_name = xstrdup(f[0]);
        return 0;
    }
    if (!numeric)
        return hk_error_set(err, -ENOENT,
                            "unable to find user %s: no matching entries in passwd file", spec);
    u->uid = (uid_t)id;
    return 0;
}

int user_resolve_text(const char *spec, const char *passwd, const char *group,
                      struct user_ids *ret, struct hk_error *err)
{
    struct user_ids u = {0};
    _cleanup_free_ char *user = xstrdup(spec ? spec : "");
    char *gspec = strchr(user, ':');
    if (gspec)
        *gspec++ = '\0';
    _cleanup_free_ char *name = NULL;
    int r = resolve_user(user, passwd, &u, &name, err);
    if (r < 0)
        return r;
    if (gspec && *gspec) {
        unsigned long id;
        bool numeric = parse_id(gspec, &id);
        char *f[4];
        _cleanup_free_ char *copy = NULL;
        if (find_entry(group, gspec, numeric, &copy, f, 4) && parse_id(f[2], &id)) {
            u.gid = (gid_t)id;
        } else if (!numeric) {
            user_ids_clear(&u);
            return hk_error_set(err, -ENOENT,
                                "unable to find group %s: no matching entries in group file",
                                gspec);
        } else {
            u.gid = (gid_t)id;
        }
    }
    /* the primary group first, as docker lists it (`id` prints groups=1000) */
    add_gid(&u, u.gid);
    if (!gspec || !*gspec)
        member_groups(group, name, &u);
    *ret = u;
    return 0;
}

/* etc/<file> in the rootfs, or NULL when missing or not a regular file. */
static char *read_etc(int rootfd, const char *file)
{
    _cleanup_close_ int fd =
        open_in_root(rootfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0, 0);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return NULL;
    /* read what this fd opened (the magic link is that file, not a new lookup) */
    char *text = NULL;
    size_t len;
    _cleanup_free_ char *self = xasprintf("/proc/self/fd/%d", fd);
    return read_file(self, ETC_MAX, &text, &len, NULL) < 0 ? NULL : text;
}

int user_resolve(int rootfd, const char *spec, struct user_ids *ret, struct hk_error *err)
{
    _cleanup_free_ char *passwd = read_etc(rootfd, "/etc/passwd");
    _cleanup_free_ char *group = read_etc(rootfd, "/etc/group");
    return user_resolve_text(spec, passwd, group, ret, err);
}
