/* hosts.h — the sections of a container's /etc/hosts that hako keeps for its networks.
 *
 * Name resolution between containers on a user network is /etc/hosts, kept by the engine
 * (docs/NETWORKING.md says why, with numbers), and the network's DNS responder (dns.h),
 * which answers from the same address entries (ipam.h): each network the container is on has one
 * section in its hosts file, between the lines "# hako <bridge>: network <name>" and
 * "# hako <bridge> end", holding the container's own address and hostname and, on a user
 * network, every live peer's address, name, aliases and short ID. The file is bind-mounted
 * into the container, so it is rewritten in place (one write, then the truncation), never
 * replaced; what is outside hako's sections (localhost, --add-host, the user's own lines)
 * stays as it is. */
#pragma once

#include <jansson.h>

/* text with the section of bridge replaced by section (a block of lines, or "" to drop it),
 * appended when missing. Allocated. */
char *hosts_with_section(const char *text, const char *bridge, const char *network,
                         const char *section);

/* One line "ip\tname name..." of names (a JSON array of strings) after first (NULL: none),
 * each name once, appended to *buf (allocated, may be NULL). */
void hosts_append_line(char **buf, const char *ip, const char *first, const json_t *names);

/* Rewrite the section of bridge in the hosts file at path, in place. Errors are ignored: a
 * file gone with its container has no reader left. */
void hosts_put(const char *path, const char *bridge, const char *network, const char *section);
