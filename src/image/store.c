/* store.c — blobs, records and layer directories on disk; see store.h for the layout. */
#include "image/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

#define RECORDS "repositories.json"
#define RECORDS_MAX (64u << 20)

static int lock_file(int rootfd, const char *name, int how, int *ret_fd, struct hk_error *err)
{
    int fd = openat(rootfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return hk_error_errno(err, -errno, "open lock '%s'", name);
    while (flock(fd, how) < 0) {
        if (errno == EINTR)
            continue;
        int r = -errno;
        close(fd);
        return hk_error_errno(err, r, "lock '%s'", name);
    }
    *ret_fd = fd;
    return 0;
}

int store_open(const char *root, struct store **ret, struct hk_error *err)
{
    static const char *const dirs[] = {"blobs", "blobs/sha256", "layers", "tmp"};
    int r = mkdir_p(root, 0700);
    if (r < 0)
        return hk_error_errno(err, r, "create store '%s'", root);
    _cleanup_close_ int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(err, -errno, "open store '%s'", root);
    for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
        if (mkdirat(fd, dirs[i], 0700) < 0 && errno != EEXIST)
            return hk_error_errno(err, -errno, "create '%s/%s'", root, dirs[i]);
    int lock = -1;
    r = lock_file(fd, "content.lock", LOCK_SH, &lock, err);
    if (r < 0)
        return hk_error_prefix(err, r, "store '%s'", root);
    struct store *s = xcalloc(1, sizeof(*s));
    s->root = xstrdup(root);
    s->root_fd = TAKE_FD(fd);
    s->content_lock = lock;
    *ret = s;
    return 0;
}

struct store *store_free(struct store *s)
{
    if (!s)
        return NULL;
    if (s->content_lock >= 0)
        close(s->content_lock);
    if (s->root_fd >= 0)
        close(s->root_fd);
    free(s->root);
    free(s);
    return NULL;
}

void store_set_holders(struct store *s, store_holders_fn fn, void *userdata)
{
    s->holders = fn;
    s->holders_data = userdata;
}

void store_expand_limit(const struct store *s, struct expand_limit *ret)
{
    *ret = (struct expand_limit){
        .max = s->expand_max ? s->expand_max : STORE_EXPAND_MAX_DEFAULT,
        .fs_fd = s->root_fd,
        .fs_name = s->root,
    };
}

/* --- blobs --------------------------------------------------------------------------------- */

static char *blob_rel(const char *digest)
{
    return xasprintf("blobs/sha256/%s", digest_hex(digest));
}

char *store_blob_path(const struct store *s, const char *digest)
{
    return xasprintf("%s/blobs/sha256/%s", s->root, digest_hex(digest));
}

bool store_has_blob(const struct store *s, const char *digest)
{
    if (!digest_is_valid(digest))
        return false;
    _cleanup_free_ char *rel = blob_rel(digest);
    return faccessat(s->root_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int store_blob_open(const struct store *s, const char *digest, int *ret_fd, struct hk_error *err)
{
    int r = digest_check(digest, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *rel = blob_rel(digest);
    int fd = openat(s->root_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return hk_error_errno(err, -errno, "blob %s", digest);
    *ret_fd = fd;
    return 0;
}

static int read_blob(const struct store *s, const char *digest, size_t max, bool verify,
                     char **ret_buf, size_t *ret_len, struct hk_error *err)
{
    int r = digest_check(digest, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *rel = blob_rel(digest), *buf = NULL;
    size_t len = 0;
    r = read_file_at(s->root_fd, rel, max, &buf, &len, err);
    if (r < 0)
        return hk_error_prefix(err, r, "blob %s", digest);
    r = verify ? digest_verify(digest, buf, len, err) : 0;
    if (r < 0)
        return hk_error_prefix(err, r, "blob %s in store '%s' is corrupt", digest, s->root);
    *ret_buf = TAKE_PTR(buf);
    if (ret_len)
        *ret_len = len;
    return 0;
}

int store_read_blob(const struct store *s, const char *digest, size_t max, char **ret_buf,
                    size_t *ret_len, struct hk_error *err)
{
    return read_blob(s, digest, max, true, ret_buf, ret_len, err);
}

int store_read_blob_trusted(const struct store *s, const char *digest, size_t max,
                            char **ret_buf, size_t *ret_len, struct hk_error *err)
{
    return read_blob(s, digest, max, false, ret_buf, ret_len, err);
}

struct blob_writer {
    struct store *store;
    int fd;
    char *tmp_name; /* relative to root; NULL for an O_TMPFILE */
    struct sha256 *hash;
    char *expected;
    int64_t expected_size;
    uint64_t max, size;
};

int blob_writer_new(struct store *s, const char *expected, int64_t expected_size, uint64_t max,
                    struct blob_writer **ret, struct hk_error *err)
{
    if (expected) {
        int r = digest_check(expected, err);
        if (r < 0)
            return r;
    }
    struct blob_writer *w = xcalloc(1, sizeof(*w));
    w->store = s;
    w->expected = xstrdup(expected);
    w->expected_size = expected_size;
    w->max = max;
    /* An unnamed file: if hako dies mid-write, nothing is left behind. */
    w->fd = openat(s->root_fd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    if (w->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
        _cleanup_free_ char *abs = xasprintf("%s/tmp/blob-XXXXXX", s->root);
        w->fd = mkostemp(abs, O_CLOEXEC);
        if (w->fd >= 0)
            w->tmp_name = xstrdup(abs + strlen(s->root) + 1);
    }
    if (w->fd < 0) {
        int r = hk_error_errno(err, -errno, "create temporary blob in '%s/tmp'", s->root);
        blob_writer_free(w);
        return r;
    }
    int r = sha256_new(&w->hash, err);
    if (r < 0) {
        blob_writer_free(w);
        return r;
    }
    *ret = w;
    return 0;
}

int blob_writer_write(struct blob_writer *w, const void *data, size_t len, struct hk_error *err)
{
    uint64_t limit = w->expected_size >= 0 ? (uint64_t)w->expected_size : w->max;
    if (w->size + len > limit)
        return hk_error_set(err, -EFBIG, "blob %s: more data than the %s %llu bytes",
                            w->expected ? w->expected : "",
                            w->expected_size >= 0 ? "expected" : "limit of",
                            (unsigned long long)limit);
    sha256_update(w->hash, data, len);
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return hk_error_errno(err, -errno, "write blob");
        }
        p += n;
        len -= (size_t)n;
        w->size += (uint64_t)n;
    }
    return 0;
}

uint64_t blob_writer_size(const struct blob_writer *w)
{
    return w->size;
}

static int publish(struct blob_writer *w, const char *digest, struct hk_error *err)
{
    _cleanup_free_ char *rel = blob_rel(digest);
    if (fsync(w->fd) < 0)
        return hk_error_errno(err, -errno, "fsync blob %s", digest);
    if (w->tmp_name) {
        if (renameat(w->store->root_fd, w->tmp_name, w->store->root_fd, rel) < 0)
            return hk_error_errno(err, -errno, "store blob %s", digest);
        free(w->tmp_name);
        w->tmp_name = NULL;
        return 0;
    }
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
    if (linkat(AT_FDCWD, proc, w->store->root_fd, rel, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST)
        return hk_error_errno(err, -errno, "store blob %s", digest);
    return 0;
}

int blob_writer_commit(struct blob_writer *w, char ret_digest[DIGEST_STR_SIZE],
                       struct hk_error *err)
{
    char got[DIGEST_STR_SIZE];
    sha256_final(w->hash, got);
    int r = 0;
    if (w->expected_size >= 0 && w->size != (uint64_t)w->expected_size)
        r = hk_error_set(err, -EBADMSG, "blob %s: size mismatch: expected %lld bytes, got %llu",
                         w->expected ? w->expected : got, (long long)w->expected_size,
                         (unsigned long long)w->size);
    else if (w->expected && strcmp(got, w->expected) != 0)
        r = hk_error_set(err, -EBADMSG, "digest mismatch: expected %s, got %s", w->expected, got);
    if (r == 0)
        r = publish(w, got, err);
    if (r == 0 && ret_digest)
        memcpy(ret_digest, got, DIGEST_STR_SIZE);
    blob_writer_free(w);
    return r;
}

struct blob_writer *blob_writer_free(struct blob_writer *w)
{
    if (!w)
        return NULL;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp_name)
        unlinkat(w->store->root_fd, w->tmp_name, 0);
    free(w->tmp_name);
    free(w->expected);
    sha256_free(w->hash);
    free(w);
    return NULL;
}

int store_put_blob(struct store *s, const void *data, size_t len, const char *expected,
                   char ret_digest[DIGEST_STR_SIZE], struct hk_error *err)
{
    char digest[DIGEST_STR_SIZE];
    int r = digest_buffer(data, len, digest, err);
    if (r < 0)
        return r;
    if (expected && strcmp(expected, digest) != 0)
        return hk_error_set(err, -EBADMSG, "digest mismatch: expected %s, got %s", expected,
                            digest);
    if (ret_digest)
        memcpy(ret_digest, digest, DIGEST_STR_SIZE);
    if (store_has_blob(s, digest))
        return 0;
    struct blob_writer *w = NULL;
    r = blob_writer_new(s, digest, (int64_t)len, len, &w, err);
    if (r < 0)
        return r;
    r = blob_writer_write(w, data, len, err);
    if (r < 0) {
        blob_writer_free(w);
        return r;
    }
    return blob_writer_commit(w, NULL, err);
}

int store_put_blob_fd(struct store *s, int fd, const char *expected, int64_t expected_size,
                      uint64_t max, char ret_digest[DIGEST_STR_SIZE], uint64_t *ret_size,
                      struct hk_error *err)
{
    struct blob_writer *w = NULL;
    int r = blob_writer_new(s, expected, expected_size, max, &w, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *buf = xcalloc(1, 1 << 17);
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 17);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            r = hk_error_errno(err, -errno, "read");
        else if (n > 0)
            r = blob_writer_write(w, buf, (size_t)n, err);
        if (n <= 0 || r < 0)
            break;
    }
    uint64_t size = blob_writer_size(w);
    if (r < 0) {
        blob_writer_free(w);
        return r;
    }
    r = blob_writer_commit(w, ret_digest, err);
    if (r == 0 && ret_size)
        *ret_size = size;
    return r;
}

/* --- records ------------------------------------------------------------------------------- */

int store_records_load(const struct store *s, json_t **ret, struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = read_file_at(s->root_fd, RECORDS, RECORDS_MAX, &text, &len, NULL);
    json_t *j;
    if (r == -ENOENT) {
        j = json_pack("{s:{}, s:{}}", "images", "tags");
    } else if (r < 0) {
        return hk_error_errno(err, r, "read '%s/%s'", s->root, RECORDS);
    } else {
        json_error_t jerr;
        j = json_loadb(text, len, 0, &jerr);
        if (!j || !json_is_object(json_object_get(j, "images")) ||
            !json_is_object(json_object_get(j, "tags"))) {
            json_decref(j);
            return hk_error_set(err, -EINVAL, "%s/%s:%d: corrupt image records: %s", s->root,
                                RECORDS, jerr.line, j ? "missing images or tags" : jerr.text);
        }
    }
    *ret = j;
    return 0;
}

int store_records_update(struct store *s, int (*fn)(json_t *records, void *ud, struct hk_error *e),
                         void *ud, struct hk_error *err)
{
    _cleanup_close_ int lock = -1;
    int r = lock_file(s->root_fd, "repositories.lock", LOCK_EX, &lock, err);
    if (r < 0)
        return r;
    json_t *records = NULL;
    r = store_records_load(s, &records, err);
    if (r < 0)
        return r;
    r = fn(records, ud, err);
    if (r >= 0) {
        char *text = json_dumps(records, JSON_INDENT(1) | JSON_SORT_KEYS);
        if (!text)
            abort();
        _cleanup_free_ char *path = xasprintf("%s/%s", s->root, RECORDS);
        r = write_file_atomic(path, text, strlen(text), 0600, err);
        free(text);
    }
    json_decref(records);
    return r;
}

/* --- layers -------------------------------------------------------------------------------- */

char *store_layer_dir(const struct store *s, const char *chain_id)
{
    return xasprintf("%s/layers/%s", s->root, digest_hex(chain_id));
}

bool store_layer_complete(const struct store *s, const char *chain_id)
{
    if (!digest_is_valid(chain_id))
        return false;
    _cleanup_free_ char *rel = xasprintf("layers/%s/complete", digest_hex(chain_id));
    return faccessat(s->root_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int store_tmpdir(struct store *s, const char *prefix, char **ret_path, struct hk_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/tmp/%s-XXXXXX", s->root, prefix);
    if (!mkdtemp(path))
        return hk_error_errno(err, -errno, "create temporary directory in '%s/tmp'", s->root);
    _cleanup_free_ char *diff = xasprintf("%s/diff", path);
    if (mkdir(diff, 0755) < 0) {
        int r = hk_error_errno(err, -errno, "mkdir '%s'", diff);
        rm_rf(path);
        return r;
    }
    *ret_path = TAKE_PTR(path);
    return 0;
}

int store_layer_commit(struct store *s, const char *tmpdir, const char *chain_id, json_t *meta,
                       struct hk_error *err)
{
    char *text = json_dumps(meta, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (!text)
        abort();
    _cleanup_free_ char *meta_path = xasprintf("%s/meta.json", tmpdir);
    int r = write_file_atomic(meta_path, text, strlen(text), 0600, err);
    free(text);
    if (r < 0)
        return r;
    _cleanup_free_ char *complete = xasprintf("%s/complete", tmpdir);
    r = write_file_atomic(complete, "", 0, 0600, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *dest = store_layer_dir(s, chain_id);
    if (rename(tmpdir, dest) == 0)
        return 0;
    if ((errno == EEXIST || errno == ENOTEMPTY) && store_layer_complete(s, chain_id)) {
        rm_rf(tmpdir); /* another command published the same layer first */
        return 0;
    }
    if (errno == EEXIST || errno == ENOTEMPTY) {
        /* An incomplete leftover from an older hako: replace it. */
        rm_rf(dest);
        if (rename(tmpdir, dest) == 0)
            return 0;
    }
    return hk_error_errno(err, -errno, "publish layer %s", chain_id);
}

int store_layer_meta(const struct store *s, const char *chain_id, json_t **ret,
                     struct hk_error *err)
{
    _cleanup_free_ char *dir = store_layer_dir(s, chain_id);
    _cleanup_free_ char *path = xasprintf("%s/meta.json", dir);
    return json_load_file_text(path, 1u << 20, ret, NULL, err);
}

/* --- garbage collection -------------------------------------------------------------------- */

static void add_ref(json_t *set, const char *digest)
{
    if (digest && digest_is_valid(digest))
        json_object_set_new(set, digest_hex(digest), json_true());
}

/* The hex names of blobs and layers the records reference. */
static void referenced(json_t *records, json_t *blobs, json_t *layers)
{
    const char *id;
    json_t *img;
    json_object_foreach(json_object_get(records, "images"), id, img)
    {
        add_ref(blobs, id);
        add_ref(blobs, json_string_value(json_object_get(img, "manifest")));
        add_ref(blobs, json_string_value(json_object_get(img, "index")));
        size_t i;
        json_t *l;
        json_array_foreach(json_object_get(img, "layers"), i, l)
        {
            add_ref(blobs, json_string_value(json_object_get(l, "digest")));
            add_ref(layers, json_string_value(json_object_get(l, "chain_id")));
        }
    }
}

/* Remove every entry of dir (under root) whose name is not a key of keep (NULL: remove all). */
static int sweep(struct store *s, const char *dir, json_t *keep)
{
    int fd = openat(s->root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    int ret = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (keep && json_object_get(keep, de->d_name))
            continue;
        log_debug("store: removing %s/%s", dir, de->d_name);
        int r = rm_rf_at(dirfd(d), de->d_name);
        if (r < 0)
            ret = r;
    }
    closedir(d);
    return ret;
}

int store_gc(struct store *s, struct hk_error *err)
{
    /* Exclusive without waiting: when another command is pulling or mounting, skip. flock
     * conversion may drop the shared lock on failure, so take it back afterwards. */
    if (flock(s->content_lock, LOCK_EX | LOCK_NB) < 0) {
        flock(s->content_lock, LOCK_SH);
        log_debug("store: busy, garbage collection skipped");
        return 0;
    }
    json_t *records = NULL;
    int r = store_records_load(s, &records, err);
    if (r == 0) {
        json_t *blobs = json_object(), *layers = json_object();
        referenced(records, blobs, layers);
        int r1 = sweep(s, "blobs/sha256", blobs);
        int r2 = sweep(s, "layers", layers);
        int r3 = sweep(s, "tmp", NULL);
        json_decref(blobs);
        json_decref(layers);
        json_decref(records);
        r = r1 < 0 ? r1 : r2 < 0 ? r2 : r3;
        if (r < 0)
            hk_error_errno(err, r, "garbage collection in '%s'", s->root);
    }
    flock(s->content_lock, LOCK_SH);
    return r;
}
