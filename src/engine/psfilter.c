/* psfilter.c — docker's container list filters. */
#include "engine/psfilter.h"

#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "util/fs.h"
#include "util/json.h"

static const char *const keys[] = {"ancestor", "before", "exited", "expose", "health",
                                   "id",       "is-task", "label", "name",   "network",
                                   "publish",  "since",  "status", "volume"};
static const char *const statuses[] = {"created", "restarting", "running", "removing",
                                       "paused", "exited", "dead"};

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static bool in(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* The Created of the container ref names among all (exact name, or ID prefix). */
static const char *created_of(const json_t *all, const char *ref)
{
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r)
    {
        const char *name = jstr(r, "Name");
        if (strcmp(name[0] == '/' ? name + 1 : name, ref) == 0 ||
            strncmp(jstr(r, "Id"), ref, strlen(ref)) == 0)
            return jstr(r, "Created");
    }
    return NULL;
}

/* A publish=/expose= value, docker's PORT[-END][/PROTO] (tcp when no PROTO). */
static int port_range(const char *v, unsigned *lo, unsigned *hi, const char **proto)
{
    const char *slash = strchr(v, '/');
    *proto = slash ? slash + 1 : "tcp";
    char *end;
    unsigned long a = strtoul(v, &end, 10), b = a;
    if (end == v || a > 65535)
        return -EINVAL;
    if (*end == '-') {
        const char *start = end + 1;
        b = strtoul(start, &end, 10);
        if (end == start || b > 65535 || b < a)
            return -EINVAL;
    }
    if (end != (slash ? slash : v + strlen(v)) || !**proto)
        return -EINVAL;
    *lo = (unsigned)a;
    *hi = (unsigned)b;
    return 0;
}

static int check_value(struct psfilter *f, const char *k, const char *v, const json_t *all,
                       struct store *s, struct hk_error *err)
{
    if (strcmp(k, "publish") == 0 || strcmp(k, "expose") == 0) {
        unsigned lo, hi;
        const char *proto;
        if (strchr(v, ':'))
            return hk_error_set(err, -EINVAL, "filter for '%s' should not contain ':': %s", k, v);
        if (port_range(v, &lo, &hi, &proto) < 0)
            return hk_error_set(err, -EINVAL, "error while looking up for %s %s: invalid port",
                                k, v);
    }
    if (strcmp(k, "status") == 0 && !in(v, statuses, ELEMENTSOF(statuses)))
        return hk_error_set(err, -EINVAL, "invalid filter 'status=%s'", v);
    if (strcmp(k, "exited") == 0) {
        char *end;
        strtol(v, &end, 10);
        if (!v[0] || *end)
            return hk_error_set(err, -EINVAL, "invalid filter 'exited=%s'", v);
    }
    if (strcmp(k, "before") == 0 || strcmp(k, "since") == 0) {
        const char *c = created_of(all, v);
        if (!c)
            return hk_error_set(err, -ENOENT, "No such container: %s", v);
        json_array_append_new(f->owned, json_string(c));
        const char *kept = json_string_value(json_array_get(f->owned, json_array_size(f->owned) - 1));
        if (k[0] == 'b')
            f->before_created = kept;
        else
            f->since_created = kept;
    }
    if (strcmp(k, "ancestor") == 0) {
        struct image *img = NULL;
        if (s && image_lookup(s, v, &img, NULL) == 0) {
            json_array_append_new(f->ancestors, json_string(img->id));
            image_free(img);
        }
    }
    return 0;
}

int psfilter_parse(const json_t *filters, const json_t *all, struct store *s,
                   struct psfilter *ret, struct hk_error *err)
{
    struct psfilter f = {.by_key = json_object(), .ancestors = json_array(),
                         .owned = json_array()};
    size_t i;
    json_t *v;
    int r = 0;
    json_array_foreach(filters, i, v)
    {
        const char *s_ = json_string_value(v);
        const char *eq = strchr(s_, '=');
        if (!eq) {
            r = hk_error_set(err, -EINVAL, "bad format of filter (expected name=value)");
            break;
        }
        _cleanup_free_ char *k = strndup(s_, (size_t)(eq - s_));
        if (!in(k, keys, ELEMENTSOF(keys))) {
            r = hk_error_set(err, -EINVAL, "Invalid filter '%s'", k);
            break;
        }
        r = check_value(&f, k, eq + 1, all, s, err);
        if (r < 0)
            break;
        if (!json_object_get(f.by_key, k))
            json_object_set_new(f.by_key, k, json_array());
        json_array_append_new(json_object_get(f.by_key, k), json_string(eq + 1));
    }
    if (r < 0) {
        psfilter_clear(&f);
        return r;
    }
    *ret = f;
    return 0;
}

void psfilter_clear(struct psfilter *f)
{
    json_decref(f->by_key);
    json_decref(f->ancestors);
    json_decref(f->owned);
    *f = (struct psfilter){0};
}

bool psfilter_wants_stopped(const struct psfilter *f)
{
    return json_object_get(f->by_key, "status") || f->before_created || f->since_created;
}

bool filters_label(const json_t *labels, const char *v)
{
    const char *eq = strchr(v, '=');
    _cleanup_free_ char *key = eq ? strndup(v, (size_t)(eq - v)) : xstrdup(v);
    const char *have = json_string_value(json_object_get(labels, key));
    return have && (!eq || strcmp(have, eq + 1) == 0);
}

static bool volume_ok(const json_t *rec, const char *v)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(rec, "Mounts"), i, m)
        if (strcmp(jstr(m, "Name"), v) == 0 || strcmp(jstr(m, "Destination"), v) == 0 ||
            strcmp(jstr(m, "Source"), v) == 0)
            return true;
    return false;
}

