/* later.h — networks a container joins when it starts: docker's `network connect` of a
 * container that is not running, which docker-compose sends for each network of a service
 * after the create. Kept in the record (Hako.Connect: [{"Network", "IPv4Address"}]) and joined
 * by the monitor at every start, after the network mode's own (attach.h). */
#pragma once

#include <jansson.h>

#include "engine/record.h"
#include "util/error.h"

/* Record that container id (not running) joins network (ip or NULL: chosen) at its starts.
 * Docker's errors: the network must exist, the container not be on it already; its own
 * network mode's (with no other ip) is fine: it joins that one anyway. */
int net_connect_later(const struct engine *e, const char *id, const char *network, const char *ip,
                      const json_t *aliases, struct hk_error *err);

/* Undo net_connect_later; 1 when network was not one of id's later networks. */
int net_disconnect_later(const struct engine *e, const char *id, const char *network,
                         struct hk_error *err);

/* Join the recorded networks (net_connect on the running container); the first failure is
 * returned, naming the network. */
int net_connect_pending(const struct engine *e, const char *id, struct hk_error *err);

/* `network connect`/`disconnect` as docker's: a running container now (attach.h), another at
 * its next starts. */
int net_connect_any(const struct engine *e, const char *id, const char *network, const char *ip,
                    const json_t *aliases, struct hk_error *err);
int net_disconnect_any(const struct engine *e, const char *id, const char *network,
                       struct hk_error *err);
