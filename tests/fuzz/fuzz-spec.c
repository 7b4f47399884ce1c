/* fuzz-spec.c — spec_parse(): a whole config.json, then what the runtime derives from it
 * before creating anything (resources, mount options). The input is the file's bytes. */
#include "fuzz.h"
#include "oci/resources.h"
#include "oci/spec.h"
#include "runtime/mount-options.h"

static void use(const struct oci_spec *s)
{
    struct hk_error err = {0};
    struct oci_resources *res = NULL;
    if (resources_parse(&s->ctx, s->linux_.resources, "linux.resources", &res, &err) == 0)
        resources_free(res);
    else
        FUZZ_CHECK(err.code < 0 && err.msg[0]);
    for (size_t i = 0; i < s->n_mounts; i++) {
        struct mount_opts o;
        FUZZ_CHECK(s->mounts[i].destination[0] == '/' && s->mounts[i].options);
        mount_opts_parse(s->mounts[i].options, &o);
        mount_opts_done(&o);
    }
    if (s->process) {
        FUZZ_CHECK(s->process->args && s->process->args[0] && s->process->env);
        FUZZ_CHECK(s->process->cwd[0] == '/');
        (void)spec_process_can_ptrace(s, s->process);
    }
    for (int t = 0; t < OCI_NS_COUNT; t++)
        (void)spec_namespace(s, (enum oci_ns_type)t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hk_error err = {0};
    struct oci_spec *s = NULL;
    if (spec_parse((const char *)data, size, "config.json", &s, &err) < 0) {
        FUZZ_CHECK(err.code < 0 && err.msg[0] && !s);
        return 0;
    }
    use(s);
    spec_free(s);
    return 0;
}
