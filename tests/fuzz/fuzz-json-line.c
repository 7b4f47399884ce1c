/* fuzz-json-line.c — json_line_of(), the hand-written scanner that locates config errors.
 *
 * Input: the first line is a JSON path ("process.user.uid", "mounts[3].type"), the rest the
 * JSON text. The line found must exist in the text. When the text is valid JSON (jansson),
 * every value reachable through plain keys must be found: that is what error messages rely on. */
#include <jansson.h>

#include "fuzz.h"
#include "util/json.h"

#define PATHS_MAX 64

static size_t count_lines(const char *text)
{
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

/* Keys json_line_of() can express: no '.', '[', escapes, or anything that needs quoting. */
static int plain_key(const char *k)
{
    if (!*k)
        return 0;
    for (const char *p = k; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* Look up every value reachable from v (at most PATHS_MAX) and check it is found. */
static void walk(const char *text, size_t lines, const json_t *v, char *path, size_t len,
                 int *budget)
{
    if (--*budget < 0)
        return;
    if (len > 0) {
        int line = json_line_of(text, path);
        if (line <= 0 || (size_t)line > lines) {
            fprintf(stderr, "json_line_of: path '%s' not found (%d)\n", path, line);
            abort();
        }
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
        {
            int n = snprintf(path + len, 256 - len, "%s%s", len ? "." : "", k);
            if (plain_key(k) && n > 0 && len + (size_t)n < 256)
                walk(text, lines, c, path, len + (size_t)n, budget);
            path[len] = '\0';
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v) && len > 0; i++) {
            int n = snprintf(path + len, 256 - len, "[%zu]", i);
            if (n > 0 && len + (size_t)n < 256)
                walk(text, lines, json_array_get(v, i), path, len + (size_t)n, budget);
            path[len] = '\0';
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *jpath = fuzz_line(&data, &size);
    char *text = fuzz_str(data, size);
    size_t lines = count_lines(text);
    int line = json_line_of(text, jpath);
    FUZZ_CHECK(line >= 0 && (size_t)line <= lines);

    /* A key written with \u escapes is not found by design (keys are compared as written). */
    json_t *doc = strstr(text, "\\u") ? NULL : json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(doc)) {
        char path[256] = "";
        int budget = PATHS_MAX;
        walk(text, lines, doc, path, 0, &budget);
    }
    json_decref(doc);
    free(text);
    free(jpath);
    return 0;
}
