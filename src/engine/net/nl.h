/* nl.h — the rtnetlink operations bridge networking needs, over libmnl.
 *
 * Each operation is one request with NLM_F_ACK on a socket of the caller's choosing: nl_open()
 * for the host's namespace, nl_open_in() for a container's (the socket is made inside it and
 * keeps working there after we return to our own namespace). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

struct nl;

/* A route socket in our network namespace, or in that of process pid. */
int nl_open(struct nl **ret, struct hk_error *err);
int nl_open_in(pid_t pid, struct nl **ret, struct hk_error *err);
struct nl *nl_close(struct nl *n);

/* The index of interface name, or -ENODEV. */
int nl_ifindex(struct nl *n, const char *name);

/* Make bridge name (existing is fine), give it addr/prefix (existing is fine) and set it up. */
int nl_bridge_ensure(struct nl *n, const char *name, struct in_addr addr, int prefix,
                     struct hk_error *err);

/* A veth pair: host_name in our namespace, enslaved to master (an ifindex) and up; its peer
 * peer_name made directly in the namespace of netns_fd (with mac, 6 bytes, unless NULL). */
int nl_veth_add(struct nl *n, const char *host_name, int master, const char *peer_name,
                int netns_fd, const unsigned char *mac, struct hk_error *err);

/* Delete interface name (a veth takes its peer along). Missing is fine. */
int nl_link_del(struct nl *n, const char *name);

/* Set interface ifindex up. */
int nl_link_up(struct nl *n, int ifindex, struct hk_error *err);

/* addr/prefix on ifindex. */
int nl_addr_add(struct nl *n, int ifindex, struct in_addr addr, int prefix, struct hk_error *err);

/* addr/prefix on ifindex, IPv6, without duplicate address detection (usable at once). */
int nl_addr6_add(struct nl *n, int ifindex, const struct in6_addr *addr, int prefix,
                 struct hk_error *err);

/* The IPv6 default route via gw. */
int nl_route6_default(struct nl *n, const struct in6_addr *gw, struct hk_error *err);

/* The default route via gw. */
int nl_route_default(struct nl *n, struct in_addr gw, struct hk_error *err);
