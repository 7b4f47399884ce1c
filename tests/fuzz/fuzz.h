/* fuzz.h — what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each fuzz-<target>.c defines LLVMFuzzerTestOneInput(): it feeds the input to one parser,
 * frees everything (LeakSanitizer runs with ASan), and checks the parser's contract with
 * FUZZ_CHECK, which aborts so libFuzzer (or the replay test) reports the input. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The input as a NUL-terminated string (malloc'd); an embedded NUL ends it early, as it would
 * for any C string the parsers get. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Take the first line (without its '\n') off the input as a string; *data and *size are
 * advanced past it. Without a '\n' the whole input is the line. */
static inline char *fuzz_line(const uint8_t **data, size_t *size)
{
    const uint8_t *nl = memchr(*data, '\n', *size);
    size_t n = nl ? (size_t)(nl - *data) : *size;
    char *s = fuzz_str(*data, n);
    *data += nl ? n + 1 : n;
    *size -= nl ? n + 1 : n;
    return s;
}

/* Whether a '/'-separated path has a component equal to c ("." or ".."). */
static inline int fuzz_has_component(const char *path, const char *c)
{
    size_t n = strlen(c);
    for (const char *p = path; p; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
        if (strncmp(p, c, n) == 0 && (p[n] == '/' || p[n] == '\0'))
            return 1;
    return 0;
}
