/* ports.c — -p values and the ports a container publishes (see ports.h). */
#include "engine/net/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

/* "a" or "a-b" (1..65535, a <= b); empty allowed when may_empty (then 0-0). */
static int range(const char *s, int *a, int *b, bool may_empty)
{
    if (!*s && may_empty) {
        *a = *b = 0;
        return 0;
    }
    char *end;
    long x = strtol(s, &end, 10), y = x;
    if (end == s || x < 1 || x > 65535 || (s[0] < '0' || s[0] > '9'))
        return -EINVAL;
    if (*end == '-') {
        const char *t = end + 1;
        y = strtol(t, &end, 10);
        if (end == t || y < x || y > 65535 || t[0] < '0' || t[0] > '9')
            return -EINVAL;
    }
    if (*end)
        return -EINVAL;
    *a = (int)x;
    *b = (int)y;
    return 0;
}

int ports_key(const char *key, int *ret_port, char ret_proto[4])
{
    const char *slash = strchr(key, '/');
    const char *proto = slash ? slash + 1 : "tcp";
    if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
        return -EINVAL;
    char num[8];
    size_t n = slash ? (size_t)(slash - key) : strlen(key);
    if (n == 0 || n >= sizeof(num))
        return -EINVAL;
    memcpy(num, key, n);
    num[n] = '\0';
    int a, b;
    if (range(num, &a, &b, false) < 0 || a != b)
        return -EINVAL;
    *ret_port = a;
    snprintf(ret_proto, 4, "%s", proto);
    return 0;
}

static void bind_add(json_t *pb, json_t *exposed, int cport, const char *proto, const char *ip,
                     const char *hport)
{
    char key[16];
    snprintf(key, sizeof(key), "%d/%s", cport, proto);
    json_t *list = json_object_get(pb, key);
    if (!list) {
        list = json_array();
        json_object_set_new(pb, key, list);
    }
    json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp", ip, "HostPort", hport));
    json_object_set_new(exposed, key, json_object());
}

/* Split spec into ip, host and container parts (copies into the caller's buffers). */
static int split(const char *spec, char *ip, char *host, char *ctr, char *proto,
                 struct hk_error *err)
{
    char buf[128];
    if (strlen(spec) >= sizeof(buf))
        return hk_error_set(err, -EINVAL, "invalid port format: %s", spec);
    strcpy(buf, spec);
    char *slash = strrchr(buf, '/');
    strcpy(proto, "tcp");
    if (slash) {
        *slash = '\0';
        if (strcmp(slash + 1, "tcp") != 0 && strcmp(slash + 1, "udp") != 0)
            return hk_error_set(err, -EINVAL, "invalid proto: %s", slash + 1);
        strcpy(proto, slash + 1);
    }
    if (buf[0] == '[')
        return hk_error_set(err, -EINVAL, "%s: IPv6 host addresses are not supported yet",
                            spec);
    char *parts[3] = {NULL};
    int n = 0;
    for (char *p = buf, *c; n < 3; p = c + 1) {
        parts[n++] = p;
        if (!(c = strchr(p, ':')))
            break;
        *c = '\0';
        if (n == 3)
            return hk_error_set(err, -EINVAL, "invalid port format: %s", spec);
    }
    ip[0] = host[0] = '\0';
    if (n == 3) {
        snprintf(ip, 46, "%s", parts[0]);
        snprintf(host, 16, "%s", parts[1]);
    } else if (n == 2) {
        snprintf(host, 16, "%s", parts[0]);
    }
    snprintf(ctr, 16, "%s", parts[n - 1]);
    struct in_addr a;
    if (ip[0] && inet_pton(AF_INET, ip, &a) != 1)
        return hk_error_set(err, -EINVAL, "invalid IP address: %s", ip);
    return 0;
}

