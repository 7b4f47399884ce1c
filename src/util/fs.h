/* fs.h — file helpers: whole-file reads, atomic writes, mkdir -p, rm -rf. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Read a whole file (at most max bytes; -EFBIG beyond) into a NUL-terminated buffer. */
int read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len, struct hk_error *err);
int read_file_at(int dirfd, const char *path, size_t max, char **ret_buf, size_t *ret_len,
                 struct hk_error *err);

/* Write data to path atomically: a temp file in the same directory, fsync, rename. On failure
 * the old file (if any) is untouched and no temp file is left. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      struct hk_error *err);
/* The same without the fsync, for state that lives on tmpfs (/run) and dies with a reboot
 * anyway: readers still see the old file or the new one, never half of one. */
int write_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                       struct hk_error *err);

/* Write a string to an existing file (sysfs, procfs, cgroupfs): one write, no truncation games. */
int write_str(const char *path, const char *s);
int write_str_at(int dirfd, const char *path, const char *s);

/* Read a small file (procfs, cgroupfs) into buf, NUL-terminated, trailing newline stripped. */
int read_str_at(int dirfd, const char *path, char *buf, size_t size);

/* Open (creating, 0600) and flock(LOCK_EX) a lock file; *ret_fd holds the lock until closed. */
int lock_path(const char *path, int *ret_fd, struct hk_error *err);
/* mkdir -p; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode);

/* rm -rf that does not cross into other mounts. A missing path is success. */
int rm_rf(const char *path);
int rm_rf_at(int dirfd, const char *name);

/* Copy a regular file's contents from src_fd to dst_fd. */
int copy_fd(int src_fd, int dst_fd);

bool path_exists(const char *path);

/* Allocating sprintf that aborts on OOM (memory exhaustion is not a recoverable error here). */
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
