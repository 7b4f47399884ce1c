/* store.h — the content-addressable image store under the engine root.
 *
 *   <root>/blobs/sha256/<hex>       manifests, configs, layer archives; verified on write
 *   <root>/repositories.json        image records and tags (see image.c for the shape)
 *   <root>/layers/<chain-hex>/      diff/ (the unpacked layer), meta.json, complete
 *   <root>/tmp/                     in-flight downloads and unpacks (same filesystem)
 *   <root>/content.lock             flock: shared while a command adds or uses content,
 *                                   exclusive (non-blocking) for garbage collection
 *   <root>/repositories.lock        flock: exclusive around read-modify-write of records
 *
 * Every file appears by rename() of a complete, fsync'ed temporary, so a crash leaves either
 * nothing or something complete; leftovers in tmp/ are swept by the next garbage collection. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "image/decompress.h"
#include "image/digest.h"
#include "util/error.h"

/* Bounds on what hako reads into memory from a store or a registry. */
#define STORE_JSON_MAX (8u << 20) /* manifests, indexes, configs */
/* What one archive (a layer, a `load` or `import` file) may unpack to when the user set no
 * --max-archive-size; the store's free space bounds it too. */
#define STORE_EXPAND_MAX_DEFAULT (UINT64_C(64) << 30)

/* Decides whether containers still use an image. Returns > 0 when in use and, when
 * ret_holder is given, a malloc'd name of one user ("container 'web'"); 0 when unused. */
typedef int (*store_holders_fn)(const char *image_id, void *userdata, char **ret_holder);

struct store {
    char *root;
    int root_fd;      /* O_DIRECTORY of root */
    int content_lock; /* content.lock, held shared while the store is open */
    store_holders_fn holders;
    void *holders_data;
    uint64_t expand_max; /* see store_expand_limit; 0: STORE_EXPAND_MAX_DEFAULT */
};

/* Open (creating when missing) the store at root and take the shared content lock. */
int store_open(const char *root, struct store **ret, struct hk_error *err);
struct store *store_free(struct store *s);

/* The bound on what one archive may expand to in this store: s->expand_max and the free space
 * of the store's filesystem. */
void store_expand_limit(const struct store *s, struct expand_limit *ret);

/* Install the check rmi uses to refuse removing an image that a container uses. */
void store_set_holders(struct store *s, store_holders_fn fn, void *userdata);

/* --- blobs --- */

char *store_blob_path(const struct store *s, const char *digest);
bool store_has_blob(const struct store *s, const char *digest);
/* Open a blob for reading. */
int store_blob_open(const struct store *s, const char *digest, int *ret_fd, struct hk_error *err);
/* Read a blob (at most max bytes) and check its digest. */
int store_read_blob(const struct store *s, const char *digest, size_t max, char **ret_buf,
                    size_t *ret_len, struct hk_error *err);
/* The same without the digest check, for the hot path of every `run` (image lookup): blobs
 * were checked when stored, the store is root's, and hashing means loading libcrypto (~1 ms).
 * save, load and pull still check. */
int store_read_blob_trusted(const struct store *s, const char *digest, size_t max,
                            char **ret_buf, size_t *ret_len, struct hk_error *err);
/* Store data as a blob; when expected is given the data must have that digest. */
int store_put_blob(struct store *s, const void *data, size_t len, const char *expected,
                   char ret_digest[DIGEST_STR_SIZE], struct hk_error *err);

/* Store everything read from fd as a blob (expected and expected_size checked when given, else
 * at most max bytes). ret_digest and ret_size (may be NULL) describe it. */
int store_put_blob_fd(struct store *s, int fd, const char *expected, int64_t expected_size,
                      uint64_t max, char ret_digest[DIGEST_STR_SIZE], uint64_t *ret_size,
                      struct hk_error *err);

/* A blob being written: hashed and counted as it goes, published by commit. */
struct blob_writer;
/* expected (may be NULL) and expected_size (-1 when unknown) are checked at each write and at
 * commit; max bounds the size when it is unknown. */
int blob_writer_new(struct store *s, const char *expected, int64_t expected_size, uint64_t max,
                    struct blob_writer **ret, struct hk_error *err);
int blob_writer_write(struct blob_writer *w, const void *data, size_t len, struct hk_error *err);
uint64_t blob_writer_size(const struct blob_writer *w);
/* Verify digest and size, fsync, rename into blobs/. ret_digest (may be NULL) gets the digest.
 * The writer is consumed either way; on failure nothing is published. */
int blob_writer_commit(struct blob_writer *w, char ret_digest[DIGEST_STR_SIZE],
                       struct hk_error *err);
/* Drop an unfinished blob (removes the temporary file). */
struct blob_writer *blob_writer_free(struct blob_writer *w);

/* --- records --- */

/* The records ({"images": {...}, "tags": {...}}); an absent file is an empty store. */
int store_records_load(const struct store *s, json_t **ret, struct hk_error *err);
/* Lock, load, let fn change the records, save atomically, unlock. fn returning < 0 aborts. */
int store_records_update(struct store *s, int (*fn)(json_t *records, void *ud, struct hk_error *e),
                         void *ud, struct hk_error *err);

/* --- layers --- */

/* <root>/layers/<hex of chain_id> (allocated). */
char *store_layer_dir(const struct store *s, const char *chain_id);
/* True when layers/<chain> exists with its complete marker. */
bool store_layer_complete(const struct store *s, const char *chain_id);
/* A fresh empty directory under tmp/ (allocated path) with an empty diff/ inside. */
int store_tmpdir(struct store *s, const char *prefix, char **ret_path, struct hk_error *err);
/* Publish a layer unpacked in tmpdir/diff: write tmpdir/meta.json and the complete marker,
 * then rename tmpdir to layers/<chain>. When another command published it first, tmpdir is
 * removed and the existing layer kept. */
int store_layer_commit(struct store *s, const char *tmpdir, const char *chain_id, json_t *meta,
                       struct hk_error *err);
/* The layer's meta.json (diff_id, size, ...). */
int store_layer_meta(const struct store *s, const char *chain_id, json_t **ret,
                     struct hk_error *err);

/* Remove blobs and layers no image record references, and stale tmp/ entries. Runs only when
 * no other command holds the store (else it is a no-op returning 0: the next one collects). */
int store_gc(struct store *s, struct hk_error *err);
