/* route.c — method + path → operation, query string, JSON body, create request (route.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/route.h"
#include "oci/parse.h"
#include "util/fs.h"
#include "util/json.h"

void api_request_clear(struct api_request *r)
{
    free(r->object);
    json_decref(r->query);
    json_decref(r->body);
    *r = (struct api_request){0};
}

/* Strip "/v1.NN" off *path; 400 when NN is out of range. */
static int strip_version(const char **path, int *ret_minor, struct hk_error *err)
{
    const char *p = *path;
    *ret_minor = API_MAX_MINOR;
    if (strncmp(p, "/v", 2) != 0 || !isdigit((unsigned char)p[2]))
        return 0;
    char *end;
    long major = strtol(p + 2, &end, 10);
    if (*end != '.' || !isdigit((unsigned char)end[1]))
        return 0;
    long minor = strtol(end + 1, &end, 10);
    if (*end != '/' && *end != '\0')
        return 0;
    int vlen = (int)(end - (p + 2));
    if (major < 1 || (major == 1 && minor < API_MIN_MINOR)) {
        hk_error_set(err, -EINVAL,
                     "client version %.*s is too old. Minimum supported API "
                     "version is %s, please upgrade your client to a newer version",
                     vlen, p + 2, API_MIN_VERSION);
        return 400;
    }
    if (major > 1 || minor > API_MAX_MINOR) {
        hk_error_set(err, -EINVAL,
                     "client version %.*s is too new. Maximum supported API "
                     "version is 1.%d",
                     vlen, p + 2, API_MAX_MINOR);
        return 400;
    }
    *ret_minor = (int)minor;
    *path = end;
    return 0;
}

struct action {
    const char *method, *name;
    enum api_op op;
};

static const struct action container_actions[] = {
    {"GET", "json", OP_CT_INSPECT},     {"GET", "logs", OP_CT_LOGS},
    {"GET", "top", OP_CT_TOP},          {"GET", "stats", OP_CT_STATS},
    {"POST", "start", OP_CT_START},     {"POST", "stop", OP_CT_STOP},
    {"POST", "restart", OP_CT_RESTART}, {"POST", "kill", OP_CT_KILL},
    {"POST", "wait", OP_CT_WAIT},       {"POST", "pause", OP_CT_PAUSE},
    {"POST", "unpause", OP_CT_UNPAUSE}, {"POST", "rename", OP_CT_RENAME},
    {"POST", "attach", OP_CT_ATTACH},   {"POST", "resize", OP_CT_RESIZE},
    {"POST", "exec", OP_CT_EXEC},       {"GET", "export", OP_CT_EXPORT},
    {"GET", "changes", OP_CT_CHANGES},  {"GET", "archive", OP_CT_ARCHIVE_GET},
    {"HEAD", "archive", OP_CT_ARCHIVE_HEAD}, {"PUT", "archive", OP_CT_ARCHIVE_PUT},
};
static const struct action exec_actions[] = {
    {"POST", "start", OP_EXEC_START},
    {"POST", "resize", OP_EXEC_RESIZE},
    {"GET", "json", OP_EXEC_INSPECT},
};
static const struct action image_actions[] = {
    {"GET", "json", OP_IMG_INSPECT},
    {"GET", "history", OP_IMG_HISTORY},
    {"POST", "tag", OP_IMG_TAG},
    {"POST", "push", OP_IMG_PUSH},
    {"GET", "get", OP_IMG_GET},
};
static const struct action network_actions[] = {
    {"POST", "connect", OP_NET_CONNECT},
    {"POST", "disconnect", OP_NET_DISCONNECT},
};
static const struct action fixed[] = {
    {"GET", "/_ping", OP_PING},
    {"HEAD", "/_ping", OP_PING},
    {"GET", "/version", OP_VERSION},
    {"GET", "/info", OP_INFO},
    {"GET", "/events", OP_EVENTS},
    {"GET", "/system/df", OP_DF},
    {"POST", "/auth", OP_AUTH},
    {"GET", "/containers/json", OP_CT_LIST},
    {"POST", "/containers/create", OP_CT_CREATE},
    {"POST", "/containers/prune", OP_CT_PRUNE},
    {"POST", "/commit", OP_COMMIT},
    {"POST", "/build", OP_BUILD},
    {"GET", "/images/json", OP_IMG_LIST},
    {"POST", "/images/create", OP_IMG_CREATE},
    {"POST", "/images/load", OP_IMG_LOAD},
    {"GET", "/images/get", OP_IMG_GET},
    {"GET", "/volumes", OP_VOL_LIST},
    {"POST", "/volumes/create", OP_VOL_CREATE},
    {"POST", "/volumes/prune", OP_VOL_PRUNE},
    {"GET", "/networks", OP_NET_LIST},
    {"POST", "/networks/create", OP_NET_CREATE},
    {"POST", "/networks/prune", OP_NET_PRUNE},
};

