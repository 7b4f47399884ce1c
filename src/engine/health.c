/* health.c — docker's healthchecks: the config, the probe and its record (see health.h). */
#include "engine/health.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/events.h"
#include "engine/options.h"
#include "oci/parse.h"
#include "oci/spec.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "util/fs.h"
#include "util/json.h"

#define SECOND 1000000000LL
#define MAX_LOG 5
#define MAX_OUTPUT 4096

static int64_t ns_or(const json_t *hc, const char *key, int64_t def)
{
    json_int_t v = json_integer_value(json_object_get(hc, key));
    return v > 0 ? (int64_t)v : def;
}

bool health_config_of(const json_t *config, struct health_config *ret)
{
    const json_t *hc = json_object_get(config, "Healthcheck");
    const json_t *test = json_object_get(hc, "Test");
    const char *kind = json_string_value(json_array_get(test, 0));
    if (!kind || strcmp(kind, "NONE") == 0 || json_array_size(test) < 2)
        return false;
    json_int_t retries = json_integer_value(json_object_get(hc, "Retries"));
    *ret = (struct health_config){
        .test = test,
        .interval = ns_or(hc, "Interval", 30 * SECOND),
        .timeout = ns_or(hc, "Timeout", 30 * SECOND),
        .start_period = ns_or(hc, "StartPeriod", 0),
        .start_interval = ns_or(hc, "StartInterval", 5 * SECOND),
        .retries = retries > 0 ? (int)retries : 3,
    };
    return true;
}

int health_check(const json_t *hc, struct hk_error *err)
{
    if (!hc || json_is_null(hc))
        return 0;
    static const char *const durations[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
    for (size_t i = 0; i < ELEMENTSOF(durations); i++) {
        const json_t *v = json_object_get(hc, durations[i]);
        if (v && !json_is_integer(v) && !json_is_null(v))
            return hk_error_set(err, -EINVAL,
                                "Healthcheck.%s: expected a number of "
                                "nanoseconds",
                                durations[i]);
        json_int_t d = json_integer_value(v);
        if (d != 0 && d < 1000000)
            return hk_error_set(err, -EINVAL, "%s in Healthcheck cannot be less than 1ms",
                                durations[i]);
    }
    if (json_integer_value(json_object_get(hc, "Retries")) < 0)
        return hk_error_set(err, -EINVAL, "Retries in Healthcheck cannot be negative");
    const json_t *test = json_object_get(hc, "Test");
    size_t n = json_array_size(test), i;
    json_t *v;
    json_array_foreach(test, i, v) if (!json_is_string(v)) return hk_error_set(
        err, -EINVAL, "Healthcheck.Test: expected an array of strings");
    const char *kind = json_string_value(json_array_get(test, 0));
    if (n && strcmp(kind, "NONE") && strcmp(kind, "CMD") && strcmp(kind, "CMD-SHELL"))
        return hk_error_set(err, -EINVAL,
                            "unknown healthcheck type '%s' (expected CMD, "
                            "CMD-SHELL or NONE)",
                            kind);
    if (n == 1 && strcmp(kind, "NONE"))
        return hk_error_set(err, -EINVAL, "Healthcheck.Test: %s needs a command", kind);
    return 0;
}

json_t *health_merge(const json_t *image_hc, const json_t *flags_hc)
{
    if (!json_is_object(flags_hc))
        return json_is_object(image_hc) ? json_deep_copy(image_hc) : NULL;
    json_t *m = json_deep_copy(flags_hc);
    const char *k;
    void *tmp;
    json_t *v;
    json_object_foreach_safe(m, tmp, k, v) if (json_is_null(v)) json_object_del(m, k);
    if (!json_array_size(json_object_get(m, "Test")) && json_object_get(image_hc, "Test"))
        json_object_set(m, "Test", json_object_get(image_hc, "Test"));
    static const char *const keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval",
                                       "Retries"};
    for (size_t i = 0; i < ELEMENTSOF(keys); i++)
        if (!json_integer_value(json_object_get(m, keys[i])) && json_object_get(image_hc, keys[i]))
            json_object_set(m, keys[i], json_object_get(image_hc, keys[i]));
    return m;
}

