/* networks.c — /networks: list, create, inspect, remove, connect, disconnect, prune, onto
 * engine/net/ (the same calls `hako network` makes). Bridge networks only, IPv4 only: a
 * request for anything else is a 400 naming it, never silently a bridge. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/internal.h"
#include "engine/lifecycle.h"
#include "engine/net/later.h"
#include "engine/net/network.h"
#include "engine/options.h"
#include "image/digest.h"
#include "oci/parse.h"
#include "util/fs.h"
#include "util/json.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* docker's codes for the engine's network errors. */
static enum MHD_Result reply_net_error(struct api_call *c, const struct hk_error *err)
{
    if (err->code == -EPERM || err->code == -EBUSY)
        return api_reply_msg(c, 403, "%s", hk_error_msg(err));
    return api_reply_error(c, err, 500);
}

/* bridge, host and none: docker's predefined ("builtin") networks. */
static bool is_predefined_name(const char *name)
{
    return !strcmp(name, "bridge") || !strcmp(name, "host") || !strcmp(name, "none");
}

/* label=KEY or label=KEY=VALUE against a network's Labels. */
static bool label_ok(const json_t *n, const char *v)
{
    const char *eq = strchr(v, '=');
    _cleanup_free_ char *k = eq ? strndup(v, (size_t)(eq - v)) : xstrdup(v);
    const char *have = json_string_value(json_object_get(json_object_get(n, "Labels"), k));
    return have && (!eq || strcmp(have, eq + 1) == 0);
}

/* One filter of docker's network ls (name and id match a part and a prefix, as dockerd's);
 * -1 for an unknown key. */
static int filter_one(const json_t *n, const char *f, size_t containers)
{
    const char *eq = strchr(f, '=');
    size_t kl = eq ? (size_t)(eq - f) : strlen(f);
    const char *v = eq ? eq + 1 : "";
#define KEY(s) (kl == strlen(s) && strncmp(f, s, kl) == 0)
    if (KEY("name"))
        return strstr(jstr(n, "Name"), v) != NULL;
    if (KEY("id"))
        return strncmp(jstr(n, "Id"), v, strlen(v)) == 0;
    if (KEY("label"))
        return label_ok(n, v);
    if (KEY("driver"))
        return strcmp(v, jstr(n, "Driver")) == 0;
    if (KEY("scope"))
        return strcmp(v, "local") == 0;
    if (KEY("type")) /* the default bridge is docker's builtin one */
        return strcmp(v, is_predefined_name(jstr(n, "Name")) ? "builtin" : "custom") == 0;
    if (KEY("dangling")) {
        bool want = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
        return (containers == 0 && !is_predefined_name(jstr(n, "Name"))) == want;
    }
#undef KEY
    return -1;
}

/* Whether n passes every filter key (values of one key OR'ed, but label's AND'ed); -1 for an
 * unknown key. */
static int filters_match(const json_t *n, char **filters, size_t containers, struct hk_error *err)
{
    for (size_t i = 0; filters && filters[i]; i++) {
        size_t kl = strcspn(filters[i], "=");
        /* docker's MatchKVList: a network has every label= asked for */
        if (kl == 5 && strncmp(filters[i], "label", 5) == 0) {
            if (!label_ok(n, filters[i] + 6))
                return 0;
            continue;
        }
        int any = 0;
        for (size_t k = 0; filters[k]; k++) {
            if (strncmp(filters[k], filters[i], kl + 1) != 0)
                continue;
            int m = filter_one(n, filters[k], containers);
            if (m < 0) {
                hk_error_set(err, -EINVAL, "invalid filter '%.*s'", (int)kl, filters[i]);
                return -1;
            }
            any |= m;
        }
        if (!any)
            return 0;
    }
    return 1;
}

/* docker's inspect of n: a user network shows the options it was created with (none: create
 * takes none), not the bridge's name that the default one shows (compose compares them). */
static json_t *inspect(struct api_call *c, const struct network *n)
{
    json_t *j = network_inspect(c->ctx->e, n);
    if (!n->is_default)
        json_object_set_new(j, "Options", json_object());
    return j;
}

/* docker's other predefined networks: host and none, the network modes of those names (no
 * records: the engine has nothing to keep for them). Their IDs derive from the bridge's, so
 * they stay the same for a root. */
static const struct {
    const char *name, *driver;
} predefined[] = {{"host", "host"}, {"none", "null"}};

static void predefined_id(const struct network *bridge, size_t k, char ret[DIGEST_HEX_LEN + 1])
{
    char d[DIGEST_STR_SIZE];
    _cleanup_free_ char *seed = xasprintf("%s/%s", bridge->id, predefined[k].name);
    if (digest_buffer(seed, strlen(seed), d, NULL) < 0)
        snprintf(d, sizeof(d), "sha256:%064zu", k + 1); /* no libcrypto: still stable */
    snprintf(ret, DIGEST_HEX_LEN + 1, "%s", digest_hex(d));
}

