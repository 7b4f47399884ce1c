/* build.c — `hako build`: flags, the context (a directory, a tar on stdin, or a Dockerfile on
 * stdin), the RUN hook (start and relay, as `hako run`), docker's closing lines. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build.h"
#include "cli/cli.h"
#include "cli/container.h"
#include "image/reference.h"
#include "cli/image-common.h"
#include "engine/lifecycle.h"
#include "image/image.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "util/fs.h"
#include "util/path.h"
#include "util/json.h"

#define BUILD_STDIN_MAX (UINT64_C(1) << 31)

struct build_flags {
    json_t *tags, *args, *labels, *secrets, *cache_from;
    json_t *env_secrets; /* {"id": "value"} from --secret id=,env=: written under the run root */
    const char *file, *target, *iidfile;
    bool no_cache, quiet, pull;
    enum layer_compression compression;
};

static int build_usage(FILE *f, int rc)
{
    fprintf(f, "Usage: hako build [OPTIONS] PATH | -\n\n"
               "Build an image from a Dockerfile\n\n"
               "  -t, --tag NAME[:TAG]     name the image (repeatable)\n"
               "  -f, --file FILE          the Dockerfile (default PATH/Dockerfile; - for stdin)\n"
               "      --build-arg K=V      set a build argument\n"
               "      --target STAGE       build up to this stage\n"
               "      --no-cache           do not use the layer cache\n"
               "      --cache-from IMAGE   reuse the layers of IMAGE's steps (repeatable)\n"
               "      --pull               always pull the images FROM and COPY --from name\n"
               "      --label K=V          set a label on the image\n"
               "  -q, --quiet              print only the image ID\n"
               "      --iidfile FILE       write the image ID to FILE\n"
               "      --secret id=ID,src=FILE  a file for RUN --mount=type=secret (never in a layer)\n"
               "      --secret id=ID,env=VAR   the same, from an environment variable\n"
               "      --platform P         linux/amd64 (the host's platform only)\n"
               "      --compression ALG    gzip (default), zstd or uncompressed layers\n");
    return rc;
}

static int kv(json_t *obj, const char *flag, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        if (strcmp(flag, "--build-arg") == 0 && !eq && getenv(arg)) { /* docker: from env */
            json_object_set_new(obj, arg, json_string(getenv(arg)));
            return 0;
        }
        return cli_usage_error("build", "%s: expected KEY=VALUE, got '%s'", flag, arg);
    }
    _cleanup_free_ char *k = strndup(arg, (size_t)(eq - arg));
    json_object_set_new(obj, k, json_string(eq + 1));
    return 0;
}

/* --secret id=ID,src=FILE (or source=FILE), or id=ID,env=VAR. */
static int secret_flag(json_t *secrets, json_t *env_secrets, const char *arg)
{
    _cleanup_free_ char *copy = xstrdup(arg);
    const char *id = NULL, *src = NULL, *env = NULL;
    for (char *save = NULL, *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            return cli_usage_error("build", "--secret: expected KEY=VALUE in '%s'", arg);
        *eq = 0;
        if (strcmp(kv, "id") == 0)
            id = eq + 1;
        else if (strcmp(kv, "src") == 0 || strcmp(kv, "source") == 0)
            src = eq + 1;
        else if (strcmp(kv, "env") == 0)
            env = eq + 1;
        else if (strcmp(kv, "type") != 0)
            return cli_usage_error("build", "--secret: unknown key '%s'", kv);
    }
    if (!id || (!src && !env) || (src && env))
        return cli_usage_error("build", "--secret %s: expected id=ID,src=FILE or id=ID,env=VAR",
                               arg);
    if (env) {
        const char *v = getenv(env);
        if (!v)
            return cli_usage_error("build", "--secret %s: the environment variable %s is not "
                                   "set", id, env);
        json_object_del(secrets, id);
        json_object_set_new(env_secrets, id, json_string(v));
        return 0;
    }
    json_object_del(env_secrets, id);
    char real[4096];
    if (!realpath(src, real))
        return cli_usage_error("build", "--secret %s: %s: %m", id, src);
    json_object_set_new(secrets, id, json_string(real));
    return 0;
}

