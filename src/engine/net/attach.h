/* attach.h — a container's network: its address (ipam.h), veth and published ports.
 *
 * The monitor attaches the container after the runtime made its init (and so its network
 * namespace) and before the program starts: a veth pair (host end <prefix>v<id8> on the
 * network's bridge, eth0 inside), the address, the default route (not on --internal
 * networks), and the published ports: each host port is reserved by a socket the monitor
 * binds and holds (so a port in use is an error at run, and a random port is the kernel's
 * choice), then DNATed to the container by elements of hako's nft maps (fw.h). */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#include "engine/record.h"
#include "util/error.h"

/* Set up the network of container id, whose init (pid) has its own network namespace, as its
 * record's HostConfig asks (NetworkMode none/default: loopback; a network name: veth, address,
 * route, ports). Called by the monitor before the container starts; on failure nothing is
 * left. Records NetworkSettings. */
int net_attach(const struct engine *e, const char *id, pid_t pid, struct hk_error *err);

/* Give back what net_attach took for the container whose record is j (its address, nft
 * elements, veth, port reservations held by this process), and clear j's NetworkSettings
 * addresses and ports. Idempotent; the caller saves j. */
void net_release(const struct engine *e, const char *id, json_t *j);

/* After a rename (j's Name is the new one): its peers resolve the new name, not the old one
 * (DNSNames in j's endpoints, the members' /etc/hosts). The caller saves j. */
void net_rename(const struct engine *e, json_t *j);

/* net_release on container id's record, saved (under its lock). */
void net_release_id(const struct engine *e, const char *id);

/* `network connect`: a running container gains an interface on network (eth1, eth2...),
 * with address ip (NULL: chosen) and aliases (array of names, or NULL) its peers there
 * resolve, held by its monitor like its first one. */
int net_connect(const struct engine *e, const char *id, const char *network, const char *ip,
                const json_t *aliases, struct hk_error *err);

/* `network disconnect`: the interface and address of network leave the container. */
int net_disconnect(const struct engine *e, const char *id, const char *network,
                   struct hk_error *err);

/* Parse a MAC address (6 hex pairs split by ':' or '-') into mac: -EINVAL when malformed,
 * -EADDRNOTAVAIL for a multicast, broadcast or zero one (no interface can have it). */
int net_mac_parse(const char *s, unsigned char mac[6]);

/* Whether the network mode names a bridge network (not none/host/default/container:). */
bool net_mode_is_network(const char *mode);
