/* fuzz-reference.c — ref_parse() on an image reference, and digest_check() and
 * platform_parse() on the same text. A parsed reference must print back (ref_string) to a
 * reference that parses to itself, and its familiar name must normalize back to its name. */
#include "fuzz.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/reference.h"

static void check_roundtrip(const struct image_ref *r)
{
    char *s = ref_string(r), *name = ref_name(r);
    struct image_ref again = {0};
    struct hk_error err = {0};
    if (ref_parse(s, &again, &err) < 0) {
        fprintf(stderr, "'%s' does not parse again: %s\n", s, err.msg);
        abort();
    }
    char *s2 = ref_string(&again);
    FUZZ_CHECK(strcmp(s, s2) == 0);
    char *familiar = ref_familiar_name(name);
    struct image_ref fam = {0};
    FUZZ_CHECK(ref_parse(familiar, &fam, &err) == 0);
    char *name2 = ref_name(&fam);
    FUZZ_CHECK(strcmp(name, name2) == 0);
    FUZZ_CHECK(ref_api_host(r)[0]);
    (void)ref_domain_is_local(r->domain);
    ref_clear(&fam);
    ref_clear(&again);
    free(name2);
    free(familiar);
    free(s2);
    free(name);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    struct image_ref r = {0};
    struct hk_error err = {0};
    if (ref_parse(s, &r, &err) == 0) {
        FUZZ_CHECK(r.domain && r.path && (r.tag || r.digest));
        FUZZ_CHECK(strlen(r.path) + strlen(r.domain) < 4 * REF_NAME_MAX);
        check_roundtrip(&r);
        ref_clear(&r);
    } else {
        FUZZ_CHECK(err.code < 0 && err.msg[0] && !r.domain);
    }
    if (digest_check(s, NULL) == 0)
        FUZZ_CHECK(digest_is_valid(s) && strlen(digest_hex(s)) == DIGEST_HEX_LEN);
    struct platform p;
    char buf[128];
    if (platform_parse(s, &p, NULL) == 0)
        FUZZ_CHECK(strcmp(platform_string(&p, buf, sizeof(buf)), s) == 0);
    free(s);
    return 0;
}