/* Whether a port key of ports ("80/tcp") is in the publish=/expose= value v. */
static bool ports_in(const json_t *ports, const char *v)
{
    unsigned lo, hi;
    const char *proto, *key;
    json_t *x;
    if (port_range(v, &lo, &hi, &proto) < 0)
        return false;
    json_object_foreach((json_t *)ports, key, x)
    {
        char *end;
        unsigned long n = strtoul(key, &end, 10);
        const char *p = *end == '/' ? end + 1 : "tcp";
        if (n >= lo && n <= hi && strcmp(p, proto) == 0)
            return true;
    }
    return false;
}

/* publish=: the ports the container publishes (-p, or all it exposes with -P). */
static bool published(const json_t *rec, const char *v)
{
    const json_t *hc = json_object_get(rec, "HostConfig");
    if (ports_in(json_object_get(hc, "PortBindings"), v))
        return true;
    return json_is_true(json_object_get(hc, "PublishAllPorts")) &&
           ports_in(json_object_get(json_object_get(rec, "Config"), "ExposedPorts"), v);
}

/* network=: a network the container is on, by name or ID prefix, as docker's; one never
 * started has no endpoints yet and goes by its --network. */
static bool on_network(const json_t *rec, const char *v)
{
    const json_t *nets = json_object_get(json_object_get(rec, "NetworkSettings"), "Networks");
    const char *name;
    json_t *ep;
    if (json_object_get(nets, v))
        return true;
    json_object_foreach((json_t *)nets, name, ep)
        if (v[0] && strncmp(jstr(ep, "NetworkID"), v, strlen(v)) == 0)
            return true;
    const char *mode = jstr(json_object_get(rec, "HostConfig"), "NetworkMode");
    return !json_object_size(nets) &&
           strcmp(strcmp(mode, "default") == 0 || !mode[0] ? "bridge" : mode, v) == 0;
}

/* The container's image as written ("busybox") against an ancestor= value ("busybox:latest",
 * "docker.io/library/busybox"), when the store did not resolve it. */
static bool image_named(const char *have, const char *want)
{
    size_t n = strlen(want);
    return strcmp(have, want) == 0 ||
           (strncmp(have, want, n) == 0 && strcmp(have + n, ":latest") == 0) ||
           (strncmp(want, have, strlen(have)) == 0 && strcmp(want + strlen(have), ":latest") == 0);
}

static bool one(const struct psfilter *f, const json_t *rec, const char *k, const char *v)
{
    const json_t *st = json_object_get(rec, "State");
    if (!strcmp(k, "status"))
        return strcmp(jstr(st, "Status"), v) == 0;
    if (!strcmp(k, "name"))
        return strstr(jstr(rec, "Name"), v) != NULL;
    if (!strcmp(k, "id"))
        return strncmp(jstr(rec, "Id"), v, strlen(v)) == 0;
    if (!strcmp(k, "label"))
        return filters_label(json_object_get(json_object_get(rec, "Config"), "Labels"), v);
    if (!strcmp(k, "exited"))
        return strcmp(jstr(st, "Status"), "exited") == 0 &&
               json_integer_value(json_object_get(st, "ExitCode")) == atoi(v);
    if (!strcmp(k, "volume"))
        return volume_ok(rec, v);
    if (!strcmp(k, "publish"))
        return published(rec, v);
    if (!strcmp(k, "expose"))
        return ports_in(json_object_get(json_object_get(rec, "Config"), "ExposedPorts"), v);
    if (!strcmp(k, "network"))
        return on_network(rec, v);
    if (!strcmp(k, "health")) { /* starting, healthy, unhealthy; none: no healthcheck */
        const char *h = jstr(json_object_get(st, "Health"), "Status");
        return strcmp(h[0] ? h : "none", v) == 0;
    }
    if (!strcmp(k, "is-task")) /* no swarm: no container is a task */
        return strcmp(v, "false") == 0 || strcmp(v, "0") == 0;
    if (!strcmp(k, "ancestor")) {
        size_t i;
        json_t *id;
        json_array_foreach(f->ancestors, i, id)
            if (strcmp(json_string_value(id), jstr(rec, "Image")) == 0)
                return true;
        return image_named(jstr(json_object_get(rec, "Config"), "Image"), v);
    }
    if (!strcmp(k, "before"))
        return strcmp(jstr(rec, "Created"), f->before_created) < 0;
    if (!strcmp(k, "since"))
        return strcmp(jstr(rec, "Created"), f->since_created) > 0;
    return false;
}

bool filters_match(const json_t *by_key, bool (*pass)(const char *k, const char *v, void *ud),
                   void *ud)
{
    const char *k;
    json_t *vals;
    json_object_foreach((json_t *)by_key, k, vals)
    {
        /* docker's MatchKVList: a container has every label= asked for */
        bool every = strcmp(k, "label") == 0, ok = every;
        size_t i;
        json_t *v;
        json_array_foreach(vals, i, v)
        {
            bool m = pass(k, json_string_value(v), ud);
            ok = every ? ok && m : ok || m;
        }
        if (!ok)
            return false;
    }
    return true;
}

struct match_ctx {
    const struct psfilter *f;
    const json_t *rec;
};

static bool one_of(const char *k, const char *v, void *ud)
{
    const struct match_ctx *m = ud;
    return one(m->f, m->rec, k, v);
}

bool psfilter_match(const struct psfilter *f, const json_t *rec)
{
    struct match_ctx m = {f, rec};
    return filters_match(f->by_key, one_of, &m);
}
