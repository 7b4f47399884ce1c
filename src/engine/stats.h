/* stats.h — `hako stats`: one sample of a running container's counters, and docker's
 * derived numbers (CPU %, memory usage without the page cache, MEM %). */
#pragma once

#include <stdint.h>

#include "engine/record.h"
#include "util/error.h"

struct stats_sample {
    uint64_t cpu_ns;    /* the container's CPU time */
    uint64_t system_ns; /* the host's CPU time (all CPUs, /proc/stat) */
    unsigned cpus;      /* online CPUs */
    uint64_t mem_usage; /* without the inactive page cache, as docker shows it */
    uint64_t mem_limit; /* the memory limit, or the host's memory */
    uint64_t net_rx, net_tx;
    uint64_t blk_read, blk_write;
    uint64_t pids;
};

/* Sample container id, whose init has host pid pid (for its network counters). */
int stats_sample(const struct engine *e, const char *id, int pid, struct stats_sample *ret,
                 struct hk_error *err);

/* docker's CPU %: the container's share of the host's CPU time between two samples, times the
 * number of CPUs (so one busy CPU of four is 100%). */
double stats_cpu_percent(const struct stats_sample *prev, const struct stats_sample *cur);
double stats_mem_percent(const struct stats_sample *s);

/* docker's units.BytesSize ("1.5MiB") and HumanSizeWithPrecision(…, 3) ("12.3kB"). */
const char *stats_binary_size(uint64_t v, char *buf, size_t size);
const char *stats_decimal_size(uint64_t v, char *buf, size_t size);
