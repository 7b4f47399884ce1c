/* fuzz-state.c — state_parse(), the runtime's reader of <root>/<id>/state.json, and the OCI
 * state document built from what it read (`hako-runtime state`, hooks). Input: the file. */
#include <jansson.h>

#include "fuzz.h"
#include "runtime/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct container_state *st = NULL;
    struct hk_error err = {0};
    if (state_parse((const char *)data, size, &st, &err) < 0) {
        FUZZ_CHECK(err.code < 0 && err.msg[0] && !st);
        return 0;
    }
    FUZZ_CHECK(st->id && st->bundle && st->pid >= 0);
    FUZZ_CHECK(state_check_id(st->id, NULL) == 0);
    for (int s = STATUS_CREATING; s <= STATUS_STOPPED; s++) {
        json_t *j = state_to_oci_json(st, (enum container_status)s);
        FUZZ_CHECK(j);
        char *text = json_dumps(j, JSON_COMPACT);
        FUZZ_CHECK(text);
        free(text);
        json_decref(j);
    }
    state_free(st);
    return 0;
}