void health_reset(json_t *rec)
{
    json_t *st = json_object_get(rec, "State");
    struct health_config hc;
    if (!health_config_of(json_object_get(rec, "Config"), &hc)) {
        json_object_del(st, "Health");
        return;
    }
    json_t *log = json_object_get(json_object_get(st, "Health"), "Log");
    json_object_set_new(st, "Health",
                        json_pack("{s:s,s:i,s:O}", "Status", "starting", "FailingStreak", 0, "Log",
                                  json_is_array(log) ? log : json_array()));
}

const char *health_duration(int64_t ns, char *buf, size_t size)
{
    static const char *const small[] = {"ns", "\u00b5s", "ms"};
    char frac[16] = "";
    if (ns == 0) {
        snprintf(buf, size, "0s");
        return buf;
    }
    if (ns < SECOND) {
        int u = ns < 1000 ? 0 : ns < 1000000 ? 1 : 2;
        int64_t div = u == 0 ? 1 : u == 1 ? 1000 : 1000000;
        snprintf(frac, sizeof(frac), ".%0*lld", u * 3, (long long)(ns % div));
        size_t k = strlen(frac);
        while (k > 1 && frac[k - 1] == '0')
            frac[--k] = '\0';
        snprintf(buf, size, "%lld%s%s", (long long)(ns / div), k > 1 ? frac : "", small[u]);
        return buf;
    }
    long long h = ns / (3600 * SECOND), m = ns / (60 * SECOND) % 60, s = ns / SECOND % 60;
    snprintf(frac, sizeof(frac), ".%09lld", (long long)(ns % SECOND));
    size_t k = strlen(frac);
    while (k > 1 && frac[k - 1] == '0')
        frac[--k] = '\0';
    const char *f = k > 1 ? frac : "";
    if (h)
        snprintf(buf, size, "%lldh%lldm%lld%ss", h, m, s, f);
    else if (m)
        snprintf(buf, size, "%lldm%lld%ss", m, s, f);
    else
        snprintf(buf, size, "%lld%ss", s, f);
    return buf;
}

/* The test as a command line: CMD's arguments, or CMD-SHELL's through the container's shell
 * (Config.Shell, /bin/sh -c by default). */
static char **test_args(const json_t *config, const json_t *test)
{
    json_t *argv = json_array();
    size_t i;
    json_t *v;
    if (strcmp(json_string_value(json_array_get(test, 0)), "CMD-SHELL") == 0) {
        const json_t *shell = json_object_get(config, "Shell");
        if (json_array_size(shell))
            json_array_extend(argv, (json_t *)shell);
        else
            json_array_extend(argv, json_pack("[ss]", "/bin/sh", "-c"));
        json_array_append(argv, json_array_get(test, 1));
    } else {
        for (i = 1; i < json_array_size(test); i++)
            json_array_append(argv, json_array_get(test, i));
    }
    char **out = xcalloc(json_array_size(argv) + 1, sizeof(char *));
    json_array_foreach(argv, i, v) out[i] = xstrdup(json_string_value(v));
    json_decref(argv);
    return out;
}

int health_probe_prepare(const struct engine *e, const char *id, struct oci_process **ret,
                         struct hk_error *err)
{
    struct record *rec = NULL;
    int r = record_open(e, id, false, &rec, err);
    if (r < 0)
        return r;
    struct health_config hc;
    const json_t *config = json_object_get(rec->j, "Config");
    bool probe = strcmp(record_status(rec->j), "running") == 0 && health_config_of(config, &hc);
    char **args = probe ? test_args(config, hc.test) : NULL;
    record_free(rec);
    if (!probe)
        return 1;
    struct oci_process *p = NULL;
    r = container_process(&e->rt, id, &p, err);
    if (r < 0) {
        strv_free(args);
        return r;
    }
    strv_free(p->args);
    p->args = args;
    p->terminal = false;
    p->has_console_size = false;
    *ret = p;
    return 0;
}