static int parse_build_flags(int argc, char **argv, struct build_flags *f)
{
    static const struct option opts[] = {
        {"tag", required_argument, NULL, 't'},       {"file", required_argument, NULL, 'f'},
        {"build-arg", required_argument, NULL, 'A'}, {"target", required_argument, NULL, 'T'},
        {"no-cache", no_argument, NULL, 'N'},        {"label", required_argument, NULL, 'L'},
        {"quiet", no_argument, NULL, 'q'},           {"iidfile", required_argument, NULL, 'I'},
        {"platform", required_argument, NULL, 'P'},  {"compression", required_argument, NULL, 'z'},
        {"secret", required_argument, NULL, 'S'},    {"pull", no_argument, NULL, 'p'},
        {"cache-from", required_argument, NULL, 'C'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c, rc = 0;
    struct hk_error err = {0};
    while (rc == 0 && (c = cli_getopt(argc, argv, "t:f:qh", opts)) != -1) {
        switch (c) {
        case 't': {
            char *tag = NULL;
            rc = cli_tag_arg("build", optarg, &tag);
            if (rc == 0)
                json_array_append_new(f->tags, json_string(tag));
            free(tag);
            break;
        }
        case 'f': f->file = optarg; break;
        case 'A': rc = kv(f->args, "--build-arg", optarg); break;
        case 'L': rc = kv(f->labels, "--label", optarg); break;
        case 'T': f->target = optarg; break;
        case 'S': rc = secret_flag(f->secrets, f->env_secrets, optarg); break;
        case 'N': f->no_cache = true; break;
        case 'p': f->pull = true; break;
        case 'C': json_array_append_new(f->cache_from, json_string(optarg)); break;
        case 'q': f->quiet = true; break;
        case 'I': f->iidfile = optarg; break;
        case 'P': {
            struct platform want, host;
            platform_host(&host);
            if (platform_parse(optarg, &want, &err) < 0)
                rc = cli_fail(&err, 125);
            else if (!platform_match(&want, &host))
                rc = cli_usage_error("build", "--platform %s: only this host's platform "
                                     "(linux/%s) can be built", optarg, host.arch);
            break;
        }
        case 'z':
            if (layer_compression_parse(optarg, &f->compression, &err) < 0)
                rc = cli_fail(&err, 125);
            break;
        case 'h': return build_usage(stdout, -1);
        default: return build_usage(stderr, 125);
        }
    }
    if (rc == 0 && argc - optind != 1)
        rc = cli_usage_error("build", "\"build\" requires exactly 1 argument.");
    return rc;
}

struct run_ctx {
    const struct engine *e;
    bool quiet;
};

/* The RUN hook: start the step's container and relay its output, as `hako run` does. */
static int run_hook(void *ud, const char *id, int *ret_code, struct hk_error *err)
{
    const struct run_ctx *x = ud;
    const struct engine *e = x->e;
    int conn = -1;
    int r = engine_start(e, NULL, id, &conn, err);
    if (r < 0)
        return r;
    int saved = -1;
    if (x->quiet) {
        saved = dup(STDOUT_FILENO);
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        dup2(null, STDOUT_FILENO);
        close(null);
    }
    fflush(stdout);
    r = cli_attach_relay(e, id, conn, false, false, ret_code);
    if (saved >= 0) {
        dup2(saved, STDOUT_FILENO);
        close(saved);
    }
    return r < 0 ? hk_error_set(err, r, "relay the output of container %.12s", id) : 0;
}

/* Everything on stdin (bounded), for "-". */
static int read_stdin(char **ret, size_t *ret_len)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = xcalloc(1, cap);
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= BUILD_STDIN_MAX) {
                free(buf);
                cli_error("build: the input on stdin is larger than %llu bytes",
                          (unsigned long long)BUILD_STDIN_MAX);
                return 125;
            }
            buf = xrealloc(buf, cap *= 2);
        }
        ssize_t n = read(STDIN_FILENO, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            cli_error("build: read stdin: %m");
            return 125;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = 0;
    *ret = buf;
    *ret_len = len;
    return 0;
}

