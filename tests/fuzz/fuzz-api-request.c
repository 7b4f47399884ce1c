/* fuzz-api-request.c — a Docker Engine API request as the service parses it (api/route.c):
 * the route (method, version prefix, path → operation and object), the query string, the
 * JSON body, the filters= query and, for /containers/create, the engine's create request.
 * Input: "METHOD PATH[?QUERY]\n" then the body. */
#include "api/route.h"
#include "fuzz.h"

static void check_create(const struct api_request *r)
{
    json_t *config = NULL, *host = NULL;
    struct hk_error err = {0};
    int st = api_create_request(r, &config, &host, &err);
    FUZZ_CHECK(st == 0 || st == 400);
    if (st) {
        FUZZ_CHECK(err.msg[0]);
        return;
    }
    const char *image = json_string_value(json_object_get(config, "Image"));
    FUZZ_CHECK(image && image[0]);
    FUZZ_CHECK(json_is_object(host) && !json_object_get(config, "HostConfig"));
    const json_t *cmd = json_object_get(config, "Cmd");
    FUZZ_CHECK(!cmd || json_is_array(cmd));
    json_decref(config);
    json_decref(host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t head = nl ? (size_t)(nl - data) : size;
    char *line = fuzz_str(data, head);
    const char *body = nl ? (const char *)nl + 1 : "";
    size_t n_body = nl ? size - head - 1 : 0;
    char *sp = strchr(line, ' ');
    if (!sp) {
        free(line);
        return 0;
    }
    *sp = '\0';
    char *path = sp + 1, *q = strchr(path, '?');
    if (q)
        *q++ = '\0';
    struct api_request r = {0};
    struct hk_error err = {0};
    int st = api_route(line, path, &r, &err);
    FUZZ_CHECK(st == 0 || st == 400 || st == 404 || st == 405);
    FUZZ_CHECK(st == 0 ? r.op != OP_NONE : err.msg[0] != '\0');
    if (st == 0) {
        FUZZ_CHECK(r.minor >= API_MIN_MINOR && r.minor <= API_MAX_MINOR);
        api_query_parse(q, &r);
        FUZZ_CHECK(json_is_object(r.query));
        st = api_body_parse(body, n_body, &r, &err);
        FUZZ_CHECK(st == 0 || st == 400 || st == 413);
        char **filters = NULL;
        int fst = api_filters(&r, &filters, &err);
        FUZZ_CHECK(fst == 0 || fst == 400);
        for (size_t i = 0; filters && filters[i]; i++)
            FUZZ_CHECK(strchr(filters[i], '=') != NULL);
        for (size_t i = 0; filters && filters[i]; i++)
            free(filters[i]);
        free(filters);
        if (st == 0 && r.op == OP_CT_CREATE)
            check_create(&r);
    }
    api_request_clear(&r);
    free(line);
    return 0;
}
