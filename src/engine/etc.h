/* etc.h — the /etc/hostname, /etc/hosts and /etc/resolv.conf a container gets, written into
 * its directory and bind-mounted over the image's (as docker does). */
#pragma once

#include <stdbool.h>

#include "util/error.h"

/* resolv.conf from the host's text: without a host network, nameservers on loopback
 * (127.0.0.0/8, ::1) cannot be reached from the container and are dropped; when none is left,
 * docker's defaults (8.8.8.8, 8.8.4.4) are used. Allocated. */
char *etc_resolv_conf(const char *host_text, bool host_network);

/* /etc/hosts: the host's with a host network, else the loopback entries docker writes. */
char *etc_hosts(const char *host_text, bool host_network);

/* Write dir/hostname, dir/hosts, dir/resolv.conf for the container. */
int etc_write(const char *dir, const char *hostname, bool host_network, struct hk_error *err);
