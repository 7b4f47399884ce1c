/* health.h — docker's healthchecks, kept without a daemon.
 *
 * A container whose merged Config.Healthcheck has a test (the image's HEALTHCHECK or run's
 * --health-* flags) is probed by its own monitor: hako-monitor (tiny/monitor.c) spawns
 * `hako health-probe ID` on the interval, which runs the test through the runtime's exec (the
 * same path as `hako exec`), and records the result in State.Health as docker does (Status
 * starting|healthy|unhealthy, FailingStreak, the last 5 results in Log), with a
 * `health_status: STATUS` event on each change. Its exit status tells the monitor the status,
 * which chooses the next delay (--health-start-interval while starting in the start period). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/record.h"
#include "util/error.h"

struct oci_process;

/* A container's healthcheck with docker's defaults filled in (nanoseconds). */
struct health_config {
    const json_t *test; /* ["CMD", args...] or ["CMD-SHELL", cmd] (borrowed) */
    int64_t interval, timeout, start_period, start_interval;
    int retries;
};

/* The healthcheck of a container's merged Config; false when it has none (no Healthcheck,
 * an empty test or ["NONE"]). */
bool health_config_of(const json_t *config, struct health_config *ret);

/* docker's daemon checks of a Healthcheck object (durations of 0 or at least 1ms, retries not
 * negative, a test of CMD, CMD-SHELL or NONE), with its messages. */
int health_check(const json_t *hc, struct hk_error *err);

/* The image's Healthcheck completed with the flags' as docker merges them: the flags' fields
 * win where set. New reference, or NULL when neither has one. */
json_t *health_merge(const json_t *image_hc, const json_t *flags_hc);

/* On a start: State.Health back to starting with no failing streak (its Log kept), or gone
 * when the container has no healthcheck. */
void health_reset(json_t *rec);

/* The exit status of `hako health-probe`: the status after the probe, or that none ran. */
enum { HEALTH_EXIT_STARTING, HEALTH_EXIT_HEALTHY, HEALTH_EXIT_UNHEALTHY, HEALTH_EXIT_SKIPPED };

/* The process to probe running container id with (the container's user, env and cwd, the
 * test as args). 1 when there is nothing to probe (not running, paused, no healthcheck). */
int health_probe_prepare(const struct engine *e, const char *id, struct oci_process **ret,
                         struct hk_error *err);

/* Run p in the container (killed after the timeout), record the result in State.Health and
 * emit health_status when the status changed. Returns a HEALTH_EXIT_* value. */
int health_probe_run(const struct engine *e, const char *id, const struct oci_process *p);

/* Go's time.Duration.String() of ns ("30s", "1m30s", "500ms"), into buf. */
const char *health_duration(int64_t ns, char *buf, size_t size);
