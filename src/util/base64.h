/* base64.h — standard base64 (RFC 4648, with padding), for HTTP Basic credentials. */
#pragma once

#include <stddef.h>

/* Encode len bytes; returns a NUL-terminated allocated string. */
char *base64_encode(const void *data, size_t len);
/* Decode s (padding optional, no whitespace); -EINVAL on a bad character. The result is
 * NUL-terminated; *ret_len (may be NULL) excludes the NUL. */
int base64_decode(const char *s, char **ret, size_t *ret_len);