/* The predefined network ref names (name or ID prefix), or -1. */
static int predefined_find(struct api_call *c, const char *ref)
{
    struct network bridge;
    if (network_get(c->ctx->e, "bridge", &bridge, NULL) < 0)
        return -1;
    for (size_t k = 0; k < ELEMENTSOF(predefined); k++) {
        char id[DIGEST_HEX_LEN + 1];
        predefined_id(&bridge, k, id);
        if (!strcmp(ref, predefined[k].name) || (ref[0] && !strncmp(id, ref, strlen(ref))))
            return (int)k;
    }
    return -1;
}

/* docker's inspect of predefined network k, with the running containers in its mode. */
static json_t *predefined_inspect(struct api_call *c, size_t k)
{
    struct network bridge;
    char id[DIGEST_HEX_LEN + 1];
    if (network_get(c->ctx->e, "bridge", &bridge, NULL) < 0)
        return NULL;
    predefined_id(&bridge, k, id);
    json_t *members = json_object(), *recs = NULL;
    size_t i;
    json_t *rec;
    if (record_list(c->ctx->e, &recs, NULL) == 0)
        json_array_foreach(recs, i, rec)
        {
            const char *name = jstr(rec, "Name");
            if (strcmp(jstr(json_object_get(rec, "HostConfig"), "NetworkMode"),
                       predefined[k].name) == 0 &&
                engine_status_live(record_status(rec)))
                json_object_set_new(members, jstr(rec, "Id"),
                                    json_pack("{s:s,s:s,s:s,s:s,s:s}", "Name",
                                              name[0] == '/' ? name + 1 : name, "EndpointID", "",
                                              "MacAddress", "", "IPv4Address", "", "IPv6Address",
                                              ""));
        }
    json_decref(recs);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:{s:s,s:n,s:[]},s:b,s:b,s:b,s:{s:s},s:b,s:o,"
                     "s:{},s:{}}",
                     "Name", predefined[k].name, "Id", id, "Created", bridge.created, "Scope",
                     "local", "Driver", predefined[k].driver, "EnableIPv6", 0, "IPAM", "Driver",
                     "default", "Options", "Config", "Internal", 0, "Attachable", 0, "Ingress", 0,
                     "ConfigFrom", "Network", "", "ConfigOnly", 0, "Containers", members, "Options",
                     "Labels");
}

/* Every network's inspect object (with its Containers), host and none after the records. The
 * default bridge is made now, as `hako network ls` does. */
static int all_networks(struct api_call *c, json_t **ret, struct hk_error *err)
{
    struct network def;
    json_t *recs = NULL;
    int r = network_get(c->ctx->e, "bridge", &def, err);
    if (r == 0)
        r = network_list(c->ctx->e, &recs, err);
    if (r < 0)
        return r;
    json_t *out = json_array();
    size_t i;
    json_t *j;
    json_array_foreach(recs, i, j)
    {
        struct network n;
        if (network_get(c->ctx->e, jstr(j, "Id"), &n, NULL) == 0)
            json_array_append_new(out, inspect(c, &n));
    }
    json_decref(recs);
    for (size_t k = 0; k < ELEMENTSOF(predefined); k++) {
        json_t *p = predefined_inspect(c, k);
        if (p)
            json_array_append_new(out, p);
    }
    *ret = out;
    return 0;
}

