/* mountspec.c — `-v` and `--mount` as docker parses and checks them (volume/mounts/
 * linux_parser.go in moby, opts/mount.go in the docker CLI), and runc's rule for /proc. */
#include "engine/mountspec.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/options.h"
#include "runtime/rootfs.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/path.h"

static const char *const propagations[] = {"private", "rprivate", "shared", "rshared", "slave",
                                           "rslave"};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* docker's ValidMountMode: comma-separated, at most one of each kind. Sets what it finds. */
static bool valid_mode(const char *mode, bool *ro, const char **prop, bool *nocopy)
{
    static const char *const labels[] = {"z", "Z"};
    static const char *const consistency[] = {"consistent", "cached", "delegated", "default"};
    int rw = 0, lab = 0, pr = 0, cp = 0, cons = 0;
    _cleanup_free_ char *copy = xstrdup(mode);
    for (char *p = copy, *save = NULL, *t; (t = strtok_r(p, ",", &save)); p = NULL) {
        if (strcmp(t, "rw") == 0 || strcmp(t, "ro") == 0) {
            rw++;
            *ro = strcmp(t, "ro") == 0;
        } else if (in_list(t, labels, ELEMENTSOF(labels))) {
            lab++;
        } else if (in_list(t, propagations, ELEMENTSOF(propagations))) {
            pr++;
            for (size_t i = 0; i < ELEMENTSOF(propagations); i++)
                if (strcmp(t, propagations[i]) == 0)
                    *prop = propagations[i];
        } else if (strcmp(t, "nocopy") == 0) {
            cp++;
            *nocopy = true;
        } else if (in_list(t, consistency, ELEMENTSOF(consistency))) {
            cons++;
        } else {
            return false;
        }
    }
    return rw <= 1 && lab <= 1 && pr <= 1 && cp <= 1 && cons <= 1;
}

int mountspec_parse_bind(const char *raw, json_t **ret, char **ret_mode, struct hk_error *err)
{
    size_t colons = 0;
    for (const char *p = raw; *p; p++)
        colons += *p == ':';
    if (colons > 2 || raw[0] == ':' || !raw[0])
        return hk_error_set(err, -EINVAL, "invalid volume specification: '%s'", raw);
    _cleanup_free_ char *copy = xstrdup(raw);
    char *arr[3] = {copy, NULL, NULL};
    for (size_t i = 1; i <= colons; i++) {
        arr[i] = strchr(arr[i - 1], ':');
        *arr[i]++ = '\0';
    }
    const char *src = "", *dst = arr[0], *mode = "";
    bool ro = false, nocopy = false;
    const char *prop = NULL;
    if (colons == 1) {
        bool r2 = false, n2 = false;
        const char *p2 = NULL;
        if (valid_mode(arr[1], &r2, &p2, &n2))
            return hk_error_set(err, -EINVAL, "invalid volume specification: '%s'", raw);
        src = arr[0];
        dst = arr[1];
    } else if (colons == 2) {
        src = arr[0];
        dst = arr[1];
        mode = arr[2];
    }
    if (!valid_mode(mode, &ro, &prop, &nocopy))
        return hk_error_set(err, -EINVAL, "invalid mode: %s", mode);
    bool bind = src[0] == '/';
    json_t *m = json_pack("{s:s,s:s,s:s,s:b}", "Type", bind ? "bind" : "volume", "Source", src,
                          "Target", dst, "ReadOnly", ro);
    if (nocopy)
        json_object_set_new(m, "VolumeOptions", json_pack("{s:b}", "NoCopy", true));
    if (prop)
        json_object_set_new(m, "BindOptions", json_pack("{s:s}", "Propagation", prop));
    struct hk_error local = {0};
    int r = mountspec_validate(m, false, &local);
    if (r < 0) {
        json_decref(m);
        if (err)
            *err = local;
        return r;
    }
    if (ret_mode)
        *ret_mode = xstrdup(mode);
    *ret = m;
    return 0;
}

static json_t *sub(json_t *m, const char *key)
{
    json_t *o = json_object_get(m, key);
    if (!o) {
        o = json_object();
        json_object_set_new(m, key, o);
    }
    return o;
}

static int csv_bool(const char *key, const char *v, bool *ret, struct hk_error *err)
{
    if (opt_parse_bool(v, ret) < 0)
        return hk_error_set(err, -EINVAL, "invalid value for %s: %s", key, v);
    return 0;
}

