/* registry-blobs.c — parallel blob downloads into the store (curl multi, one thread). Each blob
 * streams into a blob_writer that hashes and counts it; only a blob whose digest and size
 * match is published. A transfer that breaks (connection reset, cut short, timed out) or that
 * the registry answers with 429 or 5xx starts again from the beginning after a short pause,
 * up to MAX_ATTEMPTS in all, as docker retries its downloads; a wrong digest is final. */
#include <curl/curl.h>
#include <string.h>
#include <time.h>

#include "image/registry-internal.h"
#include "util/fs.h"

#define MAX_PARALLEL 4
#define MAX_ATTEMPTS 4
#define RETRY_FIRST_MS 250 /* then doubled: 250, 500, 1000 ms */

struct job {
    const struct blob_req *req;
    struct store *store;
    const struct progress *progress;
    struct blob_writer *w;
    struct http_request rq;
    char *url;
    struct http_xfer *x;
    struct hk_error err; /* the sink's (writer's) error */
    bool reauthed;
    int attempts;  /* started so far */
    long retry_at; /* CLOCK_MONOTONIC ms when a retry is due; 0: none */
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sink(void *ud, const void *data, size_t len)
{
    struct job *j = ud;
    int r = blob_writer_write(j->w, data, len, &j->err);
    if (r == 0 && j->progress && j->progress->layer)
        j->progress->layer(j->progress->ud, j->req->index, j->req->digest, PROGRESS_DOWNLOADING,
                           blob_writer_size(j->w), (uint64_t)j->req->size);
    return r;
}

static void job_reset(struct job *j)
{
    j->x = http_xfer_free(j->x);
    j->w = blob_writer_free(j->w);
    free(j->url);
    j->url = NULL;
}

static int job_start(struct registry *r, CURLM *m, struct job *j, struct hk_error *err)
{
    j->attempts++;
    j->retry_at = 0;
    int e =
        blob_writer_new(j->store, j->req->digest, j->req->size, (uint64_t)j->req->size, &j->w, err);
    if (e < 0)
        return e;
    j->rq = (struct http_request){.sink = sink, .sink_ud = j};
    e = registry_blob_request(r, j->req->digest, &j->rq, &j->url);
    if (e == 0)
        e = http_xfer_new(&j->rq, &j->x, err);
    if (e < 0)
        return e;
    CURL *h = http_xfer_handle(j->x);
    curl_easy_setopt(h, CURLOPT_PRIVATE, j);
    if (curl_multi_add_handle(m, h) != CURLM_OK)
        return hk_error_set(err, -EIO, "curl_multi_add_handle failed");
    return 0;
}

/* Whether another attempt is allowed, and then when: RETRY_FIRST_MS, doubled each time. */
static bool schedule_retry(struct job *j)
{
    if (j->attempts >= MAX_ATTEMPTS)
        return false;
    job_reset(j);
    j->retry_at = now_ms() + ((long)RETRY_FIRST_MS << (j->attempts - 1));
    return true;
}

/* A transfer ended with code: publish the blob, retry once after a 401, retry later after a
 * transient failure, or fail. Returns 1 when the job goes on (restarted or to be retried). */
static int job_done(struct registry *r, CURLM *m, struct job *j, CURLcode code,
                    struct hk_error *err)
{
    curl_multi_remove_handle(m, http_xfer_handle(j->x));
    struct http_response resp = {0};
    int e = http_xfer_finish(j->x, code, &resp, &j->err);
    bool writer_failed = e < 0 && code == CURLE_WRITE_ERROR; /* the sink refused the data */
    if (e < 0 && !writer_failed && schedule_retry(j)) {
        hk_error_clear(&j->err);
        return 1;
    }
    if (e < 0) {
        if (err)
            *err = j->err;
        return j->attempts > 1 ? hk_error_prefix(err, e, "after %d attempts", j->attempts) : e;
    }
    char st[256];
    http_status_text(&resp, st, sizeof(st));
    long status = resp.status;
    if ((status == 429 || status >= 500) && schedule_retry(j)) {
        http_response_clear(&resp);
        return 1;
    }
    if ((status == 429 || status >= 500) && j->attempts > 1) {
        http_response_clear(&resp);
        return hk_error_set(err, -EPROTO, "%s (after %d attempts)", st, j->attempts);
    }
    if (status == 401 && !j->reauthed) {
        j->reauthed = true;
        e = registry_reauth(r, resp.www_authenticate, err);
        http_response_clear(&resp);
        job_reset(j);
        if (e == 0)
            e = job_start(r, m, j, err);
        return e < 0 ? e : 1;
    }
    http_response_clear(&resp);
    if (status != 200)
        return hk_error_set(err, status == 404 ? -ENOENT : -EPROTO, "%s", st);
    if (j->progress && j->progress->layer)
        j->progress->layer(j->progress->ud, j->req->index, j->req->digest, PROGRESS_VERIFYING, 0,
                           0);
    e = blob_writer_commit(j->w, NULL, err);
    j->w = NULL;
    if (e == 0 && j->progress && j->progress->layer)
        j->progress->layer(j->progress->ud, j->req->index, j->req->digest, PROGRESS_DOWNLOADED,
                           (uint64_t)j->req->size, (uint64_t)j->req->size);
    return e;
}

/* Start the retries that are due; the time until the next one (-1: none pending). */
static int start_due(struct registry *r, CURLM *m, struct job *jobs, size_t n, long *ret_wait,
                     struct hk_error *err)
{
    long now = now_ms(), wait = -1;
    for (size_t i = 0; i < n; i++) {
        struct job *j = &jobs[i];
        if (!j->retry_at)
            continue;
        if (j->retry_at <= now) {
            int e = job_start(r, m, j, err);
            if (e < 0)
                return hk_error_prefix(err, e, "blob %s", j->req->digest);
        } else if (wait < 0 || j->retry_at - now < wait) {
            wait = j->retry_at - now;
        }
    }
    *ret_wait = wait;
    return 0;
}

/* Drive the transfers until all are done or one fails. */
static int run(struct registry *r, CURLM *m, struct job *jobs, size_t n, struct hk_error *err)
{
    size_t next = 0, active = 0;
    for (;;) {
        int e;
        while (next < n && active < MAX_PARALLEL) {
            struct job *j = &jobs[next++];
            if (store_has_blob(j->store, j->req->digest))
                continue;
            e = job_start(r, m, j, err);
            if (e < 0)
                return hk_error_prefix(err, e, "blob %s", j->req->digest);
            active++;
        }
        if (active == 0)
            return 0;
        int running = 0;
        if (curl_multi_perform(m, &running) != CURLM_OK)
            return hk_error_set(err, -EIO, "curl_multi_perform failed");
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct job *j = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            e = job_done(r, m, j, msg->data.result, err);
            if (e < 0)
                return hk_error_prefix(err, e, "blob %s", j->req->digest);
            if (e == 0)
                active--;
        }
        long wait = -1; /* until the next retry is due */
        e = start_due(r, m, jobs, next, &wait, err);
        if (e < 0)
            return e;
        if (running > 0 || wait >= 0)
            curl_multi_poll(m, NULL, 0, wait >= 0 && wait < 1000 ? (int)wait : 1000, NULL);
    }
}

int registry_fetch_blobs(struct registry *r, struct store *s, const struct blob_req *reqs, size_t n,
                         const struct progress *p, struct hk_error *err)
{
    CURLM *m = curl_multi_init();
    if (!m)
        return hk_error_set(err, -ENOMEM, "curl_multi_init failed");
    struct job *jobs = xcalloc(n ? n : 1, sizeof(*jobs));
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct job){.req = &reqs[i], .store = s, .progress = p};
    int e = run(r, m, jobs, n, err);
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].x)
            curl_multi_remove_handle(m, http_xfer_handle(jobs[i].x));
        job_reset(&jobs[i]);
    }
    free(jobs);
    curl_multi_cleanup(m);
    if (e < 0)
        return hk_error_prefix(err, e, "registry %s: repository %s", registry_domain(r),
                               registry_repo(r));
    return 0;
}
