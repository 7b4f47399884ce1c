/* decompress.h — a byte stream read through whatever compression it carries (gzip, zstd, xz,
 * bzip2 or none, detected from the data) and hashed as it is read: the SHA-256 of the
 * uncompressed bytes is a layer's diff ID. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "image/digest.h"
#include "util/error.h"

struct dstream;

/* How far a stream may expand: what an archive unpacks to lands on disk, so a small bomb
 * (2 MB of gzip can hold terabytes of zeros) must stop early rather than fill the filesystem. */
struct expand_limit {
    uint64_t max;        /* at most this many bytes (0: no fixed maximum) */
    int fs_fd;           /* an fd on the filesystem the output goes to (-1: none), whose free
                          * space, less a reserve (EXPAND_RESERVE_*), also bounds it */
    const char *fs_name; /* that filesystem's directory, for messages */
};
/* The reserve kept free: 5% of the filesystem, at most 1 GiB. */
#define EXPAND_RESERVE_SHARE 20
#define EXPAND_RESERVE_MAX (UINT64_C(1) << 30)

/* Read from fd (not taken over; it must stay open until dstream_free). */
int dstream_open(int fd, struct dstream **ret, struct hk_error *err);
/* Bound what d may still produce (NULL: no bound). The free space is read now and again every
 * few MiB (other writers share the filesystem); a read past either bound fails with -EFBIG
 * (the maximum) or -ENOSPC (free space) and a message saying which. */
int dstream_set_limit(struct dstream *d, const struct expand_limit *l, struct hk_error *err);
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

/* Decompress in_fd into out_fd within lim (may be NULL); ret_digest and ret_size (may be NULL)
 * describe the output. */
int decompress_to_fd(int in_fd, int out_fd, const struct expand_limit *lim,
                     char ret_digest[DIGEST_STR_SIZE], uint64_t *ret_size, struct hk_error *err);
