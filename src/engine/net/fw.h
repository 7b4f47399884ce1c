/* fw.h — hako's one nftables table (`inet <prefix>`, "inet hako" by default), through
 * libnftables. Nothing else on the host is touched: every command names this table.
 *
 *   set bridges    hako's bridges (loopback-sourced DNAT replies are masqueraded onto them)
 *   set nat4       subnets masqueraded when leaving for anything but a hako bridge
 *   set internal   bridges of --internal networks: nothing is forwarded in or out
 *   map any4       proto . host port        : container address . port   (-p PORT:CPORT)
 *   map ip4        host IP . proto . port   : container address . port   (-p IP:PORT:CPORT)
 *   map any6       proto . host port        : container IPv6 address . port (made with the
 *                  first --ipv6 network, fw_ensure6)
 *   chains prerouting/output (nat, for local destinations) jump to `ports`, which DNATs
 *   through the two maps; postrouting masquerades; forward drops --internal traffic.
 *
 * Per-container and per-network state is elements of these sets and maps, added and deleted
 * by key: no rule handles to track, and a teardown is one transaction. */
#pragma once

#include <stdbool.h>

#include "util/error.h"

/* One published port: proto "tcp"/"udp", host_ip "" for any address. */
struct fw_port {
    char proto[4];
    char host_ip[46];
    int host_port;
    int range_end; /* -p 8000-8010:80: host_port is the first of a range to choose from */
    int container_port;
};

/* Make the table when missing (call under the machine's network lock). */
int fw_ensure(const char *table, struct hk_error *err);

/* The map any6 and its DNAT rule, added on the first --ipv6 network (a host without IPv6
 * NAT fails only those). Under the machine's network lock. */
int fw_ensure6(const char *table, struct hk_error *err);

/* Add (add) or delete a network: its bridge in `bridges` (and `internal`), its subnet
 * (CIDR text) in nat4 unless internal. */
int fw_network(const char *table, bool add, const char *bridge, const char *subnet,
               bool internal, struct hk_error *err);

/* Add or delete the DNAT elements of ports (n of them) to container address ip (IPv4, or
 * IPv6: then the ports published on any address only). Deleting ignores elements already
 * gone. */
int fw_ports(const char *table, bool add, const char *ip, const struct fw_port *ports, size_t n,
             struct hk_error *err);

/* Delete the whole table (tests, and `network rm` of the last network of a prefix). */
int fw_drop(const char *table, struct hk_error *err);
