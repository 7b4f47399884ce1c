/* fuzz-template.c — template_render(), the Go-template subset of `hako inspect -f` and
 * `hako ps --format`. Input: the first line is the template, the rest the JSON it renders
 * (an inspect-like document when the rest is not JSON). Text without "{{" renders as itself. */
#include <jansson.h>

#include "engine/template.h"
#include "fuzz.h"

static const char inspect[] =
    "{\"Id\":\"0123abcd\",\"Name\":\"/web\",\"Args\":[\"-g\",\"daemon off;\"],"
    "\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":4242,\"ExitCode\":0},"
    "\"Config\":{\"Labels\":{\"k\":\"v\"},\"Env\":null,\"Cpus\":1.5},\"Mounts\":[]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tmpl = fuzz_line(&data, &size);
    json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!doc)
        doc = json_loads(inspect, 0, NULL);
    char *out = NULL;
    struct hk_error err = {0};
    if (template_render(tmpl, doc, &out, &err) == 0) {
        FUZZ_CHECK(out);
        FUZZ_CHECK(strstr(tmpl, "{{") || strcmp(out, tmpl) == 0);
        free(out);
    } else {
        FUZZ_CHECK(err.code < 0 && err.msg[0] && !out);
    }
    json_decref(doc);
    free(tmpl);
    return 0;
}
