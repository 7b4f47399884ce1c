/* ports.h — docker's -p values, and the ports a container publishes.
 *
 * -p takes [IP:][HOSTPORT:]CPORT[/PROTO] where HOSTPORT and CPORT may be ranges (a-b) and
 * HOSTPORT may be empty (a random port). Parsed values are kept as docker keeps them, in
 * HostConfig.PortBindings: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}, HostPort "" for
 * a random port; Config.ExposedPorts gets each container port. */
#pragma once

#include <jansson.h>

#include "engine/net/fw.h"
#include "util/error.h"

/* Add the bindings of one -p value to port_bindings and exposed (objects). Errors are
 * docker's: "invalid hostPort: 70000", "invalid containerPort: x", "invalid proto: sctp2",
 * "Invalid ranges specified for container and host Ports: 80-81 and 8000". */
int ports_parse(const char *spec, json_t *port_bindings, json_t *exposed, struct hk_error *err);

/* "80/tcp" into its number and protocol (tcp when absent). */
int ports_key(const char *key, int *ret_port, char ret_proto[4]);

/* The bindings to make for a container: every PortBindings entry, plus, with PublishAll,
 * a random port for each exposed port without one. *ret is an array of n ports (host_port 0:
 * random). */
int ports_wanted(const json_t *host_config, const json_t *exposed, struct fw_port **ret,
                 size_t *ret_n, struct hk_error *err);

/* docker's PORTS column from NetworkSettings.Ports: "0.0.0.0:8080->80/tcp, 53/udp". */
char *ports_column(const json_t *ports);
