/* unpack.c — publishing layers; see unpack.h. */
#include "image/unpack.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/layer.h"
#include "util/fs.h"
#include "util/lazy.h"
#include "util/log.h"

#define MAX_WORKERS 4

/* What a worker sends back through its pipe. */
struct result {
    int code;
    struct layer_stats stats;
    char msg[HK_ERROR_MAX];
};

struct job {
    size_t index;
    json_t *layer;
    char chain_id[DIGEST_STR_SIZE];
    char *tmpdir;
    pid_t pid;
    int fd; /* read end of the result pipe */
    struct result res;
    bool done;
};

static void report(const struct progress *p, size_t i, json_t *layer, enum progress_state st)
{
    if (p && p->layer)
        p->layer(p->ud, i, json_string_value(json_object_get(layer, "digest")), st, 0, 0);
}

/* In the child: unpack one layer into job->tmpdir/diff and report through wfd. */
_noreturn_ static void worker(struct store *s, struct job *j, int wfd)
{
    struct result res = {0};
    struct hk_error err = {0};
    const char *digest = json_string_value(json_object_get(j->layer, "digest"));
    char name[128];
    snprintf(name, sizeof(name), "layer %s", digest);
    struct expand_limit lim;
    store_expand_limit(s, &lim);
    struct layer_unpack_opts o = {
        .name = name,
        .limit = &lim,
        .diff_id = json_string_value(json_object_get(j->layer, "diff_id")),
        .whiteouts = true,
        .owners = true,
    };
    _cleanup_close_ int blob = -1;
    _cleanup_free_ char *diff = xasprintf("%s/diff", j->tmpdir);
    _cleanup_close_ int dest = open(diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = dest < 0 ? hk_error_errno(&err, -errno, "open '%s'", diff)
                     : store_blob_open(s, digest, &blob, &err);
    if (r == 0) {
        umask(0);
        r = layer_unpack(blob, dest, &o, &res.stats, &err);
    }
    res.code = r;
    memcpy(res.msg, err.msg, sizeof(res.msg));
    ssize_t n = write(wfd, &res, sizeof(res));
    _exit(n == (ssize_t)sizeof(res) ? 0 : 1);
}

static int start(struct store *s, struct job *j, struct hk_error *err)
{
    int r = store_tmpdir(s, "layer", &j->tmpdir, err);
    if (r < 0)
        return r;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return hk_error_errno(err, -errno, "pipe");
    j->pid = fork();
    if (j->pid < 0) {
        close(p[0]);
        close(p[1]);
        return hk_error_errno(err, -errno, "fork");
    }
    if (j->pid == 0) {
        close(p[0]);
        worker(s, j, p[1]);
    }
    close(p[1]);
    j->fd = p[0];
    return 0;
}

/* Collect a finished worker's result (blocking until it writes or dies). */
static void finish(struct job *j)
{
    ssize_t n;
    do
        n = read(j->fd, &j->res, sizeof(j->res));
    while (n < 0 && errno == EINTR);
    close(j->fd);
    j->fd = -1;
    int status = 0;
    while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof(j->res)) {
        j->res.code = -EIO;
        snprintf(j->res.msg, sizeof(j->res.msg), "unpacking layer %s: worker died (status %d)",
                 json_string_value(json_object_get(j->layer, "digest")), status);
    }
    j->done = true;
}

/* Wait for any one running job to finish. */
static void wait_one(struct job *jobs, size_t n)
{
    struct pollfd pfd[MAX_WORKERS];
    size_t map[MAX_WORKERS], k = 0;
    for (size_t i = 0; i < n && k < MAX_WORKERS; i++)
        if (jobs[i].pid > 0 && !jobs[i].done) {
            pfd[k] = (struct pollfd){.fd = jobs[i].fd, .events = POLLIN};
            map[k++] = i;
        }
    if (k == 0)
        return;
    while (poll(pfd, k, -1) < 0 && errno == EINTR)
        ;
    for (size_t i = 0; i < k; i++)
        if (pfd[i].revents)
            finish(&jobs[map[i]]);
}

static size_t workers_max(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (size_t)n;
}

