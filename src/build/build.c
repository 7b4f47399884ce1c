/* build.c — the build executor; see build.h. Reading order: build_image → plan (stages and the
 * ones the target needs) → run_stage → one step (from_step, config_step, run_step, copy_step),
 * each through cached() and commit_step(). */
#include "build/build.h"

#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/config.h"
#include "build/copy.h"
#include "build/dockerfile.h"
#include "build/ignore.h"
#include "build/stage.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/user.h"
#include "image/commit.h"
#include "image/manifest.h"
#include "image/pull.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/path.h"

struct stage {
    char *name;         /* AS name, or NULL */
    size_t from, end;   /* instruction indices [from, end) */
    bool needed;
    char id[DIGEST_STR_SIZE];
};

#define CACHE_COMMENT "hako build cache "

struct bstate {
    const struct build_request *q;
    const struct engine *e;
    struct store *s;
    struct dockerfile d;
    struct stage *stages;
    size_t n_stages;
    json_t *meta_args; /* ARGs before the first FROM */
    /* the current stage */
    char id[DIGEST_STR_SIZE]; /* its image so far */
    struct image *img;
    json_t *config; /* the whole image config */
    json_t *args;   /* ARGs declared in the stage, with values */
    struct df_config_ctx ctx;
    size_t step, n_steps;
    char created[32];
    struct hk_error *err;
    struct ignore ignore; /* the context's .dockerignore */
    struct image **cache_from; /* --cache-from images */
    size_t n_cache_from;
};

#define LINE_ERR(b, in, r, ...)                                                                    \
    hk_error_prefix((b)->err, r, "%s:%d: %s", (b)->q->dockerfile_name, (in)->line, (in)->cmd)

static const char *var_lookup(const char *name, void *ud)
{
    struct bstate *b = ud;
    json_t *env = json_object_get(json_object_get(b->config, "config"), "Env");
    size_t n = strlen(name), i;
    json_t *e;
    json_array_foreach(env, i, e)
    {
        const char *s = json_string_value(e);
        if (s && strncmp(s, name, n) == 0 && s[n] == '=')
            return s + n + 1;
    }
    return json_string_value(json_object_get(b->args, name));
}

static const char *meta_lookup(const char *name, void *ud)
{
    return json_string_value(json_object_get(((struct bstate *)ud)->meta_args, name));
}

static void say(struct bstate *b, const char *fmt, ...) _printf_(2, 3);
static void say(struct bstate *b, const char *fmt, ...)
{
    if (!b->q->out)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(b->q->out, fmt, ap);
    va_end(ap);
    fflush(b->q->out);
}

static int load_image(struct bstate *b, const char *id)
{
    /* looked up first: a cache entry whose image was removed must leave the current image
     * (and config) as they were, for the step to run */
    struct image *img = NULL;
    int r = image_lookup(b->s, id, &img, b->err);
    if (r < 0)
        return r;
    image_free(b->img);
    b->img = img;
    json_decref(b->config);
    snprintf(b->id, sizeof(b->id), "%s", b->img->id);
    b->config = image_config_from(b->img);
    return 0;
}

/* The image name refers to, in ret: the store's, or pulled when the store has none or when
 * --pull asks for a fresh copy (an image ID is never pulled). */
static int resolve_image(struct bstate *b, const char *name, char ret[DIGEST_STR_SIZE])
{
    struct image *img = NULL;
    struct hk_error e2 = {0};
    bool is_id = strncmp(name, "sha256:", 7) == 0;
    if (!b->q->pull || is_id) {
        if (image_lookup(b->s, name, &img, is_id ? b->err : &e2) == 0) {
            snprintf(ret, DIGEST_STR_SIZE, "%s", img->id);
            image_free(img);
            return 0;
        }
        if (is_id)
            return -ENOENT;
    }
    say(b, "Pulling %s\n", name);
    struct pull_opts o = {.name = name, .tls_verify = true};
    struct pull_result res = {0};
    int r = image_pull(b->s, &o, &res, b->err);
    if (r == 0) {
        snprintf(ret, DIGEST_STR_SIZE, "%s", res.id);
        say(b, "Digest: %s\n", res.digest);
    }
    pull_result_clear(&res);
    return r < 0 ? hk_error_prefix(b->err, r, "pull %s", name) : 0;
}

/* --- the cache ---------------------------------------------------------------------------- */

static int cache_key(struct bstate *b, const struct df_instr *in, const char *content,
                     char ret[DIGEST_STR_SIZE])
{
    char *args = json_dumps(b->args, JSON_COMPACT | JSON_SORT_KEYS);
    char *s = xasprintf("%s\n%s\n%s\n%s\n%s", b->id, in->original, args, content ? content : "",
                        b->created);
    int r = digest_buffer(s, strlen(s), ret, b->err);
    free(s);
    free(args);
    return r;
}

static char *cache_path(struct bstate *b, const char *key)
{
    return xasprintf("%s/build-cache/%s", b->s->root, digest_hex(key));
}

static int commit_step(struct bstate *b, const char *created_by, const struct layer_created *l,
                       const char *key);

/* Whether image img's layers start with the current image's, all n of them. */
static bool layers_extend(const struct image *img, const struct image *cur, size_t n)
{
    json_t *mine = json_object_get(cur ? cur->record : NULL, "layers");
    json_t *theirs = json_object_get(img->record, "layers");
    if (json_array_size(mine) != n || json_array_size(theirs) <= n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!json_equal(json_object_get(json_array_get(mine, i), "diff_id"),
                        json_object_get(json_array_get(theirs, i), "diff_id")))
            return false;
    return true;
}

