/* digest.h — content digests ("sha256:<64 hex>"): checking their syntax, computing them over a
 * stream, and the layer chain IDs derived from them. SHA-256 comes from libcrypto (lazily). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define DIGEST_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define DIGEST_STR_SIZE (7 + DIGEST_HEX_LEN + 1)

struct sha256;

/* A streaming SHA-256. Returns -ENOENT (libcrypto missing) or -ENOMEM with err filled. */
int sha256_new(struct sha256 **ret, struct hk_error *err);
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* Finish into out ("sha256:<hex>"); the hash object can then only be freed. */
void sha256_final(struct sha256 *h, char out[DIGEST_STR_SIZE]);
struct sha256 *sha256_free(struct sha256 *h);

/* Digest of a buffer. */
int digest_buffer(const void *data, size_t len, char out[DIGEST_STR_SIZE], struct hk_error *err);

/* Check the syntax of s: "sha256:" then exactly 64 lowercase hex digits. Other algorithms are
 * refused as unsupported ("sha512:..." is valid OCI but hako does not store it). */
int digest_check(const char *s, struct hk_error *err);
bool digest_is_valid(const char *s);

/* The hex part of a valid digest (the text after "sha256:"). */
const char *digest_hex(const char *digest);

/* Compare the digest of data against expected; on a mismatch the message names both. */
int digest_verify(const char *expected, const void *data, size_t len, struct hk_error *err);

/* The OCI chain ID of a layer: its diff ID when parent is NULL, else
 * sha256(parent_chain_id + " " + diff_id). */
int digest_chain_id(const char *parent_chain, const char *diff_id, char out[DIGEST_STR_SIZE],
                    struct hk_error *err);
