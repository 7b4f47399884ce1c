/* config.c — the service's daemon.json (see api.h): docker's keys where hako has the thing
 * they configure; every other key is an error naming it, never ignored. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "util/json.h"
#include "util/log.h"
#include "util/fs.h"
#include "util/macro.h"

void api_config_clear(struct api_config *c)
{
    free(c->hosts);
    json_decref(c->default_ulimits);
    json_decref(c->j);
    free(c->text);
    *c = (struct api_config){0};
}

static int bad(const struct api_config *c, const char *key, const char *why, struct hk_error *err)
{
    int line = c->text ? json_line_of(c->text, key) : 0;
    if (line > 0)
        return hk_error_set(err, -EINVAL, "%s:%d: \"%s\": %s", c->path, line, key, why);
    return hk_error_set(err, -EINVAL, "%s: \"%s\": %s", c->path, key, why);
}

static int get_bool(const struct api_config *c, const char *key, json_t *v, bool *ret,
                    struct hk_error *err)
{
    if (!json_is_boolean(v))
        return bad(c, key, "expected true or false", err);
    *ret = json_is_true(v);
    return 0;
}

static int get_path(const struct api_config *c, const char *key, json_t *v, const char **ret,
                    struct hk_error *err)
{
    const char *s = json_string_value(v);
    if (!s || !s[0])
        return bad(c, key, "expected a path (a non-empty string)", err);
    *ret = s;
    return 0;
}

static int get_hosts(struct api_config *c, json_t *v, struct hk_error *err)
{
    if (!json_is_array(v))
        return bad(c, "hosts", "expected a list of unix:///PATH or tcp://HOST:PORT", err);
    c->n_hosts = json_array_size(v);
    c->hosts = xcalloc(c->n_hosts + 1, sizeof(*c->hosts));
    for (size_t i = 0; i < c->n_hosts; i++) {
        c->hosts[i] = json_string_value(json_array_get(v, i));
        if (!c->hosts[i])
            return bad(c, "hosts", "expected a list of strings", err);
    }
    return 0;
}

/* docker's {"nofile": {"Name": "nofile", "Soft": N, "Hard": N}} into HostConfig.Ulimits form. */
static int get_ulimits(struct api_config *c, json_t *v, struct hk_error *err)
{
    if (!json_is_object(v))
        return bad(c, "default-ulimits", "expected an object of {\"Name\", \"Soft\", \"Hard\"}",
                   err);
    c->default_ulimits = json_array();
    const char *name;
    json_t *u;
    json_object_foreach(v, name, u)
    {
        json_t *soft = json_object_get(u, "Soft"), *hard = json_object_get(u, "Hard");
        const char *n = json_string_value(json_object_get(u, "Name"));
        if (!json_is_object(u) || !json_is_integer(soft) || !json_is_integer(hard) ||
            json_integer_value(soft) < 0 || json_integer_value(soft) > json_integer_value(hard)) {
            _cleanup_free_ char *why = xasprintf("\"%s\": expected {\"Name\": \"%s\", \"Soft\": N, "
                                                 "\"Hard\": M} with 0 <= N <= M",
                                                 name, name);
            return bad(c, "default-ulimits", why, err);
        }
        if (n && strcmp(n, name) != 0) {
            _cleanup_free_ char *why = xasprintf("\"%s\" has \"Name\": \"%s\"", name, n);
            return bad(c, "default-ulimits", why, err);
        }
        json_array_append_new(c->default_ulimits,
                              json_pack("{s:s,s:O,s:O}", "Name", name, "Soft", soft, "Hard", hard));
    }
    return 0;
}

static int get_log_level(struct api_config *c, json_t *v, struct hk_error *err)
{
    const char *s = json_string_value(v);
    enum log_level lvl;
    if (s && strcmp(s, "fatal") == 0)
        s = "error";
    if (!s || log_level_from_string(s, &lvl) < 0)
        return bad(c, "log-level", "expected one of debug, info, warn, error, fatal", err);
    c->has_log_level = true;
    c->log_level = (int)lvl;
    return 0;
}

/* Keys docker has that configure what hako does not do (yet): an error, not silence. */
static const char *const unsupported[] = {
    "insecure-registries",
    "registry-mirrors",
    "log-opts",
    "log-driver",
    "storage-driver",
    "storage-opts",
    "bridge",
    "bip",
    "iptables",
    "ip-forward",
    "dns",
    "userns-remap",
    "cgroup-parent",
    "exec-opts",
    "labels",
    "features",
    "default-address-pools",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
};