/* --cache-from: a step of one of those images whose history records key (the same parent
 * image, instruction, arguments and content) on top of the same layers: its layer becomes
 * this step's, committed as the step's image. 1 when found, 0 when not, < 0 on error. */
static int cache_from_hit(struct bstate *b, const char *key)
{
    _cleanup_free_ char *want = xasprintf(CACHE_COMMENT "%s", key);
    size_t have = b->img ? b->img->n_layers : 0;
    for (size_t k = 0; k < b->n_cache_from; k++) {
        const struct image *c = b->cache_from[k];
        json_t *hist = json_object_get(c->config, "history"), *h;
        size_t i, layer = 0;
        json_array_foreach(hist, i, h)
        {
            bool empty = json_is_true(json_object_get(h, "empty_layer"));
            const char *comment = json_string_value(json_object_get(h, "comment"));
            if (!empty && comment && strcmp(comment, want) == 0 && layer == have &&
                layers_extend(c, b->img, have)) {
                json_t *l = json_array_get(json_object_get(c->record, "layers"), layer);
                struct layer_created lc = {0};
                snprintf(lc.digest, sizeof(lc.digest), "%s",
                         json_string_value(json_object_get(l, "digest")));
                snprintf(lc.diff_id, sizeof(lc.diff_id), "%s",
                         json_string_value(json_object_get(l, "diff_id")));
                lc.size = (uint64_t)json_integer_value(json_object_get(l, "size"));
                lc.media_type = json_string_value(json_object_get(l, "media_type"));
                _cleanup_free_ char *by =
                    xstrdup(json_string_value(json_object_get(h, "created_by")) ?: "");
                int r = commit_step(b, by, &lc, key);
                if (r == 0)
                    say(b, " ---> Using cache\n");
                return r < 0 ? r : 1;
            }
            layer += !empty;
        }
    }
    return 0;
}

/* The cached result of key, loaded as the current image: 1, else 0 (< 0 on an error). */
static int cached(struct bstate *b, const char *key)
{
    if (b->q->no_cache)
        return 0;
    _cleanup_free_ char *p = cache_path(b, key);
    _cleanup_free_ char *id = NULL;
    size_t len;
    if (read_file(p, 128, &id, &len, NULL) < 0 || !digest_is_valid(id))
        return cache_from_hit(b, key);
    struct hk_error e2 = {0};
    struct hk_error *saved = b->err;
    b->err = &e2;
    int r = load_image(b, id);
    b->err = saved;
    if (r < 0)
        return cache_from_hit(b, key);
    say(b, " ---> Using cache\n");
    return 1;
}

static void cache_put(struct bstate *b, const char *key)
{
    _cleanup_free_ char *dir = xasprintf("%s/build-cache", b->s->root);
    mkdir(dir, 0700);
    _cleanup_free_ char *p = cache_path(b, key);
    write_file_atomic(p, b->id, strlen(b->id), 0600, NULL);
}

/* Record the current config (plus layer) as the step's image and make it current. */
static int commit_step(struct bstate *b, const char *created_by, const struct layer_created *l,
                       const char *key)
{
    json_t *config = json_deep_copy(b->config);
    /* a layer's step records its cache key: what --cache-from matches on another machine */
    _cleanup_free_ char *comment = l && key ? xasprintf(CACHE_COMMENT "%s", key) : NULL;
    image_config_history(config, b->created, created_by, b->ctx.author, comment, l == NULL);
    char id[DIGEST_STR_SIZE];
    int r = image_commit(b->s, b->img, config, l, NULL, id, b->err);
    json_decref(config);
    if (r == 0)
        r = image_mark_intermediate(b->s, id, true, b->err);
    if (r == 0)
        r = load_image(b, id);
    if (r == 0 && key)
        cache_put(b, key);
    return r;
}

/* --- steps -------------------------------------------------------------------------------- */

static int dispatch(struct bstate *b, const struct df_instr *in);

/* The base image's ONBUILD triggers run right after FROM, as docker runs them; the new image
 * does not inherit them. A trigger's errors name the FROM line. */
static int onbuild_triggers(struct bstate *b, const struct df_instr *from)
{
    json_t *cfg = json_object_get(b->config, "config");
    json_t *triggers = json_incref(json_object_get(cfg, "OnBuild"));
    size_t n = json_array_size(triggers), i;
    if (n)
        say(b, "# Executing %zu build trigger%s\n", n, n == 1 ? "" : "s");
    json_object_del(cfg, "OnBuild");
    char base[DIGEST_STR_SIZE];
    snprintf(base, sizeof(base), "%s", b->id);
    int r = 0;
    json_t *t;
    json_array_foreach(triggers, i, t)
    {
        struct df_instr in = {0};
        const char *text = json_string_value(t) ? json_string_value(t) : "";
        r = df_parse_line(text, b->d.escape, b->q->dockerfile_name, from->line, &in, b->err);
        if (r == 0 && (strcmp(in.cmd, "FROM") == 0 || strcmp(in.cmd, "ONBUILD") == 0 ||
                       strcmp(in.cmd, "MAINTAINER") == 0))
            r = LINE_ERR(b, &in, hk_error_set(b->err, -EINVAL, "isn't allowed as an ONBUILD "
                                              "trigger"));
        if (r == 0)
            r = dispatch(b, &in);
        df_instr_clear(&in);
        if (r < 0)
            break;
    }
    json_decref(triggers);
    if (r == 0 && n && strcmp(b->id, base) == 0) /* only ARG triggers: still drop them */
        r = commit_step(b, NULL, NULL, NULL);
    return r;
}

