/* fuzz-mount-options.c — mount_opts_parse(): a mount's "options" list. Input: one option per
 * line. Options that are not flags must come out, in order, comma-joined, as the data. */
#include "fuzz.h"
#include "runtime/mount-options.h"

#define OPTIONS_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *opts[OPTIONS_MAX + 1];
    size_t n = 0, total = 0;
    while (size > 0 && n < OPTIONS_MAX) {
        opts[n] = fuzz_line(&data, &size);
        total += strlen(opts[n]) + 1;
        n++;
    }
    opts[n] = NULL;
    struct mount_opts o;
    mount_opts_parse(opts, &o);
    FUZZ_CHECK(!o.data || (o.data[0] && strlen(o.data) < total));
    mount_opts_done(&o);
    FUZZ_CHECK(!o.data);
    for (size_t i = 0; i < n; i++)
        free(opts[i]);
    return 0;
}
