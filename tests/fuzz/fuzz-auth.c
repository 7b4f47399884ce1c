/* fuzz-auth.c — what hako reads from a registry and from the credentials file: a
 * WWW-Authenticate header (auth_parse_challenge), base64 (base64_decode), and the auth file
 * (auth_get, through a memfd so nothing touches the disk).
 *
 * Input: the first line is the header (also decoded as base64), the rest the file. */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "image/auth.h"
#include "util/base64.h"

static void challenge(const char *header)
{
    struct auth_challenge c = {0};
    struct hk_error err = {0};
    if (auth_parse_challenge(header, &c, &err) == 0) {
        FUZZ_CHECK(c.scheme && c.scheme[0] && strlen(c.scheme) <= strlen(header));
        FUZZ_CHECK(!c.realm || strlen(c.realm) <= strlen(header));
        auth_challenge_clear(&c);
    } else {
        FUZZ_CHECK(err.code < 0 && !c.scheme);
    }
}

static void base64(const char *text, const uint8_t *raw, size_t size)
{
    char *plain = NULL;
    size_t len = 0;
    if (base64_decode(text, &plain, &len) == 0) {
        FUZZ_CHECK(len <= strlen(text) / 4 * 3 + 2 && plain[len] == '\0');
        free(plain);
    }
    /* Whatever is encoded decodes back to itself. */
    char *enc = base64_encode(raw, size);
    FUZZ_CHECK(base64_decode(enc, &plain, &len) == 0);
    FUZZ_CHECK(len == size && memcmp(plain, raw, size) == 0);
    free(plain);
    free(enc);
}

static void authfile(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-auth", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    static const char *const domains[] = {"docker.io", "localhost:5000", "quay.io"};
    for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
        char *user = NULL, *pass = NULL;
        struct hk_error err = {0};
        if (auth_get(path, domains[i], &user, &pass, &err) == 0)
            FUZZ_CHECK(!user == !pass);
        else
            FUZZ_CHECK(err.code < 0 && !user && !pass);
        free(user);
        free(pass);
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *line = data;
    char *header = fuzz_line(&data, &size);
    challenge(header);
    base64(header, line, strlen(header));
    authfile(data, size);
    free(header);
    return 0;
}