/* "K=V" (or "K") into a map, as the CLI's setValueOnMap. */
static void set_kv(json_t *map, const char *kv)
{
    const char *eq = strchr(kv, '=');
    _cleanup_free_ char *k = eq ? strndup(kv, (size_t)(eq - kv)) : xstrdup(kv);
    json_object_set_new(map, k, json_string(eq ? eq + 1 : ""));
}

static int csv_field(json_t *m, const char *field, struct hk_error *err)
{
    const char *eq = strchr(field, '=');
    _cleanup_free_ char *key = eq ? strndup(field, (size_t)(eq - field)) : xstrdup(field);
    for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const char *val = eq ? eq + 1 : NULL;
    bool b;
    if (!val) {
        if (!strcmp(key, "readonly") || !strcmp(key, "ro"))
            json_object_set_new(m, "ReadOnly", json_true());
        else if (!strcmp(key, "volume-nocopy"))
            json_object_set_new(sub(m, "VolumeOptions"), "NoCopy", json_true());
        else if (!strcmp(key, "bind-nonrecursive"))
            json_object_set_new(sub(m, "BindOptions"), "NonRecursive", json_true());
        else
            return hk_error_set(err, -EINVAL, "invalid field '%s' must be a key=value pair",
                                field);
        return 0;
    }
    if (!strcmp(key, "type")) {
        _cleanup_free_ char *t = xstrdup(val);
        for (char *p = t; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        json_object_set_new(m, "Type", json_string(t));
    } else if (!strcmp(key, "source") || !strcmp(key, "src")) {
        char cwd[4096];
        bool rel = strcmp(val, ".") == 0 || strncmp(val, "./", 2) == 0;
        _cleanup_free_ char *abs = rel && getcwd(cwd, sizeof(cwd)) ? xasprintf("%s/%s", cwd, val)
                                                                   : NULL;
        _cleanup_free_ char *clean = abs ? path_clean(abs) : NULL;
        json_object_set_new(m, "Source", json_string(clean ? clean : val));
    } else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination")) {
        json_object_set_new(m, "Target", json_string(val));
    } else if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
        if (csv_bool(key, val, &b, err) < 0)
            return -EINVAL;
        json_object_set_new(m, "ReadOnly", json_boolean(b));
    } else if (!strcmp(key, "consistency")) {
        json_object_set_new(m, "Consistency", json_string(val));
    } else if (!strcmp(key, "bind-propagation")) {
        json_object_set_new(sub(m, "BindOptions"), "Propagation", json_string(val));
    } else if (!strcmp(key, "bind-nonrecursive")) {
        if (csv_bool(key, val, &b, err) < 0)
            return -EINVAL;
        json_object_set_new(sub(m, "BindOptions"), "NonRecursive", json_boolean(b));
    } else if (!strcmp(key, "volume-nocopy")) {
        if (csv_bool(key, val, &b, err) < 0)
            return -EINVAL;
        json_object_set_new(sub(m, "VolumeOptions"), "NoCopy", json_boolean(b));
    } else if (!strcmp(key, "volume-label")) {
        set_kv(sub(sub(m, "VolumeOptions"), "Labels"), val);
    } else if (!strcmp(key, "volume-driver")) {
        json_object_set_new(sub(sub(m, "VolumeOptions"), "DriverConfig"), "Name",
                            json_string(val));
    } else if (!strcmp(key, "volume-opt")) {
        set_kv(sub(sub(sub(m, "VolumeOptions"), "DriverConfig"), "Options"), val);
    } else if (!strcmp(key, "tmpfs-size")) {
        int64_t n;
        if (opt_parse_bytes(val, &n, NULL) < 0)
            return hk_error_set(err, -EINVAL, "invalid value for %s: %s", key, val);
        json_object_set_new(sub(m, "TmpfsOptions"), "SizeBytes", json_integer(n));
    } else if (!strcmp(key, "tmpfs-mode")) {
        char *end;
        unsigned long n = strtoul(val, &end, 8);
        if (!val[0] || *end || n > 0xffffffffUL || val[0] == '-')
            return hk_error_set(err, -EINVAL, "invalid value for %s: %s", key, val);
        json_object_set_new(sub(m, "TmpfsOptions"), "Mode", json_integer((json_int_t)n));
    } else {
        return hk_error_set(err, -EINVAL, "unexpected key '%s' in '%s'", key, field);
    }
    return 0;
}

