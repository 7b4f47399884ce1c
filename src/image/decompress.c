#include "image/decompress.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/human.h"
#include "util/lazy.h"

#define SPACE_CHECK_EVERY (UINT64_C(8) << 20)

struct dstream {
    struct archive *a;
    struct sha256 *hash;
    uint64_t bytes;
    bool eof, finished;
    char digest[DIGEST_STR_SIZE];
    struct expand_limit lim;
    bool limited, by_space; /* by_space: the free space is the tighter bound */
    uint64_t budget, reserve, next_check;
};

/* Bytes available to unprivileged writers on fd's filesystem, and the reserve to keep. */
static int free_space(int fd, uint64_t *ret_avail, uint64_t *ret_reserve)
{
    struct statvfs v;
    if (fstatvfs(fd, &v) < 0)
        return -errno;
    uint64_t total = (uint64_t)v.f_blocks * v.f_frsize;
    *ret_avail = (uint64_t)v.f_bavail * v.f_frsize;
    *ret_reserve = total / EXPAND_RESERVE_SHARE;
    if (*ret_reserve > EXPAND_RESERVE_MAX)
        *ret_reserve = EXPAND_RESERVE_MAX;
    return 0;
}

int dstream_set_limit(struct dstream *d, const struct expand_limit *l, struct hk_error *err)
{
    if (!l)
        return 0;
    d->lim = *l;
    d->limited = true;
    d->budget = l->max ? l->max : UINT64_MAX;
    if (l->fs_fd < 0)
        return 0;
    uint64_t avail, reserve;
    int r = free_space(l->fs_fd, &avail, &reserve);
    if (r < 0)
        return hk_error_errno(err, r, "free space on '%s'", l->fs_name);
    d->reserve = reserve;
    uint64_t room = avail > reserve ? avail - reserve : 0;
    if (d->bytes + room < d->budget) {
        room += d->bytes;
        d->budget = room;
        d->by_space = true;
    }
    d->next_check = d->bytes + SPACE_CHECK_EVERY;
    return 0;
}

static int over_limit(struct dstream *d, struct hk_error *err)
{
    char a[32], b[32];
    if (!d->by_space)
        return hk_error_set(err, -EFBIG,
                            "expands to more than %s (%llu bytes), the maximum "
                            "(--max-archive-size or $HAKO_MAX_ARCHIVE_SIZE): stopped",
                            human_size(d->budget, a, sizeof(a)), (unsigned long long)d->budget);
    return hk_error_set(err, -ENOSPC,
                        "expands to more than the free space on '%s' (%s, less %s kept free): "
                        "stopped",
                        d->lim.fs_name, human_size(d->budget + d->reserve, a, sizeof(a)),
                        human_size(d->reserve, b, sizeof(b)));
}

/* After a read: stop when past the budget, or when the filesystem's free space (shared with
 * other writers) fell under the reserve. */
static int check_limit(struct dstream *d, struct hk_error *err)
{
    if (d->bytes > d->budget)
        return over_limit(d, err);
    if (d->lim.fs_fd < 0 || d->bytes < d->next_check)
        return 0;
    d->next_check = d->bytes + SPACE_CHECK_EVERY;
    uint64_t avail, reserve;
    if (free_space(d->lim.fs_fd, &avail, &reserve) == 0 && avail < reserve) {
        char a[32], b[32], c[32];
        return hk_error_set(err, -ENOSPC,
                            "the filesystem of '%s' is down to %s free (hako keeps %s): stopped "
                            "after %s",
                            d->lim.fs_name, human_size(avail, a, sizeof(a)),
                            human_size(reserve, b, sizeof(b)),
                            human_size(d->bytes, c, sizeof(c)));
    }
    return 0;
}