static enum MHD_Result list(struct api_call *c, bool prune)
{
    char **filters = NULL;
    struct hk_error err = {0};
    int st = api_filters(&c->req, &filters, &err);
    if (st)
        return api_reply_msg(c, (unsigned)st, "%s", hk_error_msg(&err));
    json_t *all = NULL;
    if (all_networks(c, &all, &err) < 0) {
        strv_free(filters);
        return api_reply_error(c, &err, 500);
    }
    json_t *out = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(all, i, n)
    {
        size_t containers = json_object_size(json_object_get(n, "Containers"));
        int m = 1;
        if (prune) {
            /* prune: label=, label!= and until= as docker's, on the unused user networks */
            for (size_t k = 0; m == 1 && filters && filters[k]; k++) {
                const char *f = filters[k];
                if (strncmp(f, "label=", 6) == 0) {
                    m = label_ok(n, f + 6);
                } else if (strncmp(f, "label!=", 7) == 0) {
                    m = !label_ok(n, f + 7);
                } else if (strncmp(f, "until=", 6) == 0) {
                    int64_t until = 0, created = 0, now = (int64_t)time(NULL) * 1000000000LL;
                    if (opt_parse_time(f + 6, now, &until, &err) < 0)
                        m = -1;
                    else
                        m = opt_parse_time(jstr(n, "Created"), now, &created, NULL) == 0 &&
                            created < until;
                } else {
                    hk_error_set(&err, -EINVAL, "invalid filter '%.*s'", (int)strcspn(f, "="), f);
                    m = -1;
                }
            }
            if (m == 1 && (containers || is_predefined_name(jstr(n, "Name"))))
                m = 0;
        } else {
            m = filters_match(n, filters, containers, &err);
        }
        if (m < 0) {
            json_decref(out);
            json_decref(all);
            strv_free(filters);
            return api_reply_msg(c, 400, "%s", hk_error_msg(&err));
        }
        if (m)
            json_array_append(out, prune ? json_object_get(n, "Name") : n);
    }
    json_decref(all);
    strv_free(filters);
    if (!prune)
        return api_reply_json(c, 200, out);
    /* remove what matched; one that gained a container meanwhile is kept */
    json_t *deleted = json_array();
    json_array_foreach(out, i, n)
    {
        hk_error_clear(&err);
        if (network_remove(c->ctx->e, json_string_value(n), &err) == 0)
            json_array_append(deleted, n);
    }
    json_decref(out);
    return api_reply_json(c, 200, json_pack("{s:o}", "NetworksDeleted", deleted));
}

/* The first key of object o (a non-empty object), or NULL. */
static const char *first_key(const json_t *o)
{
    void *it = json_object_iter((json_t *)o);
    return it ? json_object_iter_key(it) : NULL;
}

/* What of a create body hako cannot give, as a message (allocated), or NULL. */
static char *unsupported(const json_t *b)
{
    const char *drv = jstr(b, "Driver"), *k;
    const json_t *ipam = json_object_get(b, "IPAM"), *cfg = json_object_get(ipam, "Config");
    if (drv[0] && strcmp(drv, "bridge") != 0)
        return xasprintf("hako has the \"bridge\" driver only, not \"%s\"", drv);
    if (json_is_true(json_object_get(b, "Ingress")) ||
        json_is_true(json_object_get(b, "ConfigOnly")) ||
        jstr(json_object_get(b, "ConfigFrom"), "Network")[0])
        return xasprintf("Ingress, ConfigOnly and ConfigFrom are swarm's");
    if ((k = first_key(json_object_get(b, "Options"))))
        return xasprintf("network option %s is not supported", k);
    if (jstr(ipam, "Driver")[0] && strcmp(jstr(ipam, "Driver"), "default") != 0)
        return xasprintf("IPAM driver %s: hako has the default one only", jstr(ipam, "Driver"));
    if ((k = first_key(json_object_get(ipam, "Options"))))
        return xasprintf("IPAM option %s is not supported", k);
    bool v6 = json_is_true(json_object_get(b, "EnableIPv6"));
    size_t n4 = 0, n6 = 0, i;
    json_t *ci;
    json_array_foreach(cfg, i, ci)
    {
        if (jstr(ci, "IPRange")[0] || json_object_size(json_object_get(ci, "AuxiliaryAddresses")))
            return xasprintf("IPAM IPRange and AuxiliaryAddresses are not supported");
        *(strchr(jstr(ci, "Subnet"), ':') ? &n6 : &n4) += 1;
    }
    if (n4 > 1 || n6 > 1)
        return xasprintf("more than one IPAM config per family: hako gives a network one "
                         "subnet (and one IPv6 subnet)");
    if (n6 && !v6)
        return xasprintf("an IPv6 subnet needs EnableIPv6");
    return NULL;
}

