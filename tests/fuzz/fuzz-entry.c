/* fuzz-entry.c — the rules for layer archive entry names: entry_clean() and
 * whiteout_classify(). Input: the entry name (a second line, once a link target, is ignored).
 *
 * A cleaned name is relative, with no "", "." or ".." component; a whiteout's target stays
 * in the entry's directory and names something in it. */
#include "fuzz.h"
#include "image/entry.h"

static void check_clean(const char *c)
{
    FUZZ_CHECK(c[0] != '/');
    FUZZ_CHECK(!strstr(c, "//"));
    FUZZ_CHECK(!c[0] || c[strlen(c) - 1] != '/');
    FUZZ_CHECK(!fuzz_has_component(c, "..") && (!c[0] || !fuzz_has_component(c, ".")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = fuzz_line(&data, &size);
    char *target = fuzz_str(data, size);
    char *clean = NULL;
    struct hk_error err = {0};
    if (entry_clean(name, &clean, &err) < 0) {
        FUZZ_CHECK(err.code < 0 && !clean);
        goto out;
    }
    check_clean(clean);
    enum whiteout_kind kind;
    char *victim = NULL;
    if (whiteout_classify(clean, &kind, &victim, &err) == 0) {
        const char *slash = strrchr(clean, '/');
        size_t dirlen = slash ? (size_t)(slash - clean) : 0;
        if (kind == WHITEOUT_FILE) {
            FUZZ_CHECK(victim && victim[0] && strncmp(victim, clean, dirlen) == 0);
            const char *base = strrchr(victim, '/') ? strrchr(victim, '/') + 1 : victim;
            FUZZ_CHECK(strcmp(base, ".") && strcmp(base, "..") && base[0]);
            FUZZ_CHECK(!fuzz_has_component(victim, ".."));
        } else if (kind == WHITEOUT_OPAQUE) {
            FUZZ_CHECK(victim && strlen(victim) == dirlen);
        } else {
            FUZZ_CHECK(!victim);
        }
        free(victim);
    } else {
        FUZZ_CHECK(err.code < 0 && !victim);
    }
out:
    free(clean);
    free(target);
    free(name);
    return 0;
}
