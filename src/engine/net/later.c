/* later.c — the networks a container joins when it starts (see later.h). */
#include "engine/net/later.h"

#include <string.h>

#include "engine/lifecycle.h"
#include "engine/net/attach.h"
#include "engine/net/network.h"
#include "util/json.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The index of network id in the list, or -1. */
static int find(const json_t *list, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (strcmp(jstr(v, "Network"), id) == 0) return (int)i;
    return -1;
}

/* The network named network, the record of container id (not running), locked, and its
 * Hako.Connect list. */
static int open_stopped(const struct engine *e, const char *id, const char *network,
                        struct network *ret_net, struct record **ret, json_t **ret_list,
                        struct hk_error *err)
{
    int r = network_get(e, network, ret_net, err);
    if (r < 0)
        return r;
    struct record *rec = NULL;
    r = record_open(e, id, true, &rec, err);
    if (r < 0)
        return r;
    if (engine_status_live(record_status(rec->j))) {
        record_free(rec);
        return hk_error_set(err, -EBUSY, "container %.12s is running", id);
    }
    json_t *hk = json_object_get(rec->j, "Hako");
    json_t *list = json_object_get(hk, "Connect");
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(hk, "Connect", list);
    }
    *ret = rec;
    *ret_list = list;
    return 0;
}

/* Whether n is the network mode of the container whose record is j; *ret_ip: its --ip. */
static bool own_network(const struct engine *e, const json_t *j, const struct network *n,
                        const char **ret_ip)
{
    const json_t *hc = json_object_get(j, "HostConfig");
    const char *mode = jstr(hc, "NetworkMode");
    struct network m;
    *ret_ip = jstr(json_object_get(hc, "Hako"), "IPv4Address");
    return network_get(e, mode, &m, NULL) == 0 && strcmp(m.id, n->id) == 0;
}

int net_connect_later(const struct engine *e, const char *id, const char *network, const char *ip,
                      const json_t *aliases, struct hk_error *err)
{
    struct network n;
    struct record *rec = NULL;
    json_t *list = NULL;
    int r = open_stopped(e, id, network, &n, &rec, &list, err);
    if (r < 0)
        return r;
    const char *name = jstr(rec->j, "Name"), *own_ip = NULL;
    bool own = net_mode_is_network(jstr(json_object_get(rec->j, "HostConfig"), "NetworkMode")) &&
               own_network(e, rec->j, &n, &own_ip);
    if (ip && n.is_default)
        r = hk_error_set(err, -EINVAL,
                         "user specified IP address is supported on user defined "
                         "networks only");
    else if (!net_mode_is_network(jstr(json_object_get(rec->j, "HostConfig"), "NetworkMode")))
        r = hk_error_set(err, -EINVAL,
                         "container %.12s has no bridge network of its own to add "
                         "to (its network mode is not a network)",
                         id);
    else if (own && (!ip || strcmp(ip, own_ip) == 0))
        r = 0; /* it joins its own network at start anyway (compose asks so) */
    else if (own || find(list, n.id) >= 0)
        r = hk_error_set(err, -EEXIST, "endpoint with name %s already exists in network %s",
                         name[0] == '/' ? name + 1 : name, n.name);
    else if (json_array_size(list) >= 9)
        r = hk_error_set(err, -ENOSPC, "a container joins at most 10 networks");
    if (r == 0 && !own) {
        json_t *entry = json_pack("{s:s,s:s,s:s}", "Network", n.id, "Name", n.name,
                                  "IPv4Address", ip ? ip : "");
        if (json_array_size(aliases))
            json_object_set_new(entry, "Aliases", json_deep_copy(aliases));
        json_array_append_new(list, entry);
        r = record_save(rec, err);
    }
    record_free(rec);
    return r;
}

int net_disconnect_later(const struct engine *e, const char *id, const char *network,
                         struct hk_error *err)
{
    struct network n;
    struct record *rec = NULL;
    json_t *list = NULL;
    int r = open_stopped(e, id, network, &n, &rec, &list, err);
    if (r < 0)
        return r;
    int k = find(list, n.id);
    if (k >= 0) {
        json_array_remove(list, (size_t)k);
        r = record_save(rec, err);
    }
    record_free(rec);
    return r < 0 ? r : k < 0;
}

int net_connect_pending(const struct engine *e, const char *id, struct hk_error *err)
{
    struct record *rec = NULL;
    int r = record_open(e, id, false, &rec, err);
    if (r < 0)
        return r;
    json_t *list = json_deep_copy(json_object_get(json_object_get(rec->j, "Hako"), "Connect"));
    record_free(rec);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *ip = jstr(v, "IPv4Address"), *name = jstr(v, "Name");
        struct network n;
        r = network_get(e, jstr(v, "Network"), &n, NULL);
        if (r < 0)
            r = hk_error_set(err, r, "network %s not found", name);
        else if ((r = net_connect(e, id, n.id, ip[0] ? ip : NULL, json_object_get(v, "Aliases"),
                                  err)) < 0)
            r = hk_error_prefix(err, r, "network %s", name);
        if (r < 0)
            break;
    }
    json_decref(list);
    return r;
}

/* Whether container id runs (or is paused or restarting: it has a monitor). */
static bool live(const struct engine *e, const char *id)
{
    struct record *rec = NULL;
    if (record_open(e, id, false, &rec, NULL) < 0)
        return false;
    bool on = engine_status_live(record_status(rec->j));
    record_free(rec);
    return on;
}

int net_connect_any(const struct engine *e, const char *id, const char *network, const char *ip,
                    const json_t *aliases, struct hk_error *err)
{
    return live(e, id) ? net_connect(e, id, network, ip, aliases, err)
                       : net_connect_later(e, id, network, ip, aliases, err);
}

int net_disconnect_any(const struct engine *e, const char *id, const char *network,
                       struct hk_error *err)
{
    int r = live(e, id) ? 1 : net_disconnect_later(e, id, network, err);
    return r == 1 ? net_disconnect(e, id, network, err) : r;
}