static enum MHD_Result create(struct api_call *c)
{
    const json_t *b = c->req.body;
    if (!json_is_object(b))
        return api_reply_msg(c, 400,
                             "json: cannot unmarshal into Go value of type "
                             "network.CreateRequest");
    const json_t *name = json_object_get(b, "Name"), *labels = json_object_get(b, "Labels");
    const json_t *ipam = json_object_get(b, "IPAM");
    if (!json_is_string(name) || (labels && !json_is_object(labels) && !json_is_null(labels)) ||
        (ipam && !json_is_object(ipam) && !json_is_null(ipam)))
        return api_reply_msg(c, 400,
                             "json: cannot unmarshal: Name is a string, Labels and IPAM "
                             "objects");
    _cleanup_free_ char *why = unsupported(b);
    if (why)
        return api_reply_msg(c, 400, "%s", why);
    /* the IPv4 config and the IPv6 one (EnableIPv6), by their subnets */
    const json_t *c0 = NULL, *c6 = NULL, *ci;
    size_t i;
    json_array_foreach(json_object_get(ipam, "Config"), i, ci)
    {
        if (strchr(jstr(ci, "Subnet"), ':'))
            c6 = ci;
        else
            c0 = ci;
    }
    _cleanup_json_ json_t *lab = json_is_object(labels) ? json_deep_copy(labels) : json_object();
    struct network_req req = {
        .name = json_string_value(name),
        .subnet = jstr(c0, "Subnet")[0] ? jstr(c0, "Subnet") : NULL,
        .gateway = jstr(c0, "Gateway")[0] ? jstr(c0, "Gateway") : NULL,
        .ipv6 = json_is_true(json_object_get(b, "EnableIPv6")),
        .subnet6 = jstr(c6, "Subnet")[0] ? jstr(c6, "Subnet") : NULL,
        .internal = json_is_true(json_object_get(b, "Internal")),
        .labels = lab,
    };
    if (req.gateway && !req.subnet)
        return api_reply_msg(c, 400, "a Gateway needs a Subnet");
    struct network n;
    struct hk_error err = {0};
    if (network_create(c->ctx->e, &req, &n, &err) < 0)
        return reply_net_error(c, &err);
    return api_reply_json(c, 201, json_pack("{s:s,s:s}", "Id", n.id, "Warning", ""));
}

/* POST /networks/{id}/connect and /disconnect: {"Container": ..., "EndpointConfig":
 * {"IPAMConfig": {"IPv4Address": ...}, "Aliases": [...]}} and {"Container", "Force"}.
 * Aliases are names the container's peers on the network resolve (engine/net/hosts.c). */
static enum MHD_Result connect_op(struct api_call *c, bool on)
{
    const json_t *b = c->req.body;
    const char *ref = jstr(b, "Container");
    if (!json_is_object(b) || !ref[0])
        return api_reply_msg(c, 400, "no container given (\"Container\")");
    const json_t *ipc = json_object_get(json_object_get(b, "EndpointConfig"), "IPAMConfig");
    if (jstr(ipc, "IPv6Address")[0] || json_array_size(json_object_get(ipc, "LinkLocalIPs")))
        return api_reply_msg(c, 400,
                             "IPv6Address and LinkLocalIPs: hako's networks are IPv4 "
                             "only");
    int k = predefined_find(c, c->req.object);
    if (k >= 0) /* docker's words */
        return api_reply_msg(c, 403,
                             "container cannot be disconnected from %s network or "
                             "connected to %s network",
                             predefined[k].name, predefined[k].name);
    struct network n;
    struct hk_error err = {0};
    _cleanup_free_ char *id = NULL;
    if (network_get(c->ctx->e, c->req.object, &n, &err) < 0 ||
        record_resolve(c->ctx->e, ref, &id, &err) < 0)
        return api_reply_error(c, &err, 500);
    const char *ip = jstr(ipc, "IPv4Address");
    const json_t *aliases = json_object_get(json_object_get(b, "EndpointConfig"), "Aliases");
    int r = on ? net_connect_any(c->ctx->e, id, n.id, ip[0] ? ip : NULL, aliases, &err)
               : net_disconnect_any(c->ctx->e, id, n.id, &err);
    if (r < 0)
        return api_reply_msg(c,
                             r == -ENOENT   ? 404
                             : r == -EEXIST ? 403
                                            : 400,
                             "%s", hk_error_msg(&err));
    return api_reply_empty(c, 200);
}

enum MHD_Result api_networks(struct api_call *c)
{
    struct network n;
    struct hk_error err = {0};
    int k;
    switch (c->req.op) {
    case OP_NET_LIST:
        return list(c, false);
    case OP_NET_PRUNE:
        return list(c, true);
    case OP_NET_CREATE:
        return create(c);
    case OP_NET_INSPECT:
        if (network_get(c->ctx->e, c->req.object, &n, &err) == 0)
            return api_reply_json(c, 200, inspect(c, &n));
        if ((k = predefined_find(c, c->req.object)) >= 0)
            return api_reply_json(c, 200, predefined_inspect(c, (size_t)k));
        return api_reply_error(c, &err, 500);
    case OP_NET_DELETE:
        if ((k = predefined_find(c, c->req.object)) >= 0)
            return api_reply_msg(c, 403, "%s is a pre-defined network and cannot be removed",
                                 predefined[k].name);
        if (network_remove(c->ctx->e, c->req.object, &err) < 0)
            return reply_net_error(c, &err);
        return api_reply_empty(c, 204);
    case OP_NET_CONNECT:
    case OP_NET_DISCONNECT:
        return connect_op(c, c->req.op == OP_NET_CONNECT);
    default:
        return api_reply_msg(c, 404, "page not found");
    }
}