int ports_parse(const char *spec, json_t *pb, json_t *exposed, struct hk_error *err)
{
    char ip[46], host[16], ctr[16], proto[4];
    int r = split(spec, ip, host, ctr, proto, err);
    if (r < 0)
        return r;
    int ca, cb, ha, hb;
    if (range(ctr, &ca, &cb, false) < 0)
        return hk_error_set(err, -EINVAL, "invalid containerPort: %s", ctr);
    if (range(host, &ha, &hb, true) < 0)
        return hk_error_set(err, -EINVAL, "invalid hostPort: %s", host);
    bool host_range = hb > ha, ctr_range = cb > ca;
    if (ha && ((ctr_range && hb - ha != cb - ca) || (host_range && !ctr_range && ca != cb &&
                                                     hb - ha != cb - ca)))
        return hk_error_set(err, -EINVAL, "Invalid ranges specified for container and host "
                                          "Ports: %s and %s", ctr, host);
    for (int c = ca; c <= cb; c++) {
        char hp[32] = "";
        if (ha && ctr_range)
            snprintf(hp, sizeof(hp), "%d", ha + (c - ca));
        else if (ha && host_range)
            snprintf(hp, sizeof(hp), "%d-%d", ha, hb);
        else if (ha)
            snprintf(hp, sizeof(hp), "%d", ha);
        bind_add(pb, exposed, c, proto, ip, hp);
    }
    return 0;
}

static int add_wanted(struct fw_port **v, size_t *n, const char *key, const json_t *b,
                      struct hk_error *err)
{
    struct fw_port p = {0};
    if (ports_key(key, &p.container_port, p.proto) < 0)
        return hk_error_set(err, -EINVAL, "PortBindings: invalid port '%s'", key);
    snprintf(p.host_ip, sizeof(p.host_ip), "%s",
             json_string_value(json_object_get(b, "HostIp")) ?: "");
    if (strcmp(p.host_ip, "0.0.0.0") == 0)
        p.host_ip[0] = '\0';
    const char *hp = json_string_value(json_object_get(b, "HostPort")) ?: "";
    if (strcmp(hp, "0") == 0) /* the API's "any free port" (testcontainers sends it) */
        hp = "";
    int a = 0, z = 0;
    if (range(hp, &a, &z, true) < 0)
        return hk_error_set(err, -EINVAL, "invalid hostPort: %s", hp);
    p.host_port = a; /* a range a-z: bound to the first free one at start (net_attach) */
    p.range_end = z;
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = p;
    return 0;
}

int ports_wanted(const json_t *hc, const json_t *exposed, struct fw_port **ret, size_t *ret_n,
                 struct hk_error *err)
{
    struct fw_port *v = NULL;
    size_t n = 0;
    const json_t *pb = json_object_get(hc, "PortBindings");
    const char *key;
    json_t *list, *b;
    size_t i;
    json_object_foreach((json_t *)pb, key, list) json_array_foreach(list, i, b)
    {
        int r = add_wanted(&v, &n, key, b, err);
        if (r < 0) {
            free(v);
            return r;
        }
    }
    if (json_is_true(json_object_get(hc, "PublishAllPorts"))) {
        json_t *x;
        json_object_foreach((json_t *)exposed, key, x)
        {
            if (json_object_get(pb, key))
                continue;
            json_t *any = json_pack("{s:s,s:s}", "HostIp", "", "HostPort", "");
            int r = add_wanted(&v, &n, key, any, err);
            json_decref(any);
            if (r < 0) {
                free(v);
                return r;
            }
        }
    }
    *ret = v;
    *ret_n = n;
    return 0;
}

char *ports_column(const json_t *ports)
{
    size_t cap = 64, len = 0;
    char *out = xcalloc(1, cap);
    const char *key;
    json_t *list;
    json_object_foreach((json_t *)ports, key, list)
    {
        size_t n = json_array_size(list);
        for (size_t i = 0; i < (n ? n : 1); i++) {
            json_t *b = json_array_get(list, i);
            _cleanup_free_ char *item =
                b ? xasprintf("%s:%s->%s", json_string_value(json_object_get(b, "HostIp")) ?: "",
                              json_string_value(json_object_get(b, "HostPort")) ?: "", key)
                  : xstrdup(key);
            size_t need = len + strlen(item) + 3;
            if (need > cap)
                out = xrealloc(out, cap = need * 2);
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ", " : "", item);
        }
    }
    return out;
}
