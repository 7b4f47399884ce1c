/* runtime-values.h — parsing the values runc's command line takes (cli/runtime-values.c). */
#pragma once

#include <stdint.h>

/* A size as runc reads it (docker's RAMInBytes): "1048576", "512k", "1.5g", "64MiB", "-1". */
int rt_parse_size(const char *s, int64_t *ret);
/* A whole decimal int64. */
int rt_parse_i64(const char *s, int64_t *ret);
/* A Go duration as runc's --interval takes it ("5s", "250ms", "1m30s", "1.5s"), in ms, in
 * [1 ms, 24 h]; -ERANGE outside. */
int rt_parse_duration_ms(const char *s, long *ret);