int dstream_open(int fd, struct dstream **ret, struct hk_error *err)
{
    int r = lazy_require(LAZY_ARCHIVE, err);
    if (r < 0)
        return r;
    struct dstream *d = xcalloc(1, sizeof(*d));
    r = sha256_new(&d->hash, err);
    if (r < 0) {
        dstream_free(d);
        return r;
    }
    d->a = archive_read_new();
    if (!d->a) {
        dstream_free(d);
        return hk_error_set(err, -ENOMEM, "archive_read_new failed");
    }
    /* Only in-process decoders: no filter that runs an external program. */
    archive_read_support_filter_gzip(d->a);
    archive_read_support_filter_zstd(d->a);
    archive_read_support_filter_xz(d->a);
    archive_read_support_filter_bzip2(d->a);
    archive_read_support_format_raw(d->a);
    struct archive_entry *e;
    if (archive_read_open_fd(d->a, fd, 128 * 1024) != ARCHIVE_OK ||
        archive_read_next_header(d->a, &e) != ARCHIVE_OK) {
        const char *why = archive_error_string(d->a);
        if (!why || !*why) {
            /* An empty stream has no "entry" at all: treat it as zero bytes. */
            d->eof = true;
        } else {
            r = hk_error_set(err, -EINVAL, "decompress: %s", why);
            dstream_free(d);
            return r;
        }
    }
    *ret = d;
    return 0;
}

ssize_t dstream_read(struct dstream *d, void *buf, size_t n, struct hk_error *err)
{
    if (d->eof)
        return 0;
    la_ssize_t got = archive_read_data(d->a, buf, n);
    if (got < 0)
        return hk_error_set(err, -EIO, "decompress (%s): %s", dstream_compression(d),
                            archive_error_string(d->a));
    if (got == 0)
        d->eof = true;
    sha256_update(d->hash, buf, (size_t)got);
    d->bytes += (uint64_t)got;
    if (d->limited) {
        int r = check_limit(d, err);
        if (r < 0)
            return r;
    }
    return got;
}

int dstream_drain(struct dstream *d, struct hk_error *err)
{
    char buf[65536];
    for (;;) {
        ssize_t n = dstream_read(d, buf, sizeof(buf), err);
        if (n <= 0)
            return (int)n;
    }
}

void dstream_digest(struct dstream *d, char out[DIGEST_STR_SIZE])
{
    if (!d->finished) {
        sha256_final(d->hash, d->digest);
        d->finished = true;
    }
    memcpy(out, d->digest, DIGEST_STR_SIZE);
}

uint64_t dstream_bytes(const struct dstream *d)
{
    return d->bytes;
}

const char *dstream_compression(const struct dstream *d)
{
    if (!d->a || archive_filter_count(d->a) < 2)
        return "none";
    switch (archive_filter_code(d->a, 0)) {
    case ARCHIVE_FILTER_GZIP:
        return "gzip";
    case ARCHIVE_FILTER_ZSTD:
        return "zstd";
    case ARCHIVE_FILTER_XZ:
        return "xz";
    case ARCHIVE_FILTER_BZIP2:
        return "bzip2";
    default:
        return "none";
    }
}

struct dstream *dstream_free(struct dstream *d)
{
    if (!d)
        return NULL;
    if (d->a)
        archive_read_free(d->a);
    sha256_free(d->hash);
    free(d);
    return NULL;
}

static int write_all(int fd, const char *p, size_t n, struct hk_error *err)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return hk_error_errno(err, -errno, "write");
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int decompress_to_fd(int in_fd, int out_fd, const struct expand_limit *lim,
                     char ret_digest[DIGEST_STR_SIZE], uint64_t *ret_size, struct hk_error *err)
{
    struct dstream *d = NULL;
    int r = dstream_open(in_fd, &d, err);
    if (r == 0)
        r = dstream_set_limit(d, lim, err);
    if (r < 0) {
        dstream_free(d);
        return r;
    }
    _cleanup_free_ char *buf = xcalloc(1, 1 << 17);
    for (;;) {
        ssize_t n = dstream_read(d, buf, 1 << 17, err);
        if (n < 0) {
            r = (int)n;
            break;
        }
        if (n == 0)
            break;
        r = write_all(out_fd, buf, (size_t)n, err);
        if (r < 0)
            break;
    }
    if (r == 0) {
        if (ret_digest)
            dstream_digest(d, ret_digest);
        if (ret_size)
            *ret_size = dstream_bytes(d);
    }
    dstream_free(d);
    return r;
}