/* Run every job, at most workers_max() at a time; returns the first failure. */
static int run_jobs(struct store *s, struct job *jobs, size_t n, const struct progress *p,
                    struct hk_error *err)
{
    size_t next = 0, running = 0, limit = workers_max();
    int r = 0;
    while (next < n || running > 0) {
        if (r == 0 && next < n && running < limit) {
            report(p, jobs[next].index, jobs[next].layer, PROGRESS_EXTRACTING);
            r = start(s, &jobs[next], err);
            next++;
            running += r == 0;
            continue;
        }
        if (r < 0 && running == 0)
            break;
        wait_one(jobs, next);
        running = 0;
        for (size_t i = 0; i < next; i++)
            running += jobs[i].pid > 0 && !jobs[i].done;
        for (size_t i = 0; i < next && r == 0; i++)
            if (jobs[i].done && jobs[i].res.code < 0) {
                r = hk_error_set(err, jobs[i].res.code, "%s", jobs[i].res.msg);
                next = n; /* start nothing more */
            }
    }
    return r;
}

static int publish(struct store *s, struct job *j, struct hk_error *err)
{
    json_t *meta = json_pack(
        "{s:s, s:s, s:s, s:I, s:I}", "chain_id", j->chain_id, "diff_id", j->res.stats.diff_id,
        "digest", json_string_value(json_object_get(j->layer, "digest")), "size",
        (json_int_t)j->res.stats.size, "entries", (json_int_t)j->res.stats.entries);
    int r = store_layer_commit(s, j->tmpdir, j->chain_id, meta, err);
    json_decref(meta);
    if (r == 0) {
        free(j->tmpdir);
        j->tmpdir = NULL;
    }
    return r;
}

static int chain_ids(json_t *layers, struct hk_error *err)
{
    const char *parent = NULL;
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        char chain[DIGEST_STR_SIZE];
        const char *diff_id = json_string_value(json_object_get(l, "diff_id"));
        int r = digest_chain_id(parent, diff_id, chain, err);
        if (r < 0)
            return r;
        json_object_set_new(l, "chain_id", json_string(chain));
        parent = json_string_value(json_object_get(l, "chain_id"));
    }
    return 0;
}

static void sizes_from_meta(struct store *s, json_t *layers)
{
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        json_t *meta = NULL;
        if (store_layer_meta(s, json_string_value(json_object_get(l, "chain_id")), &meta, NULL) < 0)
            continue;
        json_object_set(l, "unpacked_size", json_object_get(meta, "size"));
        json_decref(meta);
    }
}

int unpack_layers(struct store *s, json_t *layers, const struct progress *progress,
                  struct hk_error *err)
{
    int r = chain_ids(layers, err);
    if (r == 0)
        r = lazy_require(LAZY_ARCHIVE, err); /* once, before the workers fork */
    if (r < 0)
        return r;
    size_t n = json_array_size(layers), n_jobs = 0;
    struct job *jobs = xcalloc(n ? n : 1, sizeof(*jobs));
    for (size_t i = 0; i < n; i++) {
        json_t *l = json_array_get(layers, i);
        const char *chain = json_string_value(json_object_get(l, "chain_id"));
        if (store_layer_complete(s, chain))
            continue;
        /* the same chain twice in one image (identical layers) is unpacked once */
        bool dup = false;
        for (size_t k = 0; k < n_jobs; k++)
            dup |= strcmp(jobs[k].chain_id, chain) == 0;
        if (dup)
            continue;
        jobs[n_jobs] = (struct job){.index = i, .layer = l, .fd = -1};
        snprintf(jobs[n_jobs].chain_id, sizeof(jobs[n_jobs].chain_id), "%s", chain);
        n_jobs++;
    }
    r = run_jobs(s, jobs, n_jobs, progress, err);
    /* Make the contents durable once, before any layer looks complete. */
    if (r == 0 && n_jobs > 0 && syncfs(s->root_fd) < 0)
        r = hk_error_errno(err, -errno, "sync '%s'", s->root);
    for (size_t k = 0; k < n_jobs && r == 0; k++) {
        r = publish(s, &jobs[k], err);
        if (r == 0)
            report(progress, jobs[k].index, jobs[k].layer, PROGRESS_COMPLETE);
    }
    for (size_t k = 0; k < n_jobs; k++) {
        if (jobs[k].tmpdir)
            rm_rf(jobs[k].tmpdir);
        free(jobs[k].tmpdir);
    }
    free(jobs);
    if (r == 0)
        sizes_from_meta(s, layers);
    return r;
}
