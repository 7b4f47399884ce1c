/* fuzz-path.c — path_clean() and path_split(), which every mount destination, cwd and device
 * path from a bundle goes through. A clean path is absolute, has no "", "." or ".."
 * component, no trailing '/', and cleaning it again changes nothing; split parts join back. */
#include "fuzz.h"
#include "util/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    char *c = path_clean(s);
    FUZZ_CHECK(c[0] == '/');
    FUZZ_CHECK(!strstr(c, "//"));
    FUZZ_CHECK(strcmp(c, "/") == 0 || c[strlen(c) - 1] != '/');
    FUZZ_CHECK(strcmp(c, "/") == 0 ||
               (!fuzz_has_component(c + 1, ".") && !fuzz_has_component(c + 1, "..")));
    FUZZ_CHECK(strlen(c) <= strlen(s) + 1);
    char *again = path_clean(c);
    FUZZ_CHECK(strcmp(again, c) == 0);
    char *dir = NULL, *base = NULL;
    if (path_split(s, &dir, &base) == 0) {
        FUZZ_CHECK(base[0] && !strchr(base, '/'));
        char *joined = malloc(strlen(dir) + strlen(base) + 2);
        FUZZ_CHECK(joined);
        sprintf(joined, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base);
        FUZZ_CHECK(strcmp(joined, c) == 0);
        free(joined);
        free(dir);
        free(base);
    } else {
        FUZZ_CHECK(strcmp(c, "/") == 0);
    }
    free(again);
    free(c);
    free(s);
    return 0;
}