/* One probe's result. */
struct probe_result {
    char start[64], end[64];
    int64_t start_ns;
    int exit_code;
    char *output;
};

/* Read the process's output (the first MAX_OUTPUT bytes, "..." when there was more) until it
 * exits or the deadline passes; then it is killed. Returns whether it exited in time. */
static bool collect(int pid, int out, int64_t timeout, struct probe_result *res)
{
    char *buf = xcalloc(1, MAX_OUTPUT + 4);
    size_t n = 0;
    bool more = false, exited = false;
    _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (pidfd >= 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t left = timeout - ((now.tv_sec - t0.tv_sec) * SECOND + now.tv_nsec - t0.tv_nsec);
        if (left <= 0)
            break;
        struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = out, .events = POLLIN}};
        int pr = poll(p, out >= 0 ? 2 : 1, (int)(left / 1000000) + 1);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr > 0 && out >= 0 && p[1].revents) {
            char chunk[4096];
            ssize_t k = read(out, chunk, sizeof(chunk));
            if (k <= 0) {
                out = -1;
            } else {
                size_t take = (size_t)k < MAX_OUTPUT - n ? (size_t)k : MAX_OUTPUT - n;
                memcpy(buf + n, chunk, take);
                n += take;
                more |= take < (size_t)k;
            }
            continue;
        }
        if (pr > 0 && p[0].revents) {
            exited = true;
            break;
        }
    }
    /* what it wrote before it exited (a background child may keep the pipe open) */
    if (exited && out >= 0) {
        fcntl(out, F_SETFL, O_NONBLOCK);
        ssize_t k;
        while (n < MAX_OUTPUT && (k = read(out, buf + n, MAX_OUTPUT - n)) > 0)
            n += (size_t)k;
    }
    int status = 0;
    if (!exited)
        kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    if (more)
        memcpy(buf + n, "...", 4);
    res->output = buf;
    res->exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
    return exited;
}

static void run_probe(const struct engine *e, const char *id, const struct oci_process *p,
                      int64_t timeout, struct probe_result *res)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    res->start_ns = ts.tv_sec * SECOND + ts.tv_nsec;
    rfc3339_now(res->start, sizeof(res->start));
    int pfd[2];
    struct hk_error err = {0};
    int r = pipe2(pfd, O_CLOEXEC) < 0 ? hk_error_errno(&err, -errno, "pipe") : 0;
    struct exec_result xr = {.pid = -1};
    if (r == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        dup2(null, 0);
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        struct exec_opts o = {.detach = true};
        r = container_exec(&e->rt, id, p, &o, &xr, &err);
        dup2(null, 1);
        dup2(null, 2);
        close(null);
        close(pfd[1]);
    }
    if (r < 0) {
        res->exit_code = -1;
        res->output = xstrdup(hk_error_msg(&err));
    } else if (!collect(xr.pid, pfd[0], timeout, res)) {
        char d[32];
        free(res->output);
        res->exit_code = -1;
        res->output =
            xasprintf("Health check exceeded timeout (%s)", health_duration(timeout, d, sizeof(d)));
    }
    if (r == 0 || pfd[0] >= 0)
        close(pfd[0]);
    rfc3339_now(res->end, sizeof(res->end));
}

static json_t *output_string(const char *s)
{
    json_t *v = json_string(s);
    if (v)
        return v;
    _cleanup_free_ char *c = xstrdup(s); /* not UTF-8: keep the ASCII */
    for (char *q = c; *q; q++)
        if ((unsigned char)*q >= 0x80)
            *q = '?';
    return json_string(c);
}