static int from_step(struct bstate *b, const struct df_instr *in)
{
    const char *platform = df_flag(in, "platform", NULL);
    if (platform) {
        struct platform want, host;
        platform_host(&host);
        int r = platform_parse(platform, &want, b->err);
        if (r < 0 || !platform_match(&want, &host))
            return LINE_ERR(b, in, r < 0 ? r : hk_error_set(b->err, -EINVAL,
                            "platform '%s' cannot be built on this host (linux/%s)", platform,
                            host.arch));
    }
    char **w = NULL;
    size_t n = 0;
    int r = df_words(in->rest, b->d.escape, meta_lookup, b, &w, &n, b->err);
    if (r < 0)
        return LINE_ERR(b, in, r);
    _cleanup_free_ char *name = xstrdup(n ? w[0] : "");
    df_strv_free(w);
    b->img = image_free(b->img);
    json_decref(b->config);
    b->config = NULL;
    b->id[0] = 0;
    if (strcmp(name, "scratch") == 0) {
        b->config = image_config_from(NULL);
        return commit_step(b, NULL, NULL, NULL) < 0 ? LINE_ERR(b, in, b->err->code) : 0;
    }
    char id[DIGEST_STR_SIZE] = "";
    for (size_t i = 0; i < b->n_stages && !id[0]; i++)
        if (b->stages[i].name && strcasecmp(b->stages[i].name, name) == 0 && b->stages[i].id[0])
            snprintf(id, sizeof(id), "%s", b->stages[i].id);
    r = id[0] ? 0 : resolve_image(b, name, id);
    if (r == 0)
        r = load_image(b, id);
    if (r < 0)
        return LINE_ERR(b, in, r);
    return onbuild_triggers(b, in);
}

static int arg_step(struct bstate *b, const struct df_instr *in, json_t *scope, bool meta)
{
    char **w = NULL;
    size_t n = 0;
    df_split_raw(in->rest, b->d.escape, &w, &n);
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        char *eq = strchr(w[i], '=');
        if (eq)
            *eq = 0;
        json_t *given = json_object_get(b->q->build_args, w[i]);
        _cleanup_free_ char *def = NULL;
        if (eq && !given)
            r = df_expand(eq + 1, b->d.escape, meta ? meta_lookup : var_lookup, b, &def, b->err);
        if (r < 0)
            r = LINE_ERR(b, in, r);
        else if (given)
            json_object_set(scope, w[i], given);
        else if (def)
            json_object_set_new(scope, w[i], json_string(def));
        else if (!meta && json_object_get(b->meta_args, w[i]))
            json_object_set(scope, w[i], json_object_get(b->meta_args, w[i]));
    }
    df_strv_free(w);
    return r;
}

static int config_step(struct bstate *b, const struct df_instr *in)
{
    char key[DIGEST_STR_SIZE];
    int r = cache_key(b, in, NULL, key);
    if (r < 0 || (r = cached(b, key)) != 0)
        return r < 0 ? LINE_ERR(b, in, r) : 0;
    r = df_apply_config(in, json_object_get(b->config, "config"), &b->ctx, b->err);
    if (r < 0)
        return r;
    if (b->ctx.author)
        json_object_set_new(b->config, "author", json_string(b->ctx.author));
    _cleanup_free_ char *by = xasprintf("/bin/sh -c #(nop)  %s", in->original);
    return commit_step(b, by, NULL, key);
}

/* Publish dir (a finished layer tree) as the layer of l on top of the current image. */
static int publish_dir(struct bstate *b, const char *dir, const struct layer_created *l)
{
    json_t *layers = json_object_get(b->img ? b->img->record : NULL, "layers");
    const char *parent =
        json_string_value(json_object_get(json_array_get(layers, json_array_size(layers) - 1),
                                          "chain_id"));
    char chain[DIGEST_STR_SIZE];
    int r = digest_chain_id(parent, l->diff_id, chain, b->err);
    if (r < 0 || store_layer_complete(b->s, chain))
        return r;
    _cleanup_free_ char *tmp = NULL;
    r = store_tmpdir(b->s, "build", &tmp, b->err);
    if (r < 0)
        return r;
    _cleanup_free_ char *diff = xasprintf("%s/diff", tmp);
    if (rmdir(diff) < 0 || rename(dir, diff) < 0) {
        r = hk_error_errno(b->err, -errno, "move the layer into the store");
        rm_rf(tmp);
        return r;
    }
    syncfs(b->s->root_fd);
    json_t *meta = json_pack("{s:s, s:s, s:s, s:I, s:I}", "chain_id", chain, "diff_id",
                             l->diff_id, "digest", l->digest, "size", (json_int_t)l->content_size,
                             "entries", (json_int_t)l->entries);
    r = store_layer_commit(b->s, tmp, chain, meta, b->err);
    json_decref(meta);
    if (r < 0)
        rm_rf(tmp);
    return r;
}

/* A finished tree as the step's layer: archive it, move it into the store, commit. */
static int layer_step(struct bstate *b, const char *dir, bool container, const char *by,
                      const char *key)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(b->err, -errno, "open '%s'", dir);
    struct layer_create_opts o = {.compression = b->q->compression, .mtime = layer_epoch(),
                                  .skip_etc_mounts = container};
    struct layer_created l = {0};
    int r = layer_create(b->s, fd, &o, &l, b->err);
    if (r == 0 && container) { /* the mount points docker keeps in its init layer */
        static const char *const etc[] = {"etc/hosts", "etc/hostname", "etc/resolv.conf"};
        for (size_t i = 0; i < ELEMENTSOF(etc); i++)
            unlinkat(fd, etc[i], 0);
    }
    if (r == 0)
        r = publish_dir(b, dir, &l);
    return r < 0 ? r : commit_step(b, by, &l, key);
}

