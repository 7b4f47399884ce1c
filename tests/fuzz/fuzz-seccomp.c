/* fuzz-seccomp.c — seccomp_prepare(): a linux.seccomp object parsed and compiled to BPF. The
 * input is the object's JSON text. Nothing is ever loaded into the kernel: seccomp_prepare()
 * only probes flags with a NULL program. */
#include <jansson.h>

#include "fuzz.h"
#include "runtime/seccomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_str(data, size);
    json_t *wrapper = NULL;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(j)) {
        /* As it sits in config.json, so located errors can find it. */
        wrapper = json_pack("{s:{s:O}}", "linux", "seccomp", j);
    }
    struct parse_ctx ctx = {.file = "config.json", .text = text};
    struct seccomp_program *p = NULL;
    struct hk_error err = {0};
    if (j) {
        if (seccomp_prepare(j, &ctx, &p, &err) == 0) {
            FUZZ_CHECK(p);
            FUZZ_CHECK(!seccomp_has_listener(p) || seccomp_listener_path(p));
            seccomp_program_free(p);
        } else {
            FUZZ_CHECK(err.code < 0 && err.msg[0]);
        }
    }
    json_decref(wrapper);
    json_decref(j);
    free(text);
    return 0;
}