static int64_t started_ns(const char *s)
{
    int64_t ns = 0;
    return s && opt_parse_time(s, 0, &ns, NULL) == 0 ? ns : 0;
}

/* docker's handleProbeResult: the log (last 5), the streak and the status. */
static void apply_result(json_t *st, const struct health_config *hc, const struct probe_result *res,
                         const char *started_at)
{
    json_t *h = json_object_get(st, "Health");
    if (!json_is_object(h)) {
        h = json_pack("{s:s,s:i,s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
        json_object_set_new(st, "Health", h);
    }
    json_t *log = json_object_get(h, "Log");
    if (!json_is_array(log)) {
        log = json_array();
        json_object_set_new(h, "Log", log);
    }
    while (json_array_size(log) >= MAX_LOG)
        json_array_remove(log, 0);
    json_array_append_new(log, json_pack("{s:s,s:s,s:i,s:o}", "Start", res->start, "End", res->end,
                                         "ExitCode", res->exit_code, "Output",
                                         output_string(res->output)));
    json_int_t streak = json_integer_value(json_object_get(h, "FailingStreak"));
    const char *status = json_string_value(json_object_get(h, "Status"));
    if (res->exit_code == 0) {
        json_object_set_new(h, "FailingStreak", json_integer(0));
        json_object_set_new(h, "Status", json_string("healthy"));
        return;
    }
    /* failures in the start period do not count while it never was healthy */
    if (status && strcmp(status, "starting") == 0 && hc->start_period > 0 &&
        started_ns(started_at) > res->start_ns - hc->start_period)
        return;
    json_object_set_new(h, "FailingStreak", json_integer(++streak));
    if (streak >= hc->retries)
        json_object_set_new(h, "Status", json_string("unhealthy"));
}

static int exit_of(const char *status)
{
    return !status                            ? HEALTH_EXIT_SKIPPED
           : strcmp(status, "healthy") == 0   ? HEALTH_EXIT_HEALTHY
           : strcmp(status, "unhealthy") == 0 ? HEALTH_EXIT_UNHEALTHY
                                              : HEALTH_EXIT_STARTING;
}

int health_probe_run(const struct engine *e, const char *id, const struct oci_process *p)
{
    struct record *rec = NULL;
    if (record_open(e, id, false, &rec, NULL) < 0)
        return HEALTH_EXIT_SKIPPED;
    struct health_config hc;
    bool ok = health_config_of(json_object_get(rec->j, "Config"), &hc);
    json_int_t pid = json_integer_value(json_object_get(json_object_get(rec->j, "State"), "Pid"));
    rec = record_free(rec);
    if (!ok)
        return HEALTH_EXIT_SKIPPED;
    struct probe_result res = {0};
    run_probe(e, id, p, hc.timeout, &res);
    int rc = HEALTH_EXIT_SKIPPED;
    /* the result counts only for the run it probed (not after an exit or a restart) */
    if (record_open(e, id, true, &rec, NULL) == 0 &&
        health_config_of(json_object_get(rec->j, "Config"), &hc)) {
        json_t *st = json_object_get(rec->j, "State");
        if (strcmp(record_status(rec->j), "running") == 0 &&
            json_integer_value(json_object_get(st, "Pid")) == pid) {
            json_t *h = json_object_get(st, "Health");
            _cleanup_free_ char *old =
                xstrdup(json_string_value(json_object_get(h, "Status")) ?: "");
            apply_result(st, &hc, &res, json_string_value(json_object_get(st, "StartedAt")));
            const char *now =
                json_string_value(json_object_get(json_object_get(st, "Health"), "Status"));
            if (record_save(rec, NULL) == 0) {
                rc = exit_of(now);
                if (strcmp(old, now) != 0) {
                    _cleanup_free_ char *action = xasprintf("health_status: %s", now);
                    engine_event(e, rec->j, action, NULL);
                }
            }
        }
    }
    record_free(rec);
    free(res.output);
    return rc;
}