static json_t *run_command(struct bstate *b, const struct df_instr *in)
{
    json_t *cfg = json_object_get(b->config, "config");
    if (in->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < in->n_args; i++)
            json_array_append_new(a, json_string(in->args[i]));
        return a;
    }
    if (in->n_heredocs > 0 && strncmp(in->rest, "<<", 2) == 0 && !strchr(in->rest, ' '))
        return df_shell_command(cfg, in->heredocs[0].content);
    if (in->n_heredocs > 0) { /* "RUN cat <<EOF": the shell reads the heredoc itself */
        char *script = xasprintf("%s\n", in->rest);
        for (size_t i = 0; i < in->n_heredocs; i++) {
            char *n = xasprintf("%s%s%s\n", script, in->heredocs[i].content, in->heredocs[i].name);
            free(script);
            script = n;
        }
        json_t *c = df_shell_command(cfg, script);
        free(script);
        return c;
    }
    return df_shell_command(cfg, in->rest);
}

static char *join_words(json_t *a)
{
    char *s = xstrdup("");
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        char *n = xasprintf("%s%s%s", s, i ? " " : "", json_string_value(v));
        free(s);
        s = n;
    }
    return s;
}

/* RUN --mount=type=bind|cache|tmpfs|secret,... as the container's Binds and Tmpfs; each
 * target is added to targets (to take the mount points out of the layer afterwards). */
static int add_mount(struct bstate *b, const struct df_instr *in, const char *spec, json_t *hc,
                     json_t *targets)
{
    _cleanup_free_ char *copy = xstrdup(spec);
    const char *type = "bind", *target = NULL, *source = NULL, *id = NULL;
    bool rw = false;
    for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        const char *v = eq ? eq + 1 : "";
        if (eq)
            *eq = 0;
        if (strcmp(kv, "type") == 0)
            type = v;
        else if (strcmp(kv, "target") == 0 || strcmp(kv, "dst") == 0 || strcmp(kv, "destination") == 0)
            target = v;
        else if (strcmp(kv, "source") == 0 || strcmp(kv, "src") == 0)
            source = v;
        else if (strcmp(kv, "id") == 0)
            id = v;
        else if (strcmp(kv, "rw") == 0 || strcmp(kv, "readwrite") == 0)
            rw = !eq || strcmp(v, "true") == 0;
        else if (strcmp(kv, "ro") == 0 || strcmp(kv, "readonly") == 0)
            rw = eq && strcmp(v, "false") == 0;
        else if (strcmp(kv, "required") && strcmp(kv, "sharing") && strcmp(kv, "mode") &&
                 strcmp(kv, "uid") && strcmp(kv, "gid") && strcmp(kv, "size"))
            return LINE_ERR(b, in, hk_error_set(b->err, -EINVAL, "--mount: unknown option "
                                                "'%s'", kv));
    }
    bool secret = strcmp(type, "secret") == 0;
    _cleanup_free_ char *def = secret && id ? xasprintf("/run/secrets/%s", id) : NULL;
    if (!target)
        target = def;
    if (!target || target[0] != '/')
        return LINE_ERR(b, in, hk_error_set(b->err, -EINVAL, "--mount: an absolute target "
                                            "is required"));
    json_array_append_new(targets, json_string(target));
    if (strcmp(type, "tmpfs") == 0) {
        json_object_set_new(json_object_get(hc, "Tmpfs"), target, json_string(""));
        return 0;
    }
    _cleanup_free_ char *host = NULL;
    if (secret) {
        const char *path = json_string_value(json_object_get(b->q->secrets, id ? id : ""));
        if (!path)
            return LINE_ERR(b, in, hk_error_set(b->err, -ENOENT, "secret %s: not provided "
                                                "(--secret id=%s,src=FILE)", id, id));
        host = xstrdup(path);
        rw = false;
    } else if (strcmp(type, "cache") == 0) {
        char key[DIGEST_STR_SIZE];
        _cleanup_free_ char *name = xasprintf("%s", id ? id : target);
        int r = digest_buffer(name, strlen(name), key, b->err);
        if (r < 0)
            return r;
        host = xasprintf("%s/build-cache/mounts/%.32s", b->s->root, digest_hex(key));
        mkdir_p(host, 0755);
        rw = true;
    } else if (strcmp(type, "bind") == 0) {
        int root = open(b->q->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fd = root < 0 ? -errno : open_in_root(root, source ? source : "/", O_PATH | O_CLOEXEC, 0, 0);
        if (root >= 0)
            close(root);
        if (fd < 0)
            return LINE_ERR(b, in, hk_error_errno(b->err, fd, "--mount source '%s'",
                                                  source ? source : "."));
        char p[64], real[4096];
        ssize_t n = readlink(fd_path(fd, p, sizeof(p)), real, sizeof(real) - 1);
        close(fd);
        if (n < 0)
            return hk_error_errno(b->err, -errno, "--mount source");
        real[n] = 0;
        host = xstrdup(real);
    } else {
        return LINE_ERR(b, in, hk_error_set(b->err, -EINVAL, "--mount: unknown type '%s'",
                                            type));
    }
    json_array_append_new(json_object_get(hc, "Binds"),
                          json_sprintf("%s:%s%s", host, target, rw ? "" : ":ro"));
    return 0;
}

