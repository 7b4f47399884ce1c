/* replay.c — run a fuzz target over its corpus, without libFuzzer.
 *
 * Linked with one tests/fuzz/fuzz-<target>.c in place of libFuzzer's main(), built by meson
 * with the normal compiler and registered as a unit test, so every seed and every fixed crash
 * reproducer under tests/fuzz/corpus/<target>/ stays a regression test in `make test`.
 * Arguments are files or directories (every regular file in them, in name order). A crash is
 * the test failing; a target's own checks abort(). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define INPUT_MAX (16u << 20)

static int run_file(const char *path)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    struct hk_error err = {0};
    if (read_file(path, INPUT_MAX, &buf, &len, &err) < 0) {
        fprintf(stderr, "replay: %s\n", hk_error_msg(&err));
        return -1;
    }
    /* An exact-size copy, so ASan sees reads past the end as libFuzzer would. */
    _cleanup_free_ uint8_t *data = malloc(len ? len : 1);
    if (!data)
        abort();
    memcpy(data, buf, len);
    LLVMFuzzerTestOneInput(data, len);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_dir(const char *dir, size_t *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, by_name);
    if (n < 0) {
        perror(dir);
        return -1;
    }
    int r = 0;
    for (int i = 0; i < n; i++) {
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]->d_name);
        struct stat st;
        if (names[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(path) < 0)
                r = -1;
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return r;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int r = 0;
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) {
            perror(argv[i]);
            r = -1;
        } else if (S_ISDIR(st.st_mode)) {
            r |= run_dir(argv[i], &count);
        } else {
            r |= run_file(argv[i]);
            count++;
        }
    }
    printf("replayed %zu inputs\n", count);
    return r < 0 ? 1 : 0;
}
