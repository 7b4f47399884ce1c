#include "image/digest.h"

#include <openssl/evp.h>
#include <string.h>

#include "util/fs.h"
#include "util/lazy.h"

struct sha256 {
    EVP_MD_CTX *ctx;
};

int sha256_new(struct sha256 **ret, struct hk_error *err)
{
    int r = lazy_require(LAZY_CRYPTO, err);
    if (r < 0)
        return r;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return hk_error_set(err, -ENOMEM, "sha256: cannot allocate a digest context");
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return hk_error_set(err, -EIO, "sha256: EVP_DigestInit_ex failed");
    }
    struct sha256 *h = xcalloc(1, sizeof(*h));
    h->ctx = ctx;
    *ret = h;
    return 0;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
    if (len > 0 && EVP_DigestUpdate(h->ctx, data, len) != 1)
        abort(); /* only fails on a corrupt context */
}

void sha256_final(struct sha256 *h, char out[DIGEST_STR_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[32];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != sizeof(md))
        abort();
    memcpy(out, "sha256:", 7);
    for (size_t i = 0; i < sizeof(md); i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[7 + 2 * i + 1] = hex[md[i] & 15];
    }
    out[DIGEST_STR_SIZE - 1] = '\0';
}

struct sha256 *sha256_free(struct sha256 *h)
{
    if (h) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
    }
    return NULL;
}

int digest_buffer(const void *data, size_t len, char out[DIGEST_STR_SIZE], struct hk_error *err)
{
    struct sha256 *h = NULL;
    int r = sha256_new(&h, err);
    if (r < 0)
        return r;
    sha256_update(h, data, len);
    sha256_final(h, out);
    sha256_free(h);
    return 0;
}

bool digest_is_valid(const char *s)
{
    if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + DIGEST_HEX_LEN)
        return false;
    for (const char *p = s + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

int digest_check(const char *s, struct hk_error *err)
{
    if (!s || !*s)
        return hk_error_set(err, -EINVAL, "empty digest");
    if (digest_is_valid(s))
        return 0;
    const char *colon = strchr(s, ':');
    if (colon && strncmp(s, "sha256:", 7) != 0) {
        /* "algorithm:encoded" with a plausible algorithm name */
        if (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789+._-") == (size_t)(colon - s))
            return hk_error_set(err, -EOPNOTSUPP, "digest '%.80s': unsupported algorithm '%.*s'", s,
                                (int)(colon - s), s);
    }
    return hk_error_set(err, -EINVAL, "invalid digest '%.80s': expected sha256:<64 hex digits>", s);
}

const char *digest_hex(const char *digest)
{
    const char *c = strchr(digest, ':');
    return c ? c + 1 : digest;
}

int digest_verify(const char *expected, const void *data, size_t len, struct hk_error *err)
{
    char got[DIGEST_STR_SIZE];
    int r = digest_buffer(data, len, got, err);
    if (r < 0)
        return r;
    if (strcmp(got, expected) != 0)
        return hk_error_set(err, -EBADMSG, "digest mismatch: expected %s, got %s", expected, got);
    return 0;
}

int digest_chain_id(const char *parent_chain, const char *diff_id, char out[DIGEST_STR_SIZE],
                    struct hk_error *err)
{
    if (!parent_chain) {
        snprintf(out, DIGEST_STR_SIZE, "%s", diff_id);
        return 0;
    }
    _cleanup_free_ char *s = xasprintf("%s %s", parent_chain, diff_id);
    return digest_buffer(s, strlen(s), out, err);
}