/* Take the mount points RUN --mount made out of the upper directory: an empty file or
 * directory at each target, and then its parents while they are empty. */
static void drop_mount_points(const char *upper, json_t *targets)
{
    size_t i;
    json_t *t;
    json_array_foreach(targets, i, t)
    {
        _cleanup_free_ char *p = xasprintf("%s%s", upper, json_string_value(t));
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
            unlink(p);
        while (strlen(p) > strlen(upper) && rmdir(p) == 0)
            *strrchr(p, '/') = 0;
    }
}

static int run_container(struct bstate *b, const struct df_instr *in, json_t *cmd,
                         const char *key, const char *by)
{
    json_t *cfg = json_object_get(b->config, "config");
    json_t *env = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(b->args, k, v) if (!var_lookup(k, b) || json_object_get(b->args, k))
        json_array_append_new(env, json_sprintf("%s=%s", k, json_string_value(v)));
    json_t *flags = json_pack("{s:O, s:[], s:o}", "Cmd", cmd, "Entrypoint", "Env", env);
    json_t *user = json_object_get(cfg, "User"), *wd = json_object_get(cfg, "WorkingDir");
    if (json_string_length(user))
        json_object_set(flags, "User", user);
    if (json_string_length(wd))
        json_object_set(flags, "WorkingDir", wd);
    const char *net = df_flag(in, "network", NULL);
    json_t *hc = json_pack("{s:s, s:[], s:{}}", "NetworkMode", net ? net : "default", "Binds",
                           "Tmpfs");
    json_t *targets = json_array();
    for (size_t i = 0; i < in->n_flags; i++)
        if (strcmp(in->flags[i].name, "mount") == 0) {
            int r = add_mount(b, in, in->flags[i].value ? in->flags[i].value : "", hc, targets);
            if (r < 0) {
                json_decref(hc);
                json_decref(flags);
                json_decref(targets);
                return r;
            }
        }
    struct create_request req = {.image = b->id, .img = b->img, .config = flags,
                                 .host_config = hc};
    _cleanup_free_ char *cid = NULL;
    json_t *warnings = json_array();
    int code = 0;
    int r = engine_create(b->e, b->s, &req, &cid, warnings, b->err);
    json_decref(warnings);
    json_decref(flags);
    json_decref(hc);
    if (r < 0) {
        json_decref(targets);
        return LINE_ERR(b, in, r);
    }
    say(b, " ---> Running in %.12s\n", cid);
    r = b->q->run(b->q->run_ud, cid, &code, b->err);
    if (r == 0 && code != 0)
        r = hk_error_set(b->err, -ECHILD, "The command '%s' returned a non-zero code: %d", by,
                         code);
    _cleanup_free_ char *dir = engine_dir(b->e, cid);
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
    _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
    if (r == 0 && umount2(rootfs, MNT_DETACH) < 0 && errno != EINVAL)
        r = hk_error_errno(b->err, -errno, "unmount '%s'", rootfs);
    if (r == 0)
        drop_mount_points(upper, targets);
    json_decref(targets);
    if (r == 0)
        r = layer_step(b, upper, true, by, key);
    engine_remove(b->e, cid, true, NULL);
    return r;
}

static int run_step(struct bstate *b, const struct df_instr *in)
{
    const char *net = df_flag(in, "network", NULL);
    if (net && strcmp(net, "none") != 0 && strcmp(net, "host") != 0 && strcmp(net, "default"))
        return LINE_ERR(b, in, hk_error_set(b->err, -EINVAL, "--network=%s: expected none, "
                                            "host or default", net));
    json_t *cmd = run_command(b, in);
    _cleanup_free_ char *joined = join_words(cmd);
    char key[DIGEST_STR_SIZE];
    int r = cache_key(b, in, NULL, key);
    if (r < 0 || (r = cached(b, key)) != 0) {
        json_decref(cmd);
        return r < 0 ? LINE_ERR(b, in, r) : 0;
    }
    return run_container(b, in, cmd, key, joined);
}

static bool skip_ignored(const char *relpath, bool dir, void *ud)
{
    const struct ignore *ig = ud;
    if (!ignore_match(ig, relpath))
        return false;
    return !(dir && ignore_may_include_under(ig, relpath));
}

/* --chown=USER[:GROUP] by name: through the current image's /etc/passwd and /etc/group,
 * read inside its root filesystem (mounted under tmp/) with RESOLVE_IN_ROOT, so a symlinked
 * /etc/passwd cannot point out of it. A user without a group also gives the group ID (docker). */
static int chown_by_name(struct bstate *b, const char *spec, struct build_copy *c)
{
    _cleanup_free_ char *dir = NULL, *rootfs = NULL;
    int r = store_tmpdir(b->s, "chown", &dir, b->err);
    bool mounted = false;
    if (r == 0)
        r = image_rootfs_mount(b->s, b->img, dir, ROOTFS_AUTO, true, &rootfs, b->err);
    mounted = r == 0;
    _cleanup_close_ int root = r < 0 ? -1 : open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r == 0 && root < 0)
        r = hk_error_errno(b->err, -errno, "open '%s'", rootfs);
    struct user_ids ids = {0};
    if (r == 0)
        r = user_resolve(root, spec, &ids, b->err);
    if (r == 0) {
        c->uid = ids.uid;
        c->gid = strchr(spec, ':') ? ids.gid : (gid_t)ids.uid;
    }
    user_ids_clear(&ids);
    if (mounted)
        image_rootfs_unmount(dir, NULL);
    if (dir)
        rm_rf(dir);
    return r;
}

