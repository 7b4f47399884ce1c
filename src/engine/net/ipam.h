/* ipam.h — a network's addresses as files: /run/hako-net/<bridge>/<ip>.
 *
 * An entry is made under the directory's flock and holds {Id, Pid, Start, Veth, Mac, Ports,
 * Fds, IPv6, Hosts, Self, Names, Dns}: the container, its monitor (the process that holds
 * the address, by pid and start time), the host end of its veth, its published ports and the
 * monitor's fds that reserve them, its IPv6 address (--ipv6 networks), and for the names
 * (hosts.h) its /etc/hosts file, its own names and those its peers resolve, and its --dns
 * servers (the DNS responder's, dns.h, which reads the same entries). Every change of the
 * live entries' names rewrites the members' hosts sections under the same lock; the file
 * "dns" beside them is the responder's record.
 * An entry whose monitor is gone (SIGKILLed, a machine crash) is stale: the next claim on the
 * network, its inspect or `network rm` takes its nft elements and veth away and frees the
 * address (and its names from its peers' files). */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#include "engine/net/network.h"
#include "engine/record.h"
#include "util/error.h"

/* Claim an address of n for container id, held by process holder (0: this one): want (--ip)
 * or the lowest free one; ret_ip gets its text. Docker's errors: "Address already in use", "Invalid address
 * X: It does not belong to any of this network's subnets". */
int ipam_claim(const struct network *n, const char *id, pid_t holder, const char *want,
               char ret_ip[16], struct hk_error *err);

/* Merge fields (Veth, Mac, Ports, Fds, ...) into the entry of ip; with Hosts, rewrite the
 * hosts sections of n's members (on the default network, the entry's own only). */
int ipam_update(const struct network *n, const char *ip,
                json_t *fields, struct hk_error *err);

/* Undo and free the entry of ip when it belongs to container id: its section leaves its own
 * /etc/hosts, its names leave its peers'. */
void ipam_release(const struct network *n, const char *ip,
                  const char *id);

/* The live entries of n as docker's network inspect shows Containers:
 * {id: {"IPv4Address": "a/n", "IPv6Address": "a6/n" or "", "MacAddress": m}}. */
json_t *ipam_endpoints(const struct network *n);

/* The entry (or other JSON file) name of the address directory dfd, or NULL. */
json_t *ipam_entry_load(int dfd, const char *name);

/* Whether the process an entry names ({Pid, Start}) is the one alive. */
bool ipam_entry_alive(const json_t *j);