static bool is_tar(const char *buf, size_t len)
{
    return (len > 262 && memcmp(buf + 257, "ustar", 5) == 0) ||
           (len > 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) ||
           (len > 4 && memcmp(buf, "\x28\xb5\x2f\xfd", 4) == 0);
}

/* A context from stdin: a tar unpacked (safely, as a layer) into tmp, or a Dockerfile with an
 * empty context. */
static int stdin_context(const char *tmp, char **ret_df, size_t *ret_len)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_stdin(&buf, &len);
    if (rc)
        return rc;
    if (!is_tar(buf, len)) {
        *ret_df = buf;
        *ret_len = len;
        return 0;
    }
    int mfd = memfd_create("context", MFD_CLOEXEC);
    bool ok = mfd >= 0 && write(mfd, buf, len) == (ssize_t)len && lseek(mfd, 0, SEEK_SET) == 0;
    free(buf);
    _cleanup_close_ int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct hk_error err = {0};
    struct layer_unpack_opts o = {.name = "the build context"};
    struct layer_stats st;
    if (!ok || dfd < 0 || layer_unpack(mfd, dfd, &o, &st, &err) < 0) {
        if (mfd >= 0)
            close(mfd);
        return err.msg[0] ? cli_fail(&err, 1) : (cli_error("build: stdin context: %m"), 1);
    }
    close(mfd);
    return 0;
}

static int read_dockerfile(const struct build_flags *f, const char *context, bool from_tar,
                           char **df, size_t *len)
{
    if (*df)
        return 0;
    if (f->file && strcmp(f->file, "-") == 0)
        return read_stdin(df, len);
    if (from_tar && f->file) {
        /* docker: with a context on stdin, -f names a file inside it (resolved there) */
        _cleanup_close_ int root = open(context, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = root < 0 ? -1 : open_in_root(root, f->file, O_RDONLY, 0, 0);
        struct hk_error err = {0};
        _cleanup_free_ char *via = fd >= 0 ? xasprintf("/proc/self/fd/%d", fd) : NULL;
        if (fd < 0 || read_file(via, 16 << 20, df, len, &err) < 0) {
            cli_error("build: failed to read the Dockerfile '%s' in the context: %s", f->file,
                      fd < 0 ? strerror(root < 0 ? errno : -fd) : err.msg);
            return 1;
        }
        return 0;
    }
    _cleanup_free_ char *path = f->file ? xstrdup(f->file) : xasprintf("%s/Dockerfile", context);
    struct hk_error err = {0};
    if (read_file(path, 16 << 20, df, len, &err) < 0) {
        cli_error("build: failed to read the Dockerfile: %s", err.msg);
        return 1;
    }
    return 0;
}

static int finish(struct store *s, const struct build_flags *f, const char *id)
{
    struct hk_error err = {0};
    if (!f->quiet)
        printf("Successfully built %.12s\n", id + 7);
    size_t i;
    json_t *t;
    json_array_foreach(f->tags, i, t)
    {
        if (image_tag(s, id, json_string_value(t), &err) < 0)
            return cli_fail(&err, 1);
        if (!f->quiet) {
            _cleanup_free_ char *fam = ref_familiar(json_string_value(t));
            printf("Successfully tagged %s\n", fam);
        }
    }
    if (f->quiet)
        printf("%s\n", id);
    if (f->iidfile && write_file_atomic(f->iidfile, id, strlen(id), 0644, &err) < 0)
        return cli_fail(&err, 1);
    return 0;
}

/* The --secret id=,env= values as files (0400) in a directory of the run root only root can
 * enter, for RUN --mount=type=secret; *ret_dir is removed when the build ends. */
static int write_env_secrets(struct build_flags *f, char **ret_dir)
{
    if (!json_object_size(f->env_secrets))
        return 0;
    char *dir = xasprintf("%s/build-secrets-%d", engine_opts.runroot, getpid());
    *ret_dir = dir;
    if (mkdir_p(engine_opts.runroot, 0700) < 0 || mkdir(dir, 0700) < 0) {
        cli_error("build: mkdir '%s': %m", dir);
        return 1;
    }
    const char *id;
    json_t *v;
    json_object_foreach(f->env_secrets, id, v)
    {
        if (strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
            cli_error("build: --secret id=%s: an ID cannot contain '/'", id);
            return 125;
        }
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, id);
        struct hk_error err = {0};
        if (write_file_atomic(p, json_string_value(v), json_string_length(v), 0400, &err) < 0)
            return cli_fail(&err, 1);
        json_object_set_new(f->secrets, id, json_string(p));
    }
    return 0;
}