static int parse_chown(struct bstate *b, const struct df_instr *in, struct build_copy *c)
{
    const char *flag = df_flag(in, "chown", NULL);
    if (!flag)
        return 0;
    _cleanup_free_ char *v = NULL;
    int r = df_expand(flag, b->d.escape, var_lookup, b, &v, b->err);
    if (r < 0)
        return LINE_ERR(b, in, r);
    unsigned long u, g;
    char tail;
    int n = sscanf(v, "%lu:%lu%c", &u, &g, &tail);
    size_t len = strlen(v);
    bool numeric = v[strspn(v, "0123456789:")] == 0;
    if (numeric && n == 1 && !strchr(v, ':'))
        g = u;
    else if (len == 0 || v[0] == ':' || v[len - 1] == ':' || (numeric && n != 2))
        return LINE_ERR(b, in, hk_error_set(b->err, -EINVAL, "--chown=%s: expected "
                                            "USER[:GROUP]", v));
    else if (!numeric)
        return (r = chown_by_name(b, v, c)) < 0
                   ? LINE_ERR(b, in, hk_error_prefix(b->err, r, "--chown=%s", v))
                   : 0;
    c->uid = (uid_t)u;
    c->gid = (gid_t)g;
    return 0;
}

/* The root COPY reads from: the context (with .dockerignore), or for --from=STAGE that
 * stage's image mounted under tmp/ (*ret_mount: the directory to unmount and remove). */
static int open_source_root(struct bstate *b, const struct df_instr *in, struct build_copy *c,
                            int *ret_root, char **ret_mount)
{
    int r = 0;
    const char *from = df_flag(in, "from", NULL);
    const char *root = b->q->context;
    _cleanup_free_ char *stage_root = NULL;
    if (from) {
        for (size_t i = 0; i < b->n_stages && !stage_root; i++) {
            char idx[24];
            snprintf(idx, sizeof(idx), "%zu", i);
            if ((b->stages[i].name && strcasecmp(b->stages[i].name, from) == 0) ||
                strcmp(idx, from) == 0)
                stage_root = xstrdup(b->stages[i].id);
        }
        if (!stage_root) { /* not a stage: an image, pulled when the store has none */
            char id[DIGEST_STR_SIZE];
            if ((r = resolve_image(b, from, id)) < 0)
                return LINE_ERR(b, in, hk_error_prefix(b->err, r, "--from=%s", from));
            stage_root = xstrdup(id);
        }
        root = NULL;
    }
    if (root && b->ignore.n) {
        c->skip = skip_ignored;
        c->skip_ud = &b->ignore;
    }
    *ret_root = root ? open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (root && *ret_root < 0)
        return hk_error_errno(b->err, -errno, "open the context '%s'", root);
    if (!root) { /* the stage's image, mounted read-only-ish under tmp/ */
        struct image *img = NULL;
        char *dir = NULL;
        _cleanup_free_ char *rootfs = NULL;
        r = image_lookup(b->s, stage_root, &img, b->err);
        if (r == 0)
            r = store_tmpdir(b->s, "from", &dir, b->err);
        if (r == 0)
            r = image_rootfs_mount(b->s, img, dir, ROOTFS_AUTO, true, &rootfs, b->err);
        image_free(img);
        if (dir)
            *ret_mount = dir; /* the caller unmounts and removes it */
        if (r == 0)
            *ret_root = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r < 0 || *ret_root < 0)
            return r < 0 ? r : hk_error_errno(b->err, -errno, "open stage root");
    }
    return 0;
}

/* What one COPY or ADD reads: its words, the source root (the context or a stage or image
 * root mounted at mount), and its staged URL downloads and heredocs. */
struct copy_job {
    struct build_copy c;
    char **words;
    int root;
    char *mount;
    struct build_stage stage;
    struct expand_limit limit;
};

static int copy_words(struct bstate *b, const struct df_instr *in, char ***ret, size_t *ret_n)
{
    char **w = NULL;
    size_t n = 0;
    int r = 0;
    if (in->json) {
        w = xcalloc(in->n_args + 1, sizeof(char *));
        for (size_t i = 0; i < in->n_args && r == 0; i++)
            r = df_expand(in->args[i], b->d.escape, var_lookup, b, &w[i], b->err);
        n = in->n_args;
    } else {
        r = df_words(in->rest, b->d.escape, var_lookup, b, &w, &n, b->err);
    }
    if (r < 0 || n < 2) {
        df_strv_free(w);
        return LINE_ERR(b, in, r < 0 ? r : hk_error_set(b->err, -EINVAL, "no destination"));
    }
    *ret = w;
    *ret_n = n;
    return 0;
}

