/* lazy-crypto.c — libcrypto forwarders (see lazy.h): the SHA-256 digest hako uses. */
#include <openssl/evp.h>

#include "util/lazy.h"

#define L LAZY_CRYPTO

/* clang-format off */
LAZY_FN(L, EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())
LAZY_VOID(L, EVP_MD_CTX_free, (EVP_MD_CTX *c), (c))
LAZY_FN(L, const EVP_MD *, EVP_sha256, (void), ())
LAZY_FN(L, int, EVP_DigestInit_ex, (EVP_MD_CTX *c, const EVP_MD *t, ENGINE *e), (c, t, e))
LAZY_FN(L, int, EVP_DigestUpdate, (EVP_MD_CTX *c, const void *d, size_t n), (c, d, n))
LAZY_FN(L, int, EVP_DigestFinal_ex, (EVP_MD_CTX *c, unsigned char *md, unsigned int *s), (c, md, s))
/* clang-format on */