int mountspec_parse_csv(const char *csv, json_t **ret, struct hk_error *err)
{
    json_t *m = json_pack("{s:s}", "Type", "volume");
    _cleanup_free_ char *copy = xstrdup(csv);
    int r = 0;
    for (char *p = copy, *save = NULL, *t; r == 0 && (t = strtok_r(p, ",", &save)); p = NULL)
        r = csv_field(m, t, err);
    const char *type = json_string_value(json_object_get(m, "Type"));
    static const char *const kinds[][2] = {
        {"VolumeOptions", "volume"}, {"BindOptions", "bind"}, {"TmpfsOptions", "tmpfs"}};
    if (r == 0 && !type[0])
        r = hk_error_set(err, -EINVAL, "type is required");
    else if (r == 0 && !json_string_length(json_object_get(m, "Target")))
        r = hk_error_set(err, -EINVAL, "target is required");
    for (size_t i = 0; r == 0 && i < ELEMENTSOF(kinds); i++)
        if (json_object_get(m, kinds[i][0]) && strcmp(type, kinds[i][1]) != 0)
            r = hk_error_set(err, -EINVAL, "cannot mix '%s-*' options with mount type '%s'",
                             kinds[i][1], type);
    if (r < 0) {
        json_decref(m);
        return r;
    }
    *ret = m;
    return 0;
}

_printf_(4, 5) static int config_error(struct hk_error *err, const char *type, int code,
                                       const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return hk_error_set(err, code, "invalid mount config for type \"%s\": %s", type, msg);
}

static int validate_type(const json_t *m, const char *type, bool must_exist, struct hk_error *err)
{
    const char *src = json_string_value(json_object_get(m, "Source"));
    src = src ? src : "";
    const json_t *bo = json_object_get(m, "BindOptions");
    if (strcmp(type, "bind") == 0) {
        const char *prop = json_string_value(json_object_get(bo, "Propagation"));
        if (!src[0])
            return config_error(err, type, -EINVAL, "field %s must not be empty", "Source");
        if (prop && prop[0] && !in_list(prop, propagations, ELEMENTSOF(propagations)))
            return config_error(err, type, -EINVAL, "invalid propagation mode: %s", prop);
        if (json_object_get(m, "VolumeOptions"))
            return config_error(err, type, -EINVAL, "field %s must not be specified",
                                "VolumeOptions");
        if (src[0] != '/')
            return config_error(err, type, -EINVAL, "invalid mount path: '%s' mount path must "
                                                    "be absolute", src);
        struct stat st;
        if (must_exist && stat(src, &st) < 0)
            return config_error(err, type, -ENOENT, "bind source path does not exist: %s", src);
    } else if (strcmp(type, "volume") == 0) {
        if (bo)
            return config_error(err, type, -EINVAL, "field %s must not be specified",
                                "BindOptions");
        if (!src[0] && json_is_true(json_object_get(m, "ReadOnly")))
            return config_error(err, type, -EINVAL, "%s", "must not set ReadOnly mode when "
                                                          "using anonymous volumes");
    } else if (strcmp(type, "tmpfs") == 0) {
        if (bo)
            return config_error(err, type, -EINVAL, "field %s must not be specified",
                                "BindOptions");
        if (src[0])
            return config_error(err, type, -EINVAL, "field %s must not be specified", "Source");
    } else {
        return config_error(err, type, -EINVAL, "%s", "mount type unknown");
    }
    return 0;
}

int mountspec_validate(const json_t *m, bool must_exist, struct hk_error *err)
{
    const char *type = json_string_value(json_object_get(m, "Type"));
    const char *dst = json_string_value(json_object_get(m, "Target"));
    type = type ? type : "";
    if (!dst || !dst[0])
        return config_error(err, type, -EINVAL, "field %s must not be empty", "Target");
    _cleanup_free_ char *clean = path_clean(dst);
    if (strcmp(clean, "/") == 0)
        return config_error(err, type, -EINVAL, "%s",
                            "invalid specification: destination can't be '/'");
    if (dst[0] != '/')
        return config_error(err, type, -EINVAL, "invalid mount path: '%s' mount path must be "
                                                "absolute", dst);
    int r = validate_type(m, type, must_exist, err);
    if (r < 0)
        return r;
    if (strcmp(clean, "/proc") == 0 || strncmp(clean, "/proc/", 6) == 0)
        return rootfs_check_proc_dest(clean, false, err);
    return 0;
}
