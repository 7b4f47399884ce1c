/* network.h — networks as records: <root>/networks/<name>.json, docker-shaped.
 *
 * The default network `bridge` is made on first use: bridge <prefix>0 and the first /16 of
 * 10.209.0.0 .. 10.219.0.0 that no host route overlaps. User networks get bridge
 * <prefix>-<id8> and, without --subnet, the first free /24 of 10.220.0.0 .. 10.239.255.0.
 * When the bridge <prefix>0 exists already (made for another --root), its subnet is taken.
 * <prefix> is $HAKO_NET_PREFIX (1-6 of [a-z0-9], default "hako"); it also names the nft table
 * (`inet <prefix>`). The bridges and the table are made up when a container first needs them
 * and stay, as docker0 does; `network rm` removes a user network's bridge and its elements of
 * the table. Records, bridges and the table change under the machine's lock,
 * /run/hako-net/lock: bridges and routes are machine-wide. */
#pragma once

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "engine/record.h"
#include "util/error.h"

/* The machine's network state: the lock, and per bridge its addresses (ipam.h). */
#define NETWORK_RUN_DIR "/run/hako-net"

struct network {
    char name[128];
    char id[65];
    char bridge[16];
    char table[16];
    char subnet[24]; /* "10.209.0.0/16" */
    struct in_addr net, gw;
    int prefix;
    bool internal;
    bool is_default;
    char created[40];
    /* --ipv6: a ULA subnet (fd<40 bits of the ID>::/64 unless --subnet gave one), gateway its
     * first address; a container's v6 address is the subnet plus the host part of its v4
     * one, so the v4 claim (ipam.h) allocates both. */
    bool ipv6;
    char subnet6[48];
    struct in6_addr net6, gw6;
    int prefix6;
};

/* The machine's network lock (flock, exclusive); returns the fd. */
int network_lock(struct hk_error *err);

/* The network named (or whose ID starts with) ref; "bridge" is made on first use. -ENOENT:
 * "network <ref> not found". */
int network_get(const struct engine *e, const char *ref, struct network *ret,
                struct hk_error *err);

struct network_req {
    const char *name;
    const char *subnet;  /* NULL: choose */
    const char *subnet6; /* NULL: choose, with ipv6 */
    bool ipv6;
    const char *gateway; /* NULL: first address */
    bool internal;
    json_t *labels;
};

/* Make a user network: record, bridge, table elements. Docker's errors: "network with name X
 * already exists", "Pool overlaps with other one on this address space", "Invalid subnet". */
int network_create(const struct engine *e, const struct network_req *req, struct network *ret,
                   struct hk_error *err);

/* Remove a user network: refuses while a container is attached ("error while removing
 * network: network X id Y has active endpoints"), and the default one. */
int network_remove(const struct engine *e, const char *ref, struct hk_error *err);

/* Every network's record (docker's inspect shape), the default one first. */
int network_list(const struct engine *e, json_t **ret, struct hk_error *err);

/* docker's inspect of n, with Containers filled from the records (attached, running). */
json_t *network_inspect(const struct engine *e, const struct network *n);

/* Make sure n's bridge, address and table exist (cheap when the bridge does). Returns 1 when
 * it had to turn net.ipv4.ip_forward on (the caller tells the user), 0, or negative errno. */
int network_up(const struct network *n, struct hk_error *err);

/* The IPv6 address of the container whose IPv4 address on n is ip (n->ipv6), as text. */
void network_ip6(const struct network *n, const char *ip, char ret[INET6_ADDRSTRLEN]);

/* Whether a.b.c.d/prefix overlaps a host route other than the default one. */
bool network_route_overlaps(struct in_addr net, int prefix);

/* $HAKO_NET_PREFIX or "hako". */
const char *network_prefix(void);
