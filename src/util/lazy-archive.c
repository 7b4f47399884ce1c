/* lazy-archive.c — libarchive forwarders (see lazy.h). Each function hako calls is listed once. */
#include <archive.h>
#include <archive_entry.h>

#include "util/lazy.h"

#define L LAZY_ARCHIVE

typedef struct archive A;
typedef struct archive_entry E;

/* clang-format off */
/* reading */
LAZY_FN(L, A *, archive_read_new, (void), ())
LAZY_FN(L, int, archive_read_free, (A *a), (a))
LAZY_FN(L, int, archive_read_support_filter_gzip, (A *a), (a))
LAZY_FN(L, int, archive_read_support_filter_zstd, (A *a), (a))
LAZY_FN(L, int, archive_read_support_filter_xz, (A *a), (a))
LAZY_FN(L, int, archive_read_support_filter_bzip2, (A *a), (a))
LAZY_FN(L, int, archive_read_support_format_tar, (A *a), (a))
LAZY_FN(L, int, archive_read_support_format_raw, (A *a), (a))
LAZY_FN(L, int, archive_read_open,
        (A *a, void *d, archive_open_callback *o, archive_read_callback *r, archive_close_callback *c),
        (a, d, o, r, c))
LAZY_FN(L, int, archive_read_open_fd, (A *a, int fd, size_t block), (a, fd, block))
LAZY_FN(L, int, archive_read_next_header, (A *a, E **e), (a, e))
LAZY_FN(L, la_ssize_t, archive_read_data, (A *a, void *buf, size_t n), (a, buf, n))
LAZY_FN(L, int, archive_read_data_block, (A *a, const void **b, size_t *n, la_int64_t *off),
        (a, b, n, off))
LAZY_FN(L, int, archive_read_data_skip, (A *a), (a))
LAZY_FN(L, int, archive_filter_count, (A *a), (a))
LAZY_FN(L, int, archive_filter_code, (A *a, int n), (a, n))
LAZY_FN(L, const char *, archive_error_string, (A *a), (a))
LAZY_FN(L, int, archive_errno, (A *a), (a))

/* writing */
LAZY_FN(L, A *, archive_write_new, (void), ())
LAZY_FN(L, int, archive_write_free, (A *a), (a))
LAZY_FN(L, int, archive_write_set_format_pax_restricted, (A *a), (a))
LAZY_FN(L, int, archive_write_set_bytes_in_last_block, (A *a, int n), (a, n))
LAZY_FN(L, int, archive_write_open,
        (A *a, void *d, archive_open_callback *o, archive_write_callback *w, archive_close_callback *c),
        (a, d, o, w, c))
LAZY_FN(L, int, archive_write_open_fd, (A *a, int fd), (a, fd))
LAZY_FN(L, int, archive_write_header, (A *a, E *e), (a, e))
LAZY_FN(L, la_ssize_t, archive_write_data, (A *a, const void *buf, size_t n), (a, buf, n))
LAZY_FN(L, int, archive_write_close, (A *a), (a))
LAZY_FN(L, int, archive_write_set_format_raw, (A *a), (a))
LAZY_FN(L, int, archive_write_add_filter_gzip, (A *a), (a))
LAZY_FN(L, int, archive_write_add_filter_zstd, (A *a), (a))
LAZY_FN(L, int, archive_write_set_options, (A *a, const char *o), (a, o))

/* entries */
LAZY_FN(L, E *, archive_entry_new, (void), ())
LAZY_VOID(L, archive_entry_free, (E *e), (e))
LAZY_FN(L, E *, archive_entry_clear, (E *e), (e))
LAZY_FN(L, const char *, archive_entry_pathname, (E *e), (e))
LAZY_FN(L, __LA_MODE_T, archive_entry_filetype, (E *e), (e))
LAZY_FN(L, __LA_MODE_T, archive_entry_perm, (E *e), (e))
LAZY_FN(L, la_int64_t, archive_entry_uid, (E *e), (e))
LAZY_FN(L, la_int64_t, archive_entry_gid, (E *e), (e))
LAZY_FN(L, la_int64_t, archive_entry_size, (E *e), (e))
LAZY_FN(L, time_t, archive_entry_mtime, (E *e), (e))
LAZY_FN(L, long, archive_entry_mtime_nsec, (E *e), (e))
LAZY_FN(L, const char *, archive_entry_symlink, (E *e), (e))
LAZY_FN(L, const char *, archive_entry_hardlink, (E *e), (e))
LAZY_FN(L, dev_t, archive_entry_rdevmajor, (E *e), (e))
LAZY_FN(L, dev_t, archive_entry_rdevminor, (E *e), (e))
LAZY_FN(L, int, archive_entry_xattr_reset, (E *e), (e))
LAZY_FN(L, int, archive_entry_xattr_next, (E *e, const char **n, const void **v, size_t *s),
        (e, n, v, s))
LAZY_VOID(L, archive_entry_xattr_add_entry, (E *e, const char *n, const void *v, size_t s),
          (e, n, v, s))
LAZY_VOID(L, archive_entry_set_pathname, (E *e, const char *p), (e, p))
LAZY_VOID(L, archive_entry_set_filetype, (E *e, unsigned int t), (e, t))
LAZY_VOID(L, archive_entry_set_perm, (E *e, __LA_MODE_T m), (e, m))
LAZY_VOID(L, archive_entry_set_uid, (E *e, la_int64_t u), (e, u))
LAZY_VOID(L, archive_entry_set_gid, (E *e, la_int64_t g), (e, g))
LAZY_VOID(L, archive_entry_set_size, (E *e, la_int64_t s), (e, s))
LAZY_VOID(L, archive_entry_set_mtime, (E *e, time_t t, long ns), (e, t, ns))
LAZY_VOID(L, archive_entry_set_symlink, (E *e, const char *t), (e, t))
LAZY_VOID(L, archive_entry_set_hardlink, (E *e, const char *t), (e, t))
LAZY_VOID(L, archive_entry_set_rdevmajor, (E *e, dev_t d), (e, d))
LAZY_VOID(L, archive_entry_set_rdevminor, (E *e, dev_t d), (e, d))
LAZY_VOID(L, archive_entry_copy_stat, (E *e, const struct stat *st), (e, st))
/* clang-format on */
