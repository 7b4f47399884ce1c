/* human.h — sizes and durations as people (and docker) write them. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Decimal units with 3 significant digits, as docker's units.HumanSize: "4.26MB", "512B",
 * "1.2GB". Writes into buf (at least 16 bytes) and returns it. */
const char *human_size(uint64_t bytes, char *buf, size_t size);

/* An approximate duration as docker's units.HumanDuration: "Less than a second", "2 hours",
 * "About a minute", "3 weeks", "2 years". Negative values count as 0. */
const char *human_duration(int64_t seconds, char *buf, size_t size);

/* Seconds since the epoch of an RFC 3339 time ("2024-01-02T03:04:05.123Z", "+02:00"), or -1. */
int64_t human_parse_time(const char *s);
