/* fuzz-resources.c — resources_parse(): a linux.resources object, as config.json carries it
 * or as `hako-runtime update -r` reads it. The input is the JSON text. */
#include <jansson.h>

#include "fuzz.h"
#include "oci/resources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_str(data, size);
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    struct parse_ctx ctx = {.file = "update.json", .text = text};
    struct oci_resources *res = NULL;
    struct hk_error err = {0};
    if (j && resources_parse(&ctx, j, "", &res, &err) == 0) {
        char buf[64];
        for (size_t i = 0; i < res->n_devices; i++) {
            resources_device_rule_str(&res->devices[i], buf, sizeof(buf));
            FUZZ_CHECK(strlen(res->devices[i].access) > 0);
        }
        FUZZ_CHECK(!res->cpu.cpus || resources_cpuset_list_valid(res->cpu.cpus));
        for (size_t i = 0; i < res->n_hugepages; i++) {
            uint64_t bytes;
            char name[32];
            FUZZ_CHECK(resources_hugepage_size(res->hugepages[i].page_size, &bytes, name,
                                               sizeof(name)) == 0);
            FUZZ_CHECK(strcmp(name, res->hugepages[i].page_size) == 0);
        }
        resources_free(res);
    } else if (j) {
        FUZZ_CHECK(err.code < 0 && err.msg[0]);
    }
    /* The same text as a cpuset list and a hugepage size. */
    uint64_t bytes;
    char name[32];
    (void)resources_cpuset_list_valid(text);
    if (resources_hugepage_size(text, &bytes, name, sizeof(name)) == 0)
        FUZZ_CHECK(bytes > 0 && name[0]);
    json_decref(j);
    free(text);
    return 0;
}
