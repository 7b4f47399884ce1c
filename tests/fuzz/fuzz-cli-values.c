/* fuzz-cli-values.c — the values hako-runtime's command line parses (cli/runtime-values.c):
 * `update --memory SIZE`, `events --interval DURATION` (its signals are the engine's
 * opt_parse_signal, fuzzed in fuzz-engine-options.c). Input: the value. */

#include "cli/runtime-values.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    int64_t v = 0;
    if (rt_parse_size(s, &v) == 0)
        FUZZ_CHECK(v >= -1);
    (void)rt_parse_i64(s, &v);
    long ms = 0;
    if (rt_parse_duration_ms(s, &ms) == 0)
        FUZZ_CHECK(ms >= 1 && ms <= 86400000);
    free(s);
    return 0;
}