static int copy_setup(struct bstate *b, const struct df_instr *in, struct copy_job *j)
{
    struct build_copy *c = &j->c;
    bool add = strcmp(in->cmd, "ADD") == 0;
    static const char *const unsupported[] = {"exclude", "parents", "keep-git-dir"};
    for (size_t i = 0; i < ELEMENTSOF(unsupported); i++) {
        bool given;
        df_flag(in, unsupported[i], &given);
        if (given)
            return LINE_ERR(b, in, hk_error_set(b->err, -ENOTSUP, "--%s is not supported",
                                                unsupported[i]));
    }
    const char *chmod = df_flag(in, "chmod", NULL);
    c->mode = -1;
    if (chmod) {
        char *end;
        long m = strtol(chmod, &end, 8);
        if (*end || end == chmod || m < 0 || m > 07777)
            return LINE_ERR(b, in, hk_error_set(b->err, -EINVAL, "--chmod=%s: expected an "
                                                "octal mode", chmod));
        c->mode = (int)m;
    }
    int r = parse_chown(b, in, c);
    size_t n = 0;
    if (r == 0)
        r = copy_words(b, in, &j->words, &n);
    if (r < 0)
        return r;
    char **w = j->words;
    struct build_stage_req sq = {.srcs = w, .n_srcs = n - 1, .heredocs = in->heredocs,
                                 .n_heredocs = in->n_heredocs, .urls = add,
                                 .checksum = df_flag(in, "checksum", NULL),
                                 .escape = b->d.escape, .lookup = var_lookup, .ud = b};
    r = build_stage_sources(b->s, &sq, &j->stage, b->err);
    if (r < 0)
        return LINE_ERR(b, in, r);
    c->srcs = w;
    c->n_srcs = n - 1;
    c->roots = j->stage.roots;
    c->extract = add;
    store_expand_limit(b->s, &j->limit);
    c->limit = &j->limit;
    r = open_source_root(b, in, c, &j->root, &j->mount);
    if (r < 0)
        return r;
    /* dest: relative to WORKDIR */
    const char *d = w[n - 1];
    const char *wd = json_string_value(json_object_get(json_object_get(b->config, "config"),
                                                       "WorkingDir"));
    size_t dl = strlen(d);
    _cleanup_free_ char *abs = d[0] == '/' ? xstrdup(d) : xasprintf("%s/%s", wd ? wd : "", d);
    _cleanup_free_ char *clean = path_clean(abs);
    bool slash = dl > 0 && (d[dl - 1] == '/' || strcmp(d, ".") == 0);
    free(w[n - 1]);
    w[n - 1] = xasprintf("%s%s", clean, slash && strcmp(clean, "/") ? "/" : "");
    c->dest = w[n - 1];
    return 0;
}

static int copy_step(struct bstate *b, const struct df_instr *in)
{
    struct copy_job j = {.root = -1, .stage = {.fd = -1}};
    int r = copy_setup(b, in, &j);
    j.c.src_root = j.root;
    char hash[DIGEST_STR_SIZE], key[DIGEST_STR_SIZE];
    if (r == 0 && (r = build_copy_hash(&j.c, hash, b->err)) < 0)
        r = LINE_ERR(b, in, r);
    if (r == 0)
        r = cache_key(b, in, hash, key);
    if (r == 0 && (r = cached(b, key)) < 0)
        r = LINE_ERR(b, in, r);
    else if (r > 0)
        r = 0;
    else if (r == 0) {
        _cleanup_free_ char *tmp = NULL;
        r = store_tmpdir(b->s, "copy", &tmp, b->err);
        _cleanup_free_ char *diff = tmp ? xasprintf("%s/diff", tmp) : NULL;
        _cleanup_close_ int dfd = r < 0 ? -1 : open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r == 0 && (r = build_copy_run(&j.c, dfd, b->err)) < 0)
            r = LINE_ERR(b, in, r);
        _cleanup_free_ char *by = xasprintf("/bin/sh -c #(nop) %s", in->original);
        if (r == 0)
            r = layer_step(b, diff, false, by, key);
        if (tmp)
            rm_rf(tmp);
    }
    if (j.root >= 0)
        close(j.root);
    if (j.mount) {
        image_rootfs_unmount(j.mount, NULL);
        rm_rf(j.mount);
        free(j.mount);
    }
    build_stage_clear(&j.stage);
    df_strv_free(j.words);
    return r;
}

/* --- stages ------------------------------------------------------------------------------- */

static int step(struct bstate *b, const struct df_instr *in)
{
    say(b, "Step %zu/%zu : %s\n", ++b->step, b->n_steps, in->original);
    return dispatch(b, in);
}

static int dispatch(struct bstate *b, const struct df_instr *in)
{
    const char *c = in->cmd;
    if (strcmp(c, "FROM") == 0)
        return from_step(b, in);
    if (strcmp(c, "ARG") == 0)
        return arg_step(b, in, b->args, false);
    if (strcmp(c, "RUN") == 0)
        return run_step(b, in);
    if (strcmp(c, "COPY") == 0 || strcmp(c, "ADD") == 0)
        return copy_step(b, in);
    int r = config_step(b, in);
    return r;
}

static int run_stage(struct bstate *b, struct stage *st)
{
    json_decref(b->args);
    b->args = json_object();
    b->ctx = (struct df_config_ctx){.escape = b->d.escape, .lookup = var_lookup, .ud = b,
                                    .name = b->q->dockerfile_name};
    int r = 0;
    for (size_t i = st->from; i < st->end && r == 0; i++) {
        r = step(b, &b->d.instrs[i]);
        if (r == 0)
            say(b, " ---> %.12s\n", digest_hex(b->id));
    }
    free(b->ctx.author);
    b->ctx.author = NULL;
    if (r == 0)
        snprintf(st->id, sizeof(st->id), "%s", b->id);
    return r;
}

