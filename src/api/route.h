/* route.h — a Docker Engine API request as data: the method and path matched to an operation
 * (with the object it names), the query string decoded, the JSON body parsed. Pure functions,
 * no I/O: the server (server.c) and the fuzz target (tests/fuzz/fuzz-api-request.c) share them.
 *
 * Paths are accepted with a version prefix /v1.24/ ... /v1.47/ (older or newer is docker's
 * 400 "client version ... is too old/new") and without one. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define API_VERSION "1.45"
#define API_MIN_VERSION "1.24"
#define API_MIN_MINOR 24
#define API_MAX_MINOR 47
/* The largest JSON body accepted (docker has no limit; 16 MiB is more than any create). */
#define API_BODY_MAX (16u << 20)

enum api_op {
    OP_NONE,
    OP_PING,
    OP_VERSION,
    OP_INFO,
    OP_EVENTS,
    OP_DF,
    OP_AUTH,
    OP_CT_LIST,
    OP_CT_CREATE,
    OP_CT_PRUNE,
    OP_CT_INSPECT,
    OP_CT_LOGS,
    OP_CT_TOP,
    OP_CT_STATS,
    OP_CT_START,
    OP_CT_STOP,
    OP_CT_RESTART,
    OP_CT_KILL,
    OP_CT_WAIT,
    OP_CT_PAUSE,
    OP_CT_UNPAUSE,
    OP_CT_RENAME,
    OP_CT_ATTACH,
    OP_CT_RESIZE,
    OP_CT_DELETE,
    OP_CT_EXEC,
    OP_CT_EXPORT,
    OP_CT_CHANGES,
    OP_CT_ARCHIVE_GET,
    OP_CT_ARCHIVE_HEAD,
    OP_CT_ARCHIVE_PUT,
    OP_COMMIT,
    OP_BUILD,
    OP_EXEC_START,
    OP_EXEC_RESIZE,
    OP_EXEC_INSPECT,
    OP_IMG_LIST,
    OP_IMG_CREATE,
    OP_IMG_INSPECT,
    OP_IMG_HISTORY,
    OP_IMG_TAG,
    OP_IMG_PUSH,
    OP_IMG_DELETE,
    OP_IMG_GET,
    OP_IMG_LOAD,
    OP_VOL_LIST,
    OP_VOL_CREATE,
    OP_VOL_PRUNE,
    OP_VOL_INSPECT,
    OP_VOL_DELETE,
    OP_NET_LIST,
    OP_NET_CREATE,
    OP_NET_PRUNE,
    OP_NET_INSPECT,
    OP_NET_DELETE,
    OP_NET_CONNECT,
    OP_NET_DISCONNECT,
    OP_SWARM,  /* 503: not a swarm manager */
    OP_PLUGIN, /* 501 */
};

struct api_request {
    enum api_op op;
    int minor;     /* the API version's minor number the client asked for (API_MAX_MINOR) */
    char *object;  /* the container, image or exec the path names (decoded), or NULL */
    json_t *query; /* {"key": "value"} of the query string (last one wins) */
    json_t *body;  /* the JSON body, or NULL when there was none */
};
void api_request_clear(struct api_request *r);

/* Match method and path (without the query) to r->op and r->object. Returns the HTTP status
 * for failure: 404 "page not found" (err says so), 405, 400 for a bad version. 0 on success. */
int api_route(const char *method, const char *path, struct api_request *r, struct hk_error *err);

/* Decode a query string ("a=1&b=x%20y") into r->query. */
void api_query_parse(const char *qs, struct api_request *r);

/* Parse body (n bytes, may be 0) as JSON into r->body: 400 with jansson's message on a syntax
 * error, 413 past API_BODY_MAX. Operations that take no JSON body ignore it. */
int api_body_parse(const char *body, size_t n, struct api_request *r, struct hk_error *err);

/* A query value, or NULL. */
const char *api_query(const struct api_request *r, const char *key);
/* docker's boolean query values: "1", "true", "True" (anything else but "", "0", "false" is
 * true as well, as Go's strconv.ParseBool would refuse: docker treats them as true). */
bool api_query_bool(const struct api_request *r, const char *key);

/* The filters= query ({"status": ["running"]} or the old {"status": {"running": true}}) as
 * "key=value" strings in *ret (NULL-terminated, allocated). 400 on bad JSON. */
int api_filters(const struct api_request *r, char ***ret, struct hk_error *err);

/* The engine's create request from a /containers/create body: Config (the body without
 * HostConfig and NetworkingConfig) and HostConfig, type-checked so a wrong type is docker's
 * 400 naming the field. New references. */
int api_create_request(const struct api_request *r, json_t **ret_config, json_t **ret_host,
                       struct hk_error *err);

/* Whether EndpointsConfig's network net is another than the network mode's (docker's
 * "default" is "bridge"): one the container is connected to after the create. */
bool api_endpoint_extra(const char *net, const char *mode);