static int not_found(struct hk_error *err)
{
    hk_error_set(err, -ENOENT, "page not found");
    return 404;
}

/* "<object>/<action>" against table: 0 and r->op/r->object, or 404/405. A slash in the object
 * is allowed only for images (names have them). */
static int match_object(const char *method, const char *rest, const struct action *t, size_t n,
                        bool slashes, struct api_request *r, struct hk_error *err)
{
    const char *slash = slashes ? strrchr(rest, '/') : strchr(rest, '/');
    if (!slash || slash == rest || strchr(slash + 1, '/'))
        return not_found(err);
    bool path_ok = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(slash + 1, t[i].name) != 0)
            continue;
        path_ok = true;
        if (strcmp(method, t[i].method) == 0) {
            r->op = t[i].op;
            r->object = strndup(rest, (size_t)(slash - rest));
            return 0;
        }
    }
    if (!path_ok)
        return not_found(err);
    hk_error_set(err, -EINVAL, "method not allowed");
    return 405;
}

static bool has_prefix(const char *path, const char *p)
{
    size_t n = strlen(p);
    return strncmp(path, p, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool has_dotdot(const char *path)
{
    for (const char *p = path; (p = strstr(p, "..")); p += 2)
        if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
            return true;
    return false;
}

int api_route(const char *method, const char *path, struct api_request *r, struct hk_error *err)
{
    int rc = strip_version(&path, &r->minor, err);
    if (rc)
        return rc;
    if (path[0] != '/' || has_dotdot(path) || strstr(path, "//"))
        return not_found(err);
    bool path_ok = false;
    for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
        if (strcmp(path, fixed[i].name) == 0) {
            path_ok = true;
            if (strcmp(method, fixed[i].method) == 0) {
                r->op = fixed[i].op;
                return 0;
            }
        }
    if (path_ok) {
        hk_error_set(err, -EINVAL, "method not allowed");
        return 405;
    }
    static const char *const swarm[] = {"/swarm", "/nodes",   "/services",
                                        "/tasks", "/secrets", "/configs"};
    for (size_t i = 0; i < ELEMENTSOF(swarm); i++)
        if (has_prefix(path, swarm[i])) {
            r->op = OP_SWARM;
            return 0;
        }
    if (has_prefix(path, "/plugins")) {
        r->op = OP_PLUGIN;
        return 0;
    }
    if (strncmp(path, "/containers/", 12) == 0) {
        const char *rest = path + 12;
        if (strcmp(method, "DELETE") == 0 && rest[0] && !strchr(rest, '/')) {
            r->op = OP_CT_DELETE;
            r->object = xstrdup(rest);
            return 0;
        }
        return match_object(method, rest, container_actions, ELEMENTSOF(container_actions), false,
                            r, err);
    }
    if (strncmp(path, "/volumes/", 9) == 0 && path[9] && !strchr(path + 9, '/')) {
        bool get = strcmp(method, "GET") == 0, del = strcmp(method, "DELETE") == 0;
        if (!get && !del) {
            hk_error_set(err, -EINVAL, "method not allowed");
            return 405;
        }
        r->op = get ? OP_VOL_INSPECT : OP_VOL_DELETE;
        r->object = xstrdup(path + 9);
        return 0;
    }
    if (strncmp(path, "/networks/", 10) == 0 && path[10]) {
        const char *rest = path + 10;
        if (strchr(rest, '/'))
            return match_object(method, rest, network_actions, ELEMENTSOF(network_actions),
                                false, r, err);
        bool get = strcmp(method, "GET") == 0, del = strcmp(method, "DELETE") == 0;
        if (!get && !del) {
            hk_error_set(err, -EINVAL, "method not allowed");
            return 405;
        }
        r->op = get ? OP_NET_INSPECT : OP_NET_DELETE;
        r->object = xstrdup(rest);
        return 0;
    }
    if (strncmp(path, "/exec/", 6) == 0)
        return match_object(method, path + 6, exec_actions, ELEMENTSOF(exec_actions), false, r,
                            err);
    if (strncmp(path, "/images/", 8) == 0) {
        const char *rest = path + 8;
        if (strcmp(method, "DELETE") == 0 && rest[0]) {
            r->op = OP_IMG_DELETE;
            r->object = xstrdup(rest);
            return 0;
        }
        return match_object(method, rest, image_actions, ELEMENTSOF(image_actions), true, r, err);
    }
    return not_found(err);
}

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Decode n bytes of a query component: %XX and '+' as a space. A %00 ends the value. */
static char *decode(const char *s, size_t n)
{
    char *out = xcalloc(n + 1, 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
                   hexval((unsigned char)s[i + 2]) >= 0) {
            char c = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            if (c == '\0')
                break;
            *o++ = c;
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

void api_query_parse(const char *qs, struct api_request *r)
{
    if (!r->query)
        r->query = json_object();
    while (qs && *qs) {
        size_t n = strcspn(qs, "&");
        const char *eq = memchr(qs, '=', n);
        _cleanup_free_ char *k = decode(qs, eq ? (size_t)(eq - qs) : n);
        _cleanup_free_ char *v = eq ? decode(eq + 1, n - (size_t)(eq + 1 - qs)) : xstrdup("");
        json_t *js = json_string(v); /* NULL for invalid UTF-8: dropped */
        if (k[0] && js)
            json_object_set_new(r->query, k, js);
        else
            json_decref(js);
        qs += n;
        if (*qs == '&')
            qs++;
    }
}

int api_body_parse(const char *body, size_t n, struct api_request *r, struct hk_error *err)
{
    if (n > API_BODY_MAX) {
        hk_error_set(err, -E2BIG, "request body larger than %u bytes", API_BODY_MAX);
        return 413;
    }
    size_t i = 0;
    while (i < n && isspace((unsigned char)body[i]))
        i++;
    if (i == n)
        return 0;
    json_error_t je;
    r->body = json_loadb(body, n, JSON_DECODE_ANY, &je);
    if (!r->body) {
        hk_error_set(err, -EINVAL, "invalid JSON: %s (line %d, column %d)", je.text, je.line,
                     je.column);
        return 400;
    }
    return 0;
}

const char *api_query(const struct api_request *r, const char *key)
{
    return json_string_value(json_object_get(r->query, key));
}

bool api_query_bool(const struct api_request *r, const char *key)
{
    const char *v = api_query(r, key);
    return v && v[0] && strcmp(v, "0") != 0 && strcasecmp(v, "false") != 0;
}

int api_filters(const struct api_request *r, char ***ret, struct hk_error *err)
{
    char **v = xcalloc(1, sizeof(char *));
    const char *f = api_query(r, "filters");
    *ret = v;
    if (!f || !f[0])
        return 0;
    json_error_t je;
    _cleanup_json_ json_t *j = json_loads(f, 0, &je);
    if (!json_is_object(j)) {
        hk_error_set(err, -EINVAL, "invalid filter: %s", j ? "expected an object" : je.text);
        return 400;
    }
    const char *key;
    json_t *vals;
    json_object_foreach(j, key, vals)
    {
        size_t i;
        json_t *x;
        if (json_is_array(vals)) {
            json_array_foreach(vals, i, x) if (json_is_string(x))
                strv_append_take(&v, xasprintf("%s=%s", key, json_string_value(x)));
        } else if (json_is_object(vals)) {
            const char *k2;
            json_object_foreach(vals, k2, x) if (json_is_true(x))
                strv_append_take(&v, xasprintf("%s=%s", key, k2));
        } else {
            hk_error_set(err, -EINVAL, "invalid filter '%s'", key);
            return 400;
        }
    }
    *ret = v;
    return 0;
}

/* The field types docker's create decodes, for the error a wrong type gets. */
enum jt { T_STR, T_BOOL, T_INT, T_STRV, T_STRMAP, T_OBJ, T_STRV_OR_STR };
struct field {
    const char *name;
    enum jt type;
};

static const struct field config_fields[] = {
    {"Hostname", T_STR},     {"Domainname", T_STR},         {"User", T_STR},
    {"AttachStdin", T_BOOL}, {"AttachStdout", T_BOOL},      {"AttachStderr", T_BOOL},
    {"Tty", T_BOOL},         {"OpenStdin", T_BOOL},         {"StdinOnce", T_BOOL},
    {"Env", T_STRV},         {"Cmd", T_STRV_OR_STR},        {"Image", T_STR},
    {"WorkingDir", T_STR},   {"Entrypoint", T_STRV_OR_STR}, {"Labels", T_STRMAP},
    {"StopSignal", T_STR},   {"StopTimeout", T_INT},        {"ExposedPorts", T_OBJ},
    {"Volumes", T_OBJ},      {"Healthcheck", T_OBJ},
};
static const struct field host_fields[] = {
    {"Binds", T_STRV},        {"NetworkMode", T_STR},     {"AutoRemove", T_BOOL},
    {"Privileged", T_BOOL},   {"ReadonlyRootfs", T_BOOL}, {"Memory", T_INT},
    {"MemorySwap", T_INT},    {"NanoCpus", T_INT},        {"CpuShares", T_INT},
    {"CpusetCpus", T_STR},    {"PidsLimit", T_INT},       {"CapAdd", T_STRV},
    {"CapDrop", T_STRV},      {"SecurityOpt", T_STRV},    {"Tmpfs", T_STRMAP},
    {"RestartPolicy", T_OBJ}, {"Init", T_BOOL},         {"PortBindings", T_OBJ},
    {"PublishAllPorts", T_BOOL},
};

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "null";
    }
}

static bool strv_ok(const json_t *v)
{
    size_t i;
    json_t *x;
    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, x) if (!json_is_string(x)) return false;
    return true;
}

static bool type_ok(const json_t *v, enum jt t)
{
    const char *k;
    json_t *x;
    switch (t) {
    case T_STR:
        return json_is_string(v);
    case T_BOOL:
        return json_is_boolean(v);
    case T_INT:
        return json_is_integer(v);
    case T_STRV:
        return strv_ok(v);
    case T_STRV_OR_STR:
        return json_is_string(v) || strv_ok(v);
    case T_OBJ:
        return json_is_object(v);
    case T_STRMAP:
        if (!json_is_object(v))
            return false;
        json_object_foreach((json_t *)v, k, x) if (!json_is_string(x)) return false;
        return true;
    }
    return false;
}

/* Check the fields of o against t; null values are dropped (docker: the zero value). */
static int check_fields(json_t *o, const struct field *t, size_t n, const char *strct,
                        struct hk_error *err)
{
    static const char *const go[] = {
        "string", "bool", "int64", "[]string", "map[string]string", "struct", "strslice.StrSlice"};
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(o, t[i].name);
        if (!v)
            continue;
        if (json_is_null(v)) {
            json_object_del(o, t[i].name);
            continue;
        }
        if (!type_ok(v, t[i].type)) {
            hk_error_set(err, -EINVAL,
                         "json: cannot unmarshal %s into Go struct field %s.%s of "
                         "type %s",
                         json_kind(v), strct, t[i].name, go[t[i].type]);
            return 400;
        }
        if (t[i].type == T_STRV_OR_STR && json_is_string(v))
            json_object_set_new(o, t[i].name, json_pack("[O]", v));
    }
    return 0;
}

