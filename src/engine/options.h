/* options.h — the values of docker's run flags, parsed as docker parses them. Pure functions:
 * each error message names the value and what was expected. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

/* "16m", "1g", "512k", "1.5GiB", "100" (bytes): binary multiples, as docker's RAMInBytes. */
int opt_parse_bytes(const char *s, int64_t *ret, struct hk_error *err);

/* "1.5" CPUs as nano-CPUs (1500000000). */
int opt_parse_cpus(const char *s, int64_t *ret, struct hk_error *err);

/* "nofile=1024[:2048]" (-1 is unlimited) as {"Name": "nofile", "Soft": 1024, "Hard": 2048}. */
int opt_parse_ulimit(const char *s, json_t **ret, struct hk_error *err);
/* RLIMIT_* of a docker ulimit name ("nofile"), or -EINVAL. */
int opt_rlimit_resource(const char *name);

/* "/path[:opts]": adds "/path": "opts" to the Tmpfs object. */
int opt_parse_tmpfs(const char *s, json_t *tmpfs, struct hk_error *err);

/* "SIGTERM", "TERM", "term", "15" → 15; "RTMIN+3", "SIGRTMAX-1" too. */
int opt_parse_signal(const char *s, int *ret, struct hk_error *err);
/* "SIGTERM" for 15 (static), or NULL. */
const char *opt_signal_name(int sig);

/* KEY=VALUE lines of an --env-file (blank lines and # comments skipped; a bare KEY takes the
 * value from our environment, or is dropped) appended to env. */
int opt_read_env_file(const char *path, json_t *env, struct hk_error *err);

/* "CTR:HOST:SIZE" (--uidmap/--gidmap) as {"ContainerID", "HostID", "Size"}. */
int opt_parse_idmap(const char *s, json_t **ret, struct hk_error *err);

/* "1h30m15s", "10m", "2.5s", "500ms" as nanoseconds (Go's durations, as docker takes them);
 * false when s is not a duration or does not fit. */
bool opt_parse_duration(const char *s, int64_t *ret);

/* logs --since/--until: RFC 3339 ("2024-01-02T03:04:05Z", "2024-01-02"), a unix time
 * ("1700000000[.5]") or a duration before now ("10m", "1h30m", "45s"). Nanoseconds since the
 * epoch. */
int opt_parse_time(const char *s, int64_t now_ns, int64_t *ret_ns, struct hk_error *err);