static int do_build(struct engine *e, struct store *s, const struct build_flags *f,
                    const char *context, char *df, size_t len)
{
    struct run_ctx x = {.e = e, .quiet = f->quiet};
    struct build_request q = {
        .context = context, .dockerfile = df, .dockerfile_len = len,
        .dockerfile_name = f->file && strcmp(f->file, "-") ? f->file : "Dockerfile",
        .build_args = f->args, .target = f->target, .no_cache = f->no_cache, .pull = f->pull,
        .cache_from = f->cache_from,
        .labels = f->labels, .secrets = f->secrets, .out = f->quiet ? NULL : stdout, .compression = f->compression,
        .run = run_hook, .run_ud = &x};
    const char *slash = strrchr(q.dockerfile_name, '/');
    if (slash)
        q.dockerfile_name = slash + 1;
    struct hk_error err = {0};
    char id[DIGEST_STR_SIZE];
    if (build_image(e, s, &q, id, &err) < 0) {
        fflush(stdout);
        return cli_fail(&err, 1);
    }
    return finish(s, f, id);
}

int cmd_build(int argc, char **argv)
{
    struct build_flags f = {.tags = json_array(), .args = json_object(), .labels = json_object(),
                            .secrets = json_object(), .cache_from = json_array(),
                            .env_secrets = json_object()};
    int rc = parse_build_flags(argc, argv, &f);
    struct engine *e = NULL;
    struct store *s = NULL;
    char *df = NULL, *tmp = NULL;
    size_t len = 0;
    const char *context = rc ? NULL : argv[optind];
    if (rc == 0 && strcmp(context, "-") == 0) {
        tmp = xasprintf("%s/tmp/build-context-%d", engine_opts.root, getpid());
        if (mkdir_p(tmp, 0700) < 0)
            rc = (cli_error("build: mkdir '%s': %m", tmp), 125);
        if (rc == 0)
            rc = stdin_context(tmp, &df, &len);
        context = tmp;
    }
    if (rc == 0) {
        struct stat st;
        if (stat(context, &st) < 0 || !S_ISDIR(st.st_mode))
            rc = (cli_error("build: unable to prepare context: path \"%s\" not found",
                            context), 1);
    }
    if (rc == 0)
        rc = read_dockerfile(&f, context, tmp != NULL, &df, &len);
    char *secret_dir = NULL;
    if (rc == 0)
        rc = write_env_secrets(&f, &secret_dir);
    if (rc == 0 && !(rc = cli_engine_open(&e)) && !(rc = cli_store_open(&s)))
        rc = do_build(e, s, &f, context, df, len);
    if (secret_dir)
        rm_rf(secret_dir);
    free(secret_dir);
    store_free(s);
    engine_free(e);
    if (tmp)
        rm_rf(tmp);
    free(tmp);
    free(df);
    json_decref(f.tags);
    json_decref(f.args);
    json_decref(f.labels);
    json_decref(f.secrets);
    json_decref(f.cache_from);
    json_decref(f.env_secrets);
    return rc < 0 ? 0 : rc;
}