bool api_endpoint_extra(const char *net, const char *mode)
{
    bool bridge_like = !strcmp(mode, "default") || !strcmp(mode, "bridge");
    return strcmp(net, mode) != 0 &&
           !(bridge_like && (!strcmp(net, "default") || !strcmp(net, "bridge")));
}

/* The network part of a create: docker's "default" mode is its bridge, so a container that
 * publishes ports gets the bridge (as `hako run -p` does; without ports "default" stays hako's
 * own namespace with loopback only); the IPAMConfig.IPv4Address of the mode's network in
 * NetworkingConfig.EndpointsConfig is run's --ip (the others are connected by the caller), its
 * Aliases run's --network-alias. */
static int networking_config(const json_t *body, json_t *host, struct hk_error *err)
{
    const char *mode = json_string_value(json_object_get(host, "NetworkMode"));
    bool dflt = !mode || !mode[0] || strcmp(mode, "default") == 0;
    if (dflt) {
        bool ports = json_object_size(json_object_get(host, "PortBindings")) ||
                     json_is_true(json_object_get(host, "PublishAllPorts"));
        mode = ports ? "bridge" : "default";
        json_object_set_new(host, "NetworkMode", json_string(mode));
    }
    const json_t *eps = json_object_get(json_object_get(body, "NetworkingConfig"),
                                        "EndpointsConfig");
    const char *net;
    json_t *ep;
    json_object_foreach((json_t *)eps, net, ep)
    {
        if (json_array_size(json_object_get(ep, "Links"))) {
            hk_error_set(err, -EINVAL, "NetworkingConfig: Links are not supported");
            return 400;
        }
        const json_t *ipc = json_object_get(ep, "IPAMConfig");
        const char *ip = json_string_value(json_object_get(ipc, "IPv4Address"));
        const char *ip6 = json_string_value(json_object_get(ipc, "IPv6Address"));
        if (ip6 && ip6[0]) {
            hk_error_set(err, -EINVAL, "NetworkingConfig: IPv6Address: hako's networks are "
                                       "IPv4 only");
            return 400;
        }
        const json_t *aliases = json_object_get(ep, "Aliases");
        if (api_endpoint_extra(net, mode) || (!(ip && ip[0]) && !json_array_size(aliases)))
            continue;
        json_t *hk = json_object_get(host, "Hako");
        if (!json_is_object(hk)) {
            hk = json_object();
            json_object_set_new(host, "Hako", hk);
        }
        if (ip && ip[0])
            json_object_set_new(hk, "IPv4Address", json_string(ip));
        /* the mode's network's aliases are run's --network-alias (compose sends the
         * service's name there) */
        size_t i;
        json_t *a;
        json_array_foreach(aliases, i, a) if (json_is_string(a))
        {
            json_t *list = json_object_get(hk, "Aliases");
            if (!json_is_array(list)) {
                list = json_array();
                json_object_set_new(hk, "Aliases", list);
            }
            json_array_append(list, a);
        }
    }
    return 0;
}

