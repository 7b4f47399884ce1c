/* fuzz-dockerfile.c — dockerfile_parse, then what the builder does with each instruction:
 * word expansion of its arguments and, for the config instructions, df_apply_config. Input: a
 * Dockerfile. A failure must carry a message naming the Dockerfile; a success at least one
 * instruction with a keyword. */
#include <jansson.h>

#include "build/config.h"
#include "build/dockerfile.h"
#include "fuzz.h"

static const char *lookup(const char *name, void *ud)
{
    (void)ud;
    return name[0] == 'A' ? "a b" : NULL;
}

static void use(const struct dockerfile *d)
{
    json_t *config = json_object();
    struct df_config_ctx ctx = {.escape = d->escape, .lookup = lookup, .name = "Dockerfile"};
    for (size_t i = 0; i < d->n; i++) {
        const struct df_instr *in = &d->instrs[i];
        FUZZ_CHECK(in->cmd && *in->cmd && in->rest && in->original && in->line > 0);
        struct hk_error err = {0};
        char **w = NULL;
        size_t n = 0;
        if (df_words(in->rest, d->escape, lookup, NULL, &w, &n, &err) == 0) {
            FUZZ_CHECK(w && !w[n]);
            df_strv_free(w);
        } else {
            FUZZ_CHECK(err.msg[0]);
        }
        for (size_t k = 0; k < in->n_heredocs; k++) { /* COPY <<EOF bodies are expanded */
            char *body = NULL;
            if (df_expand_heredoc(in->heredocs[k].content, d->escape, lookup, NULL, &body,
                                  &err) == 0)
                FUZZ_CHECK(body != NULL);
            else
                FUZZ_CHECK(err.msg[0]);
            free(body);
        }
        if (df_is_config_instr(in->cmd) && df_apply_config(in, config, &ctx, &err) < 0)
            FUZZ_CHECK(strstr(err.msg, "Dockerfile:"));
    }
    free(ctx.author);
    json_decref(config);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dockerfile d = {0};
    struct hk_error err = {0};
    if (dockerfile_parse((const char *)data, size, "Dockerfile", &d, &err) == 0) {
        FUZZ_CHECK(d.n > 0);
        use(&d);
        dockerfile_clear(&d);
    } else {
        FUZZ_CHECK(err.code < 0 && err.msg[0] && d.n == 0);
        FUZZ_CHECK(strstr(err.msg, "Dockerfile"));
    }
    struct df_instr in = {0};
    char *line = fuzz_str(data, size < 512 ? size : 512);
    if (df_parse_line(line, '\\', "--change", 1, &in, &err) == 0)
        df_instr_clear(&in);
    free(line);
    return 0;
}
