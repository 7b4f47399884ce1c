/* decompress.h — a byte stream read through whatever compression it carries (gzip, zstd, xz,
 * bzip2 or none, detected from the data) and hashed as it is read: the SHA-256 of the
 * uncompressed bytes is a layer's diff ID. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "util/error.h"

struct dstream;

/* Read from fd (not taken over; it must stay open until dstream_free). */
int dstream_open(int fd, struct dstream **ret, struct hk_error *err);
/* Up to n decompressed bytes into buf; 0 at the end of the stream. */
ssize_t dstream_read(struct dstream *d, void *buf, size_t n, struct hk_error *err);
/* Read and hash whatever is left (a tar's trailing padding). */
int dstream_drain(struct dstream *d, struct hk_error *err);
/* After the end: "sha256:..." of all decompressed bytes. */
void dstream_digest(struct dstream *d, char out[DIGEST_STR_SIZE]);
uint64_t dstream_bytes(const struct dstream *d);
/* "gzip", "zstd", "xz", "bzip2" or "none". */
const char *dstream_compression(const struct dstream *d);
struct dstream *dstream_free(struct dstream *d);

/* Decompress in_fd into out_fd; ret_digest and ret_size (may be NULL) describe the output. */
int decompress_to_fd(int in_fd, int out_fd, char ret_digest[DIGEST_STR_SIZE], uint64_t *ret_size,
                     struct hk_error *err);