int api_create_request(const struct api_request *r, json_t **ret_config, json_t **ret_host,
                       struct hk_error *err)
{
    if (!json_is_object(r->body)) {
        hk_error_set(err, -EINVAL,
                     r->body ? "json: cannot unmarshal %s into Go value of type "
                               "container.CreateRequest"
                             : "config cannot be empty in order to create a "
                               "container",
                     r->body ? json_kind(r->body) : "");
        return 400;
    }
    _cleanup_json_ json_t *config = json_deep_copy(r->body);
    json_t *host = json_incref(json_object_get(config, "HostConfig"));
    json_object_del(config, "HostConfig");
    json_object_del(config, "NetworkingConfig");
    if (!host || json_is_null(host)) {
        json_decref(host);
        host = json_object();
    }
    int rc = check_fields(config, config_fields, ELEMENTSOF(config_fields),
                          "ContainerConfigWrapper", err);
    if (rc == 0 && !json_is_object(host)) {
        hk_error_set(err, -EINVAL,
                     "json: cannot unmarshal %s into Go struct field "
                     "ContainerConfigWrapper.HostConfig of type container.HostConfig",
                     json_kind(host));
        rc = 400;
    }
    if (rc == 0)
        rc = check_fields(host, host_fields, ELEMENTSOF(host_fields), "HostConfig", err);
    if (rc == 0)
        rc = networking_config(r->body, host, err);
    const char *image = json_string_value(json_object_get(config, "Image"));
    if (rc == 0 && (!image || !image[0])) {
        hk_error_set(err, -EINVAL, "config cannot be empty in order to create a container");
        rc = 400;
    }
    if (rc) {
        json_decref(host);
        return rc;
    }
    *ret_config = TAKE_PTR(config);
    *ret_host = host;
    return 0;
}
