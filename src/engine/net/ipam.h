/* ipam.h — a network's addresses as files: /run/hako-net/<bridge>/<ip>.
 *
 * An entry is made under the directory's flock and holds {Id, Pid, Start, Veth, Mac, Ports,
 * Fds}: the container, its monitor (the process that holds the address, by pid and start
 * time), the host end of its veth, its published ports and the monitor's fds that reserve
 * them. An entry whose monitor is gone (SIGKILLed, a machine crash) is stale: the next claim
 * on the network, its inspect or `network rm` takes its nft elements and veth away and frees
 * the address. */
#pragma once

#include <jansson.h>

#include "engine/net/network.h"
#include "engine/record.h"
#include "util/error.h"

/* Claim an address of n for container id, held by this process: want (--ip) or the lowest
 * free one; ret_ip gets its text. Docker's errors: "Address already in use", "Invalid address
 * X: It does not belong to any of this network's subnets". */
int ipam_claim(const struct network *n, const char *id,
               const char *want, char ret_ip[16], struct hk_error *err);

/* Merge fields (Veth, Mac, Ports, Fds) into the entry of ip. */
int ipam_update(const struct network *n, const char *ip,
                json_t *fields, struct hk_error *err);

/* Undo and free the entry of ip when it belongs to container id. */
void ipam_release(const struct network *n, const char *ip,
                  const char *id);

/* The live entries of n as docker's network inspect shows Containers:
 * {id: {"IPv4Address": "a/n", "MacAddress": m}}. */
json_t *ipam_endpoints(const struct network *n);
