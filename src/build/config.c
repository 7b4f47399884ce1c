/* config.c — see config.h. */
#include "build/config.h"

#include <stdlib.h>
#include <string.h>

#include "engine/options.h"
#include "util/fs.h"

#define PFX(r, in, ctx) hk_error_prefix(err, r, "%s:%d: %s", (ctx)->name, (in)->line, (in)->cmd)
#define CERR(in, ctx, fmt, ...)                                                                    \
    hk_error_set(err, -EINVAL, "%s:%d: %s: " fmt, (ctx)->name, (in)->line, (in)->cmd,             \
                 ##__VA_ARGS__)

static const char *const config_instrs[] = {"CMD",         "ENTRYPOINT", "ENV",     "EXPOSE",
                                            "LABEL",       "ONBUILD",    "STOPSIGNAL", "USER",
                                            "VOLUME",      "WORKDIR",    "HEALTHCHECK", "SHELL",
                                            "MAINTAINER"};

bool df_is_config_instr(const char *cmd)
{
    for (size_t i = 0; i < ELEMENTSOF(config_instrs); i++)
        if (strcmp(config_instrs[i], cmd) == 0)
            return true;
    return false;
}

json_t *df_shell_command(const json_t *config, const char *text)
{
    json_t *shell = json_object_get(config, "Shell");
    json_t *cmd = json_array_size(shell) ? json_deep_copy(shell) : json_pack("[s,s]", "/bin/sh", "-c");
    json_array_append_new(cmd, json_string(text));
    return cmd;
}

static json_t *strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *command(const struct df_instr *in, const json_t *config)
{
    return in->json ? strv_json(in->args, in->n_args) : df_shell_command(config, in->rest);
}

/* Set KEY=value in the Env array, replacing an earlier KEY. */
static void env_set(json_t *config, const char *key, const char *value)
{
    json_t *env = json_object_get(config, "Env");
    if (!json_is_array(env)) {
        env = json_array();
        json_object_set_new(config, "Env", env);
    }
    size_t kl = strlen(key), i;
    json_t *e;
    char *kv = xasprintf("%s=%s", key, value);
    json_array_foreach(env, i, e)
    {
        const char *s = json_string_value(e);
        if (s && strncmp(s, key, kl) == 0 && s[kl] == '=') {
            json_array_set_new(env, i, json_string(kv));
            free(kv);
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
    free(kv);
}

/* Expand one key and value and hand them to fn. */
static int pair(const struct df_instr *in, struct df_config_ctx *ctx, json_t *config,
                const char *k, const char *v,
                void (*fn)(json_t *config, const char *k, const char *v), struct hk_error *err)
{
    _cleanup_free_ char *key = NULL, *val = NULL;
    int r = df_expand(k, ctx->escape, ctx->lookup, ctx->ud, &key, err);
    if (r == 0)
        r = df_expand(v, ctx->escape, ctx->lookup, ctx->ud, &val, err);
    if (r < 0)
        return PFX(r, in, ctx);
    if (!*key)
        return CERR(in, ctx, "names can not be blank");
    fn(config, key, val);
    return 0;
}

/* KEY=VALUE pairs (or the legacy "KEY value with spaces" form) with values expanded. */
static int pairs(const struct df_instr *in, struct df_config_ctx *ctx, json_t *config,
                 void (*fn)(json_t *config, const char *k, const char *v), struct hk_error *err)
{
    char **w = NULL;
    size_t n = 0;
    df_split_raw(in->rest, ctx->escape, &w, &n);
    int r = 0;
    if (n > 0 && !strchr(w[0], '=')) {
        const char *v = in->rest + strlen(w[0]);
        while (*v == ' ' || *v == '\t')
            v++;
        r = pair(in, ctx, config, w[0], v, fn, err);
        n = 0;
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        char *eq = strchr(w[i], '=');
        if (!eq) {
            r = CERR(in, ctx, "'%s': expected KEY=VALUE", w[i]);
            break;
        }
        *eq = 0;
        r = pair(in, ctx, config, w[i], eq + 1, fn, err);
    }
    df_strv_free(w);
    return r;
}

static void label_set(json_t *config, const char *k, const char *v)
{
    json_t *l = json_object_get(config, "Labels");
    if (!json_is_object(l)) {
        l = json_object();
        json_object_set_new(config, "Labels", l);
    }
    json_object_set_new(l, k, json_string(v));
}

static json_t *object_at(json_t *config, const char *key)
{
    json_t *o = json_object_get(config, key);
    if (!json_is_object(o)) {
        o = json_object();
        json_object_set_new(config, key, o);
    }
    return o;
}

static int expose_one(const struct df_instr *in, struct df_config_ctx *ctx, json_t *ports,
                      const char *spec, struct hk_error *err)
{
    const char *slash = strchr(spec, '/');
    const char *proto = slash ? slash + 1 : "tcp";
    if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
        return CERR(in, ctx, "invalid proto: %s", proto);
    char *end;
    unsigned long lo = strtoul(spec, &end, 10), hi = lo;
    if (*end == '-')
        hi = strtoul(end + 1, &end, 10);
    if (end == spec || (*end && *end != '/') || lo == 0 || hi > 65535 || hi < lo || hi - lo > 65535)
        return CERR(in, ctx, "invalid containerPort: %s", spec);
    for (unsigned long p = lo; p <= hi; p++) {
        char key[32];
        snprintf(key, sizeof(key), "%lu/%s", p, proto);
        json_object_set_new(ports, key, json_object());
    }
    return 0;
}

/* The words of in, expanded (JSON form: the array, each expanded). */
static int words(const struct df_instr *in, struct df_config_ctx *ctx, char ***ret, size_t *ret_n,
                 struct hk_error *err)
{
    if (!in->json) {
        int r = df_words(in->rest, ctx->escape, ctx->lookup, ctx->ud, ret, ret_n, err);
        return r < 0 ? PFX(r, in, ctx) : 0;
    }
    char **v = xcalloc(in->n_args + 1, sizeof(char *));
    for (size_t i = 0; i < in->n_args; i++) {
        int r = df_expand(in->args[i], ctx->escape, ctx->lookup, ctx->ud, &v[i], err);
        if (r < 0) {
            df_strv_free(v);
            return PFX(r, in, ctx);
        }
    }
    *ret = v;
    *ret_n = in->n_args;
    return 0;
}

static int one_word(const struct df_instr *in, struct df_config_ctx *ctx, char **ret,
                    struct hk_error *err)
{
    int r = df_expand(in->rest, ctx->escape, ctx->lookup, ctx->ud, ret, err);
    return r < 0 ? PFX(r, in, ctx) : 0;
}

static int workdir(const struct df_instr *in, struct df_config_ctx *ctx, json_t *config,
                   struct hk_error *err)
{
    _cleanup_free_ char *w = NULL;
    int r = one_word(in, ctx, &w, err);
    if (r < 0)
        return r;
    const char *cur = json_string_value(json_object_get(config, "WorkingDir"));
    _cleanup_free_ char *joined =
        w[0] == '/' ? xstrdup(w) : xasprintf("%s/%s", cur && *cur ? cur : "", w);
    /* clean: drop empty and "." parts, resolve ".." */
    char *out = xcalloc(1, strlen(joined) + 2);
    size_t len = 0;
    for (char *save = NULL, *p = strtok_r(joined, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (strcmp(p, ".") == 0)
            continue;
        if (strcmp(p, "..") == 0) {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
            out[len] = 0;
            continue;
        }
        len += (size_t)sprintf(out + len, "/%s", p);
    }
    if (len == 0)
        strcpy(out, "/");
    json_object_set_new(config, "WorkingDir", json_string(out));
    free(out);
    return 0;
}

static int healthcheck(const struct df_instr *in, struct df_config_ctx *ctx, json_t *config,
                       struct hk_error *err)
{
    if (strcasecmp(in->rest, "NONE") == 0) {
        if (in->n_flags)
            return CERR(in, ctx, "options are not allowed with NONE");
        json_object_set_new(config, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
        return 0;
    }
    if (strncasecmp(in->rest, "CMD", 3) != 0 || (in->rest[3] && in->rest[3] != ' ' && in->rest[3] != '\t'))
        return CERR(in, ctx, "expected NONE or CMD, got '%s'", in->rest);
    struct df_instr sub = {.line = in->line, .cmd = "CMD", .rest = in->rest + 3};
    while (*sub.rest == ' ' || *sub.rest == '\t')
        sub.rest++;
    if (!*sub.rest)
        return CERR(in, ctx, "missing command after HEALTHCHECK CMD");
    json_t *test;
    json_t *j = sub.rest[0] == '[' ? json_loads(sub.rest, 0, NULL) : NULL;
    if (json_is_array(j)) {
        test = json_pack("[s]", "CMD");
        json_array_extend(test, j);
    } else {
        test = json_pack("[s,s]", "CMD-SHELL", sub.rest);
    }
    json_decref(j);
    json_t *hc = json_pack("{s:o}", "Test", test);
    static const char *const durs[][2] = {{"interval", "Interval"},
                                          {"timeout", "Timeout"},
                                          {"start-period", "StartPeriod"},
                                          {"start-interval", "StartInterval"}};
    for (size_t i = 0; i < ELEMENTSOF(durs); i++) {
        const char *v = df_flag(in, durs[i][0], NULL);
        int64_t ns;
        if (!v)
            continue;
        if (!opt_parse_duration(v, &ns) || ns < 0) {
            json_decref(hc);
            return CERR(in, ctx, "--%s: '%s' is not a duration", durs[i][0], v);
        }
        json_object_set_new(hc, durs[i][1], json_integer(ns));
    }
    const char *retries = df_flag(in, "retries", NULL);
    if (retries) {
        char *end;
        long n = strtol(retries, &end, 10);
        if (*end || end == retries || n < 0) {
            json_decref(hc);
            return CERR(in, ctx, "--retries: '%s' is not a number", retries);
        }
        json_object_set_new(hc, "Retries", json_integer(n));
    }
    json_object_set_new(config, "Healthcheck", hc);
    return 0;
}

static int set_word(const struct df_instr *in, struct df_config_ctx *ctx, json_t *config,
                    const char *key, struct hk_error *err)
{
    _cleanup_free_ char *w = NULL;
    int r = one_word(in, ctx, &w, err);
    if (r == 0)
        json_object_set_new(config, key, json_string(w));
    return r;
}

static int set_words(const struct df_instr *in, struct df_config_ctx *ctx, json_t *config,
                     bool expose, struct hk_error *err)
{
    char **v = NULL;
    size_t n = 0;
    int r = words(in, ctx, &v, &n, err);
    json_t *o = r < 0 ? NULL : object_at(config, expose ? "ExposedPorts" : "Volumes");
    for (size_t i = 0; i < n && r == 0; i++) {
        if (expose)
            r = expose_one(in, ctx, o, v[i], err);
        else if (!*v[i])
            r = CERR(in, ctx, "VOLUME specified can not be an empty string");
        else
            json_object_set_new(o, v[i], json_object());
    }
    df_strv_free(v);
    return r;
}

int df_apply_config(const struct df_instr *in, json_t *config, struct df_config_ctx *ctx,
                    struct hk_error *err)
{
    const char *c = in->cmd;
    if (strcmp(c, "CMD") == 0) {
        json_object_set_new(config, "Cmd", command(in, config));
        ctx->cmd_set = true;
    } else if (strcmp(c, "ENTRYPOINT") == 0) {
        json_object_set_new(config, "Entrypoint", command(in, config));
        if (!ctx->cmd_set)
            json_object_set_new(config, "Cmd", json_null());
    } else if (strcmp(c, "ENV") == 0) {
        return pairs(in, ctx, config, env_set, err);
    } else if (strcmp(c, "LABEL") == 0) {
        return pairs(in, ctx, config, label_set, err);
    } else if (strcmp(c, "EXPOSE") == 0 || strcmp(c, "VOLUME") == 0) {
        return set_words(in, ctx, config, c[0] == 'E', err);
    } else if (strcmp(c, "USER") == 0 || strcmp(c, "STOPSIGNAL") == 0) {
        return set_word(in, ctx, config, c[0] == 'U' ? "User" : "StopSignal", err);
    } else if (strcmp(c, "WORKDIR") == 0) {
        return workdir(in, ctx, config, err);
    } else if (strcmp(c, "ONBUILD") == 0) {
        json_t *ob = json_object_get(config, "OnBuild");
        if (!json_is_array(ob)) {
            ob = json_array();
            json_object_set_new(config, "OnBuild", ob);
        }
        json_array_append_new(ob, json_string(in->rest));
    } else if (strcmp(c, "HEALTHCHECK") == 0) {
        return healthcheck(in, ctx, config, err);
    } else if (strcmp(c, "SHELL") == 0) {
        json_object_set_new(config, "Shell", strv_json(in->args, in->n_args));
    } else if (strcmp(c, "MAINTAINER") == 0) {
        free(ctx->author);
        ctx->author = xstrdup(in->rest);
    } else {
        return CERR(in, ctx, "not a config instruction");
    }
    return 0;
}

static const char *env_lookup(const char *name, void *ud)
{
    json_t *env = json_object_get(ud, "Env");
    size_t n = strlen(name), i;
    json_t *e;
    const char *found = NULL;
    json_array_foreach(env, i, e)
    {
        const char *s = json_string_value(e);
        if (s && strncmp(s, name, n) == 0 && s[n] == '=')
            found = s + n + 1;
    }
    return found;
}

int df_apply_change(const char *change, json_t *config, struct hk_error *err)
{
    static const char *const allowed[] = {"CMD",     "ENTRYPOINT", "ENV",  "EXPOSE",
                                          "LABEL",   "ONBUILD",    "STOPSIGNAL", "USER",
                                          "VOLUME",  "WORKDIR"};
    struct df_instr in = {0};
    int r = df_parse_line(change, '\\', "--change", 1, &in, err);
    if (r < 0)
        return r;
    bool ok = false;
    for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
        ok |= strcmp(allowed[i], in.cmd) == 0;
    struct df_config_ctx ctx = {.escape = '\\', .lookup = env_lookup, .ud = config,
                                .name = "--change", .cmd_set = true};
    if (!ok)
        r = hk_error_set(err, -EINVAL, "%s is not a valid change command", in.cmd);
    else
        r = df_apply_config(&in, config, &ctx, err);
    free(ctx.author);
    df_instr_clear(&in);
    return r;
}
