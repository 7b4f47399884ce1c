/* dns.h — the DNS responder of a user network (docs/NETWORKING.md, "Names").
 *
 * One process per user network with containers: `hako dns-serve`, started by the first
 * container's attach (ipam_update, under the address directory's lock), listening on UDP and
 * TCP port 53 of the network's gateway address (sockets bound by the starter, so a container
 * never queries before it listens). Its record is the file "dns" of the network's address
 * directory ({Pid, Start}): it is ours and ended only by that pid and start time (through a
 * pidfd), when the network's last container leaves (ipam_release) or the network is removed.
 * Its names are the address entries' (ipam.h), the same ones the /etc/hosts sections are
 * made from: A (and AAAA on --ipv6 networks) for each live entry's Names, case-insensitive.
 * An unknown single-label name is NXDOMAIN; any other name is forwarded to the host's
 * resolvers (/etc/resolv.conf, 127.x included: the responder is in the host's namespace) or
 * $HAKO_DNS_UPSTREAM, except on --internal networks (REFUSED: nothing leaves them). */
#pragma once

#include <stdbool.h>

#include "engine/net/network.h"
#include "util/error.h"

/* Start n's responder unless it runs (the caller holds n's address directory lock, dfd).
 * Errors are the caller's to report: the names stay in /etc/hosts. */
int dns_up(const struct network *n, int dfd, struct hk_error *err);

/* End n's responder when it runs (under the lock, dfd) and wait for it to be gone. */
void dns_down(int dfd);

/* The responder's loop: the directory of bridge's addresses, the bound sockets udp and tcp
 * (listening), upstream ("ip[:port],..." or NULL: /etc/resolv.conf's), internal (no
 * forwarding). Returns when the network has no live container (checked under the lock). */
int dns_serve(const char *bridge, int udp, int tcp, const char *upstream, bool internal);