/* Stages, their names, and which ones the target needs (FROM an earlier stage, COPY --from). */
static int plan(struct bstate *b)
{
    for (size_t i = 0; i < b->d.n; i++) {
        struct df_instr *in = &b->d.instrs[i];
        if (strcmp(in->cmd, "FROM") == 0) {
            b->stages = xrealloc(b->stages, (b->n_stages + 1) * sizeof(*b->stages));
            struct stage *st = &b->stages[b->n_stages++];
            *st = (struct stage){.from = i, .end = b->d.n};
            if (b->n_stages > 1)
                st[-1].end = i;
            char **w = NULL;
            size_t n = 0;
            df_split_raw(in->rest, b->d.escape, &w, &n);
            if (n == 3)
                st->name = xstrdup(w[2]);
            df_strv_free(w);
        } else if (b->n_stages == 0) {
            int r = arg_step(b, in, b->meta_args, true);
            if (r < 0)
                return r;
        }
    }
    size_t target = b->n_stages - 1;
    if (b->q->target) {
        target = SIZE_MAX;
        for (size_t i = 0; i < b->n_stages; i++)
            if (b->stages[i].name && strcasecmp(b->stages[i].name, b->q->target) == 0)
                target = i;
        if (target == SIZE_MAX)
            return hk_error_set(b->err, -ENOENT, "target stage \"%s\" could not be found",
                                b->q->target);
    }
    b->stages[target].needed = true;
    for (size_t k = target + 1; k-- > 0;) {
        if (!b->stages[k].needed)
            continue;
        for (size_t i = b->stages[k].from; i < b->stages[k].end; i++) {
            struct df_instr *in = &b->d.instrs[i];
            const char *ref = strcmp(in->cmd, "FROM") == 0 ? NULL : df_flag(in, "from", NULL);
            char **w = NULL;
            size_t n = 0;
            if (strcmp(in->cmd, "FROM") == 0) {
                df_split_raw(in->rest, b->d.escape, &w, &n);
                ref = n ? w[0] : NULL;
            }
            for (size_t j = 0; ref && j < k; j++) {
                char idx[24];
                snprintf(idx, sizeof(idx), "%zu", j);
                if ((b->stages[j].name && strcasecmp(b->stages[j].name, ref) == 0) ||
                    (strcmp(in->cmd, "FROM") && strcmp(idx, ref) == 0))
                    b->stages[j].needed = true;
            }
            df_strv_free(w);
        }
    }
    for (size_t k = 0; k < b->n_stages; k++)
        if (b->stages[k].needed)
            b->n_steps += b->stages[k].end - b->stages[k].from;
    return (int)target;
}

static int final_labels(struct bstate *b)
{
    if (!json_object_size(b->q->labels))
        return 0;
    json_t *cfg = json_object_get(b->config, "config");
    json_t *l = json_object_get(cfg, "Labels");
    if (!json_is_object(l)) {
        l = json_object();
        json_object_set_new(cfg, "Labels", l);
    }
    json_object_update(l, b->q->labels);
    json_t *config = json_deep_copy(b->config);
    char id[DIGEST_STR_SIZE];
    int r = image_commit(b->s, b->img, config, NULL, NULL, id, b->err);
    json_decref(config);
    return r < 0 ? r : load_image(b, id);
}

/* The --cache-from images: the store's, or pulled; one that cannot be had is left out with a
 * warning, as docker does. */
static void load_cache_from(struct bstate *b)
{
    size_t i;
    json_t *v;
    json_array_foreach(b->q->cache_from, i, v)
    {
        struct hk_error e2 = {0};
        struct hk_error *saved = b->err;
        b->err = &e2;
        char id[DIGEST_STR_SIZE];
        struct image *img = NULL;
        int r = resolve_image(b, json_string_value(v), id);
        if (r == 0)
            r = image_lookup(b->s, id, &img, &e2);
        b->err = saved;
        if (r < 0) {
            say(b, "WARNING: --cache-from %s: %s; not used\n", json_string_value(v), e2.msg);
            continue;
        }
        b->cache_from = xrealloc(b->cache_from, (b->n_cache_from + 1) * sizeof(*b->cache_from));
        b->cache_from[b->n_cache_from++] = img;
    }
}

int build_image(const struct engine *e, struct store *s, const struct build_request *q,
                char *ret_id, struct hk_error *err)
{
    _cleanup_free_ char *ipath = xasprintf("%s/.dockerignore", q->context);
    _cleanup_free_ char *itext = NULL;
    size_t ilen;
    if (read_file(ipath, 1 << 20, &itext, &ilen, NULL) < 0)
        itext = NULL;
    struct bstate b = {.q = q, .e = e, .s = s, .err = err, .meta_args = json_object(),
                       .args = json_object()};
    ignore_parse(itext, &b.ignore);
    image_time_string(layer_epoch(), b.created);
    int r = dockerfile_parse(q->dockerfile, q->dockerfile_len, q->dockerfile_name, &b.d, err);
    if (r == 0)
        load_cache_from(&b);
    int target = r < 0 ? r : plan(&b);
    r = target < 0 ? target : 0;
    for (size_t k = 0; r == 0 && k <= (size_t)target; k++)
        if (b.stages[k].needed)
            r = run_stage(&b, &b.stages[k]);
    if (r == 0)
        r = final_labels(&b);
    if (r == 0)
        r = image_mark_intermediate(s, b.id, false, err);
    if (r == 0)
        snprintf(ret_id, DIGEST_STR_SIZE, "%s", b.id);
    for (size_t k = 0; k < b.n_stages; k++)
        free(b.stages[k].name);
    free(b.stages);
    for (size_t k = 0; k < b.n_cache_from; k++)
        image_free(b.cache_from[k]);
    free(b.cache_from);
    image_free(b.img);
    json_decref(b.config);
    json_decref(b.args);
    json_decref(b.meta_args);
    dockerfile_clear(&b.d);
    ignore_clear(&b.ignore);
    return r;
}
