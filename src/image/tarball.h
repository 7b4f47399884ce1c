/* tarball.h — writing simple tar archives (root-owned entries, POSIX pax format) to memory or
 * to a file descriptor: the busybox layer, `hako save` output. Entries are written in the
 * order given with the times given, so the same calls make the same bytes. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "util/error.h"

struct tarball;

/* Into memory (read it back with tarball_data after tarball_close). */
int tarball_new_memory(struct tarball **ret, struct hk_error *err);
/* Into fd (not taken over). */
int tarball_new_fd(int fd, struct tarball **ret, struct hk_error *err);

int tarball_add_dir(struct tarball *t, const char *path, mode_t mode, time_t mtime,
                    struct hk_error *err);
int tarball_add_data(struct tarball *t, const char *path, mode_t mode, time_t mtime,
                     const void *data, size_t len, struct hk_error *err);
/* A regular file of size bytes read from fd (from its current offset). */
int tarball_add_fd(struct tarball *t, const char *path, mode_t mode, time_t mtime, int fd,
                   uint64_t size, struct hk_error *err);
int tarball_add_symlink(struct tarball *t, const char *path, const char *target, time_t mtime,
                        struct hk_error *err);
/* Write the end-of-archive blocks. */
int tarball_close(struct tarball *t, struct hk_error *err);
const void *tarball_data(const struct tarball *t, size_t *ret_len);
struct tarball *tarball_free(struct tarball *t);
