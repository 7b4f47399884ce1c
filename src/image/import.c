/* import.c — `hako import`: a root filesystem tarball (gzip, zstd, xz, bzip2 or plain) becomes
 * a one-layer image. The layer is stored uncompressed, so its digest is its diff ID. */
#include <string.h>
#include <time.h>

#include "image/archive-io.h"
#include "image/decompress.h"
#include "image/manifest.h"
#include "util/fs.h"

#define IMPORT_MAX (UINT64_C(1) << 42)

static int store_decompressed(struct store *s, int fd, char digest[DIGEST_STR_SIZE],
                              uint64_t *ret_size, struct hk_error *err)
{
    struct dstream *d = NULL;
    struct blob_writer *w = NULL;
    struct expand_limit lim;
    store_expand_limit(s, &lim);
    int r = dstream_open(fd, &d, err);
    if (r == 0)
        r = dstream_set_limit(d, &lim, err);
    if (r == 0)
        r = blob_writer_new(s, NULL, -1, IMPORT_MAX, &w, err);
    _cleanup_free_ char *buf = xcalloc(1, 1 << 17);
    while (r == 0) {
        ssize_t n = dstream_read(d, buf, 1 << 17, err);
        if (n <= 0) {
            r = (int)n;
            break;
        }
        r = blob_writer_write(w, buf, (size_t)n, err);
    }
    dstream_free(d);
    if (r < 0) {
        blob_writer_free(w);
        return r;
    }
    *ret_size = blob_writer_size(w);
    if (*ret_size == 0) {
        blob_writer_free(w);
        return hk_error_set(err, -EINVAL, "the input is empty");
    }
    return blob_writer_commit(w, digest, err);
}

int image_import(struct store *s, int fd, const char *tag, const char *comment, json_t *config,
                 char ret_id[DIGEST_STR_SIZE], struct hk_error *err)
{
    char digest[DIGEST_STR_SIZE];
    uint64_t size = 0;
    int r = store_decompressed(s, fd, digest, &size, err);
    if (r < 0)
        return r;
    char created[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    struct platform p;
    platform_host(&p);
    json_t *cfg = json_pack("{s:s, s:s, s:s, s:{}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "created",
                            created, "architecture", p.arch, "os", p.os, "config", "rootfs", "type",
                            "layers", "diff_ids", digest, "history", "created", created, "comment",
                            comment ? comment : "imported");
    if (config)
        json_object_set(cfg, "config", config);
    _cleanup_free_ char *text = json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(cfg);
    json_t *layers = json_pack("[{s:s, s:s, s:I, s:s}]", "digest", digest, "media_type",
                               MT_OCI_LAYER, "size", (json_int_t)size, "diff_id", digest);
    r = image_compose(s, text, strlen(text), layers, tag, NULL, ret_id, err);
    json_decref(layers);
    if (r < 0)
        store_gc(s, NULL);
    return r;
}
