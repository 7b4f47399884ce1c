/* etc.h — the /etc/hostname, /etc/hosts and /etc/resolv.conf a container gets, written into
 * its directory and bind-mounted over the image's (as docker does). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

/* resolv.conf from the host's text: without a host network, nameservers on loopback
 * (127.0.0.0/8, ::1) cannot be reached from the container and are dropped; when none is left,
 * docker's defaults (8.8.8.8, 8.8.4.4) are used. Allocated. */
char *etc_resolv_conf(const char *host_text, bool host_network);

/* /etc/hosts: the host's with a host network, else the loopback entries docker writes. */
char *etc_hosts(const char *host_text, bool host_network);

/* What the files say besides the host's: docker's HostConfig Dns, DnsSearch, DnsOptions
 * (arrays of strings, replacing the host's nameserver, search and options lines) and
 * ExtraHosts ("name:ip", ip "host-gateway" meaning gateway). */
struct etc_opts {
    const char *hostname;
    bool host_network;
    const json_t *host_config;
    const char *gateway; /* the container's network's gateway, or NULL */
    /* a user network's DNS responder (net/dns.h): the only nameserver (Dns, the servers it
     * forwards to, only noted in a comment, as docker does) */
    const char *nameserver;
};

/* resolv.conf as etc_resolv_conf (nameserver instead of the host's when given), then
 * Dns/DnsSearch/DnsOptions. Allocated. */
char *etc_resolv_conf_for(const char *host_text, const struct etc_opts *o);

/* Check one --add-host value ("name:ip", ip may be host-gateway): docker's errors. */
int etc_check_extra_host(const char *v, struct hk_error *err);

/* Write dir/hostname, dir/hosts, dir/resolv.conf for the container. */
int etc_write(const char *dir, const struct etc_opts *o, struct hk_error *err);