static int key(struct api_config *c, const char *k, json_t *v, struct hk_error *err)
{
    if (strcmp(k, "hosts") == 0)
        return get_hosts(c, v, err);
    if (strcmp(k, "data-root") == 0)
        return get_path(c, k, v, &c->data_root, err);
    if (strcmp(k, "exec-root") == 0)
        return get_path(c, k, v, &c->exec_root, err);
    if (strcmp(k, "log-level") == 0)
        return get_log_level(c, v, err);
    if (strcmp(k, "debug") == 0) {
        c->has_debug = true;
        return get_bool(c, k, v, &c->debug, err);
    }
    if (strcmp(k, "tls") == 0) {
        bool on = false;
        int r = get_bool(c, k, v, &on, err);
        c->has_tls = r == 0 && on;
        return r;
    }
    if (strcmp(k, "tlsverify") == 0) {
        c->has_tlsverify = true;
        return get_bool(c, k, v, &c->tlsverify, err);
    }
    if (strcmp(k, "tlscacert") == 0)
        return get_path(c, k, v, &c->tlscacert, err);
    if (strcmp(k, "tlscert") == 0)
        return get_path(c, k, v, &c->tlscert, err);
    if (strcmp(k, "tlskey") == 0)
        return get_path(c, k, v, &c->tlskey, err);
    if (strcmp(k, "default-ulimits") == 0)
        return get_ulimits(c, v, err);
    if (strcmp(k, "live-restore") == 0) {
        bool on = false;
        int r = get_bool(c, k, v, &on, err);
        if (r == 0 && !on)
            return bad(c, k,
                       "hako's containers always outlive the service (each has its own "
                       "monitor): live-restore cannot be false",
                       err);
        return r;
    }
    if (strcmp(k, "default-runtime") == 0) {
        const char *s = json_string_value(v);
        if (!s || strcmp(s, "hako") != 0)
            return bad(c, k, "only \"hako\" (hako-runtime, built in) is available", err);
        return 0;
    }
    if (strcmp(k, "runtimes") == 0) {
        if (!json_is_object(v) || json_object_size(v) != 0)
            return bad(c, k, "other OCI runtimes are not supported yet", err);
        return 0;
    }
    for (size_t i = 0; i < ELEMENTSOF(unsupported); i++)
        if (strcmp(k, unsupported[i]) == 0)
            return bad(c, k, "not supported by hako", err);
    return hk_error_set(err, -EINVAL,
                        "unable to configure the service with file %s: the following "
                        "directives don't match any configuration option: %s",
                        c->path, k);
}

int api_config_load(const char *path, bool must_exist, struct api_config *c, struct hk_error *err)
{
    *c = (struct api_config){.path = path};
    struct stat st;
    if (!must_exist && stat(path, &st) < 0 && errno == ENOENT)
        return 0;
    int r = json_load_file_text(path, 1 << 20, &c->j, &c->text, err);
    if (r < 0)
        return hk_error_prefix(err, r, "--config-file");
    if (!json_is_object(c->j))
        return hk_error_set(err, -EINVAL, "%s: expected a JSON object", path);
    c->loaded = true;
    const char *k;
    json_t *v;
    json_object_foreach(c->j, k, v)
    {
        if ((r = key(c, k, v, err)) < 0)
            return r;
    }
    if (c->has_tls && !(c->has_tlsverify && c->tlsverify))
        return bad(c, "tls",
                   "hako serves TCP with TLS only with client verification: set "
                   "\"tlsverify\": true",
                   err);
    return 0;
}

/* HostConfig.Ulimits gets each default whose name the container does not set (dockerd's
 * merge: the container's own entry wins). */
void api_config_apply_ulimits(const struct api_config *c, json_t *host_config)
{
    if (!c || !c->default_ulimits || !json_is_object(host_config))
        return;
    json_t *have = json_object_get(host_config, "Ulimits");
    if (!json_is_array(have)) {
        have = json_array();
        json_object_set_new(host_config, "Ulimits", have);
    }
    size_t i, j;
    json_t *d, *u;
    json_array_foreach(c->default_ulimits, i, d)
    {
        const char *name = json_string_value(json_object_get(d, "Name"));
        bool set = false;
        json_array_foreach(have, j, u)
        {
            const char *n = json_string_value(json_object_get(u, "Name"));
            set |= n && strcmp(n, name) == 0;
        }
        if (!set)
            json_array_append(have, d);
    }
}
