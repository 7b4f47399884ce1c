/* attach.c — a container's veth, address, route and published ports (see attach.h). */
#include "engine/net/attach.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/net/fw.h"
#include "engine/net/ipam.h"
#include "engine/net/network.h"
#include "engine/net/nl.h"
#include "engine/net/ports.h"
#include "engine/netns.h"
#include "util/fs.h"
#include "util/json.h"

int net_mac_parse(const char *s, unsigned char mac[6])
{
    unsigned int b[6];
    char sep[5], end;
    if (strlen(s) != 17 || sscanf(s, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &b[0], &sep[0], &b[1],
                                  &sep[1], &b[2], &sep[2], &b[3], &sep[3], &b[4], &sep[4],
                                  &b[5], &end) != 11)
        return -EINVAL;
    for (int i = 0; i < 5; i++)
        if (sep[i] != sep[0] || (sep[i] != ':' && sep[i] != '-'))
            return -EINVAL;
    for (int i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char)s[3 * i]) || !isxdigit((unsigned char)s[3 * i + 1]))
            return -EINVAL;
        mac[i] = (unsigned char)b[i];
    }
    if (mac[0] & 1)
        return -EADDRNOTAVAIL; /* multicast (and broadcast): not an interface's address */
    for (int i = 0; i < 6; i++)
        if (mac[i])
            return 0;
    return -EADDRNOTAVAIL;
}

bool net_mode_is_network(const char *mode)
{
    return mode && *mode && strcmp(mode, "none") != 0 && strcmp(mode, "host") != 0 &&
           strcmp(mode, "default") != 0 && strncmp(mode, "container:", 10) != 0;
}

/* Bind a socket on p's host address and port (the first free one of its range; any when 0)
 * and keep it open across exec: the reservation. Sets p->host_port to the port bound. */
static int reserve(struct fw_port *p, int *ret_fd, struct hk_error *err)
{
    bool udp = strcmp(p->proto, "udp") == 0;
    int last = p->range_end > p->host_port ? p->range_end : p->host_port;
    int r = -EADDRINUSE;
    for (int port = p->host_port; port <= last; port++) {
        int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
        if (fd < 0)
            return hk_error_errno(err, -errno, "socket");
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        if (p->host_ip[0])
            inet_pton(AF_INET, p->host_ip, &a.sin_addr);
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
            socklen_t len = sizeof(a);
            getsockname(fd, (struct sockaddr *)&a, &len);
            p->host_port = ntohs(a.sin_port);
            *ret_fd = fd;
            return 0;
        }
        r = -errno;
        close(fd);
        if (r != -EADDRINUSE)
            break;
    }
    const char *ip = p->host_ip[0] ? p->host_ip : "0.0.0.0";
    if (r == -EADDRINUSE && last > p->host_port)
        return hk_error_set(err, r, "Bind for %s:%d-%d failed: ports are already allocated", ip,
                            p->host_port, last);
    if (r == -EADDRINUSE)
        return hk_error_set(err, r, "Bind for %s:%d failed: port is already allocated", ip,
                            p->host_port);
    return hk_error_errno(err, r, "Bind for %s:%d failed", ip, p->host_port);
}

/* The same port on [::] (IPv6 only), for a port published on any address of an --ipv6
 * network: -EADDRINUSE when taken there. */
static int reserve6(const struct fw_port *p, int *ret_fd)
{
    int fd = socket(AF_INET6, strcmp(p->proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM, 0), one = 1;
    if (fd < 0)
        return -errno;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)p->host_port)};
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    *ret_fd = fd;
    return 0;
}

/* The ports, reserved: fds[0..n) get the sockets, fds[n..2n) those on [::] when v6 (else
 * -1); ports get their host ports. A random port taken on [::] is chosen again. */
static int reserve_all(struct fw_port *ports, size_t n, bool v6, int *fds, struct hk_error *err)
{
    for (size_t i = 0; i < 2 * n; i++)
        fds[i] = -1;
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        bool random = ports[i].host_port == 0;
        for (int attempt = 0; attempt < 16; attempt++) {
            r = reserve(&ports[i], &fds[i], err);
            if (r < 0 || !v6 || ports[i].host_ip[0])
                break;
            r = reserve6(&ports[i], &fds[n + i]);
            if (r == 0)
                break;
            close(fds[i]);
            fds[i] = -1;
            if (!random || r != -EADDRINUSE || attempt == 15) {
                r = r == -EADDRINUSE ? hk_error_set(err, r, "Bind for [::]:%d failed: port is "
                                                            "already allocated", ports[i].host_port)
                                     : hk_error_errno(err, r, "Bind for [::]:%d failed",
                                                      ports[i].host_port);
                break;
            }
            ports[i].host_port = 0;
        }
    }
    if (r < 0)
        for (size_t i = 0; i < 2 * n; i++)
            if (fds[i] >= 0)
                close(fds[i]);
    return r;
}

/* The container's side: lo and ifname up, the address (and ip6 unless NULL), the default
 * routes (when route). */
static int inside(pid_t pid, const struct network *n, const char *ifname, struct in_addr ip,
                  const char *ip6, bool route, struct hk_error *err)
{
    struct nl *nl = NULL;
    int r = nl_open_in(pid, &nl, err);
    if (r < 0)
        return r;
    int lo = nl_ifindex(nl, "lo"), eth = nl_ifindex(nl, ifname);
    if (lo < 0 || eth < 0)
        r = hk_error_set(err, -ENODEV, "the container's lo or %s is missing", ifname);
    if (r == 0)
        r = nl_link_up(nl, lo, err);
    if (r == 0)
        r = nl_addr_add(nl, eth, ip, n->prefix, err);
    if (r == 0)
        r = nl_link_up(nl, eth, err);
    if (r == 0 && route && !n->internal)
        r = nl_route_default(nl, n->gw, err);
    struct in6_addr a6;
    if (r == 0 && ip6 && inet_pton(AF_INET6, ip6, &a6) == 1) {
        r = nl_addr6_add(nl, eth, &a6, n->prefix6, err);
        if (r == 0 && route && !n->internal)
            r = nl_route6_default(nl, &n->gw6, err);
    }
    nl_close(nl);
    return r;
}

/* The veth, from the host end into the namespace of pid, named ifname there. */
static int veth(pid_t pid, const struct network *n, const char *name, const char *ifname,
                const unsigned char *mac, struct hk_error *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    _cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0)
        return hk_error_errno(err, -errno, "open '%s'", path);
    struct nl *nl = NULL;
    int r = nl_open(&nl, err);
    int br = r == 0 ? nl_ifindex(nl, n->bridge) : r;
    if (br < 0 && r == 0)
        r = hk_error_errno(err, br, "bridge '%s'", n->bridge);
    if (r == 0)
        r = nl_veth_add(nl, name, br, ifname, ns, mac, err);
    nl_close(nl);
    return r;
}

static json_t *ports_json(const struct fw_port *ports, size_t n, const int *fds)
{
    json_t *a = json_array(), *f = json_array();
    for (size_t i = n; i < 2 * n; i++)
        if (fds[i] >= 0)
            json_array_append_new(f, json_integer(fds[i]));
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_pack("{s:s,s:s,s:i,s:i}", "Proto", ports[i].proto,
                                           "HostIp", ports[i].host_ip, "HostPort",
                                           ports[i].host_port, "ContainerPort",
                                           ports[i].container_port));
        json_array_append_new(f, json_integer(fds[i]));
    }
    return json_pack("{s:o,s:o}", "Ports", a, "Fds", f);
}

/* NetworkSettings as docker shows it for a container on network n. */
static json_t *settings(const struct network *n, pid_t pid, const char *ip, const char *mac,
                        const struct fw_port *ports, size_t np, const json_t *exposed,
                        json_t *ep)
{
    char gw[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &n->gw, gw, sizeof(gw));
    json_t *pm = json_object();
    const char *key;
    json_t *x;
    json_object_foreach((json_t *)exposed, key, x) json_object_set_new(pm, key, json_null());
    for (size_t i = 0; i < np; i++) {
        char k[16], hp[8];
        snprintf(k, sizeof(k), "%d/%s", ports[i].container_port, ports[i].proto);
        snprintf(hp, sizeof(hp), "%d", ports[i].host_port);
        json_t *list = json_object_get(pm, k);
        if (!json_is_array(list)) {
            list = json_array();
            json_object_set_new(pm, k, list);
        }
        json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp",
                                              ports[i].host_ip[0] ? ports[i].host_ip : "0.0.0.0",
                                              "HostPort", hp));
        if (n->ipv6 && !ports[i].host_ip[0]) /* published on [::] too, as docker shows it */
            json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp", "::", "HostPort", hp));
    }
    _cleanup_free_ char *sandbox = xasprintf("/proc/%d/ns/net", (int)pid);
    json_t *ns = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:o,s:{s:O}}", "Bridge", n->bridge,
                           "SandboxKey", sandbox, "Gateway", n->internal ? "" : gw, "IPAddress",
                           ip, "IPPrefixLen", n->prefix, "MacAddress", mac, "Ports", pm,
                           "Networks", n->name, ep);
    static const char *const v6[] = {"GlobalIPv6Address", "GlobalIPv6PrefixLen", "IPv6Gateway"};
    for (size_t i = 0; i < ELEMENTSOF(v6); i++)
        json_object_set(ns, v6[i], json_object_get(ep, v6[i]));
    return ns;
}

/* docker's MAC for an address: 02:42 and the address's four bytes; or want (--mac-address,
 * checked at create) when given. */
static void mac_of(const char *ip, const char *want, struct in_addr *a, unsigned char mac[6],
                   char text[18])
{
    inet_pton(AF_INET, ip, a);
    mac[0] = 0x02;
    mac[1] = 0x42;
    memcpy(mac + 2, &a->s_addr, 4);
    if (want && *want)
        net_mac_parse(want, mac);
    snprintf(text, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

/* The endpoint docker shows in NetworkSettings.Networks[n]: Aliases as given (null when
 * none), DNSNames the names peers resolve (the container's name, its aliases, its short ID). */
static json_t *endpoint(const struct network *n, const char *ip, const char *mac,
                        const json_t *rec, const json_t *aliases)
{
    char gw[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &n->gw, gw, sizeof(gw));
    const char *name = json_string_value(json_object_get(rec, "Name")) ?: "";
    const char *id = json_string_value(json_object_get(rec, "Id")) ?: "";
    json_t *dns = json_null();
    if (!n->is_default) {
        dns = json_array();
        json_array_append_new(dns, json_string(name + (name[0] == '/')));
        if (json_is_array(aliases))
            json_array_extend(dns, (json_t *)aliases);
        json_array_append_new(dns, json_stringn(id, strlen(id) < 12 ? strlen(id) : 12));
    }
    char ip6[INET6_ADDRSTRLEN] = "", gw6[INET6_ADDRSTRLEN] = "";
    if (n->ipv6) {
        network_ip6(n, ip, ip6);
        if (!n->internal)
            inet_ntop(AF_INET6, &n->gw6, gw6, sizeof(gw6));
    }
    return json_pack("{s:O,s:s,s:s,s:s,s:s,s:i,s:s,s:o,s:s,s:i,s:s}", "Aliases",
                     json_array_size(aliases) ? (json_t *)aliases : json_null(), "NetworkID",
                     n->id, "EndpointID", ip, "Gateway", n->internal ? "" : gw, "IPAddress", ip,
                     "IPPrefixLen", n->prefix, "MacAddress", mac, "DNSNames", dns,
                     "GlobalIPv6Address", ip6, "GlobalIPv6PrefixLen", n->ipv6 ? n->prefix6 : 0,
                     "IPv6Gateway", gw6);
}

/* What the ipam entry needs to keep the members' /etc/hosts (hosts.h): the file, its own
 * names (Self: the hostname), the names its peers know (Names: the endpoint's DNSNames);
 * and for the DNS responder the container's --dns servers (Dns). Added to f. */
static void hosts_fields(json_t *f, const json_t *rec, const json_t *ep)
{
    const char *path = json_string_value(json_object_get(rec, "HostsPath"));
    const json_t *cfg = json_object_get(rec, "Config");
    const char *host = json_string_value(json_object_get(cfg, "Hostname")) ?: "";
    const char *domain = json_string_value(json_object_get(cfg, "Domainname")) ?: "";
    if (!path)
        return;
    json_t *names = json_object_get(ep, "DNSNames");
    json_object_set_new(f, "Hosts", json_string(path));
    /* its own line: HOST.DOMAIN HOST with --domainname, as docker writes it */
    json_object_set_new(f, "Self", *domain ? json_pack("[s++,s]", host, ".", domain, host)
                                           : json_pack("[s]", host));
    json_object_set_new(f, "Names", json_is_array(names) ? json_incref(names) : json_array());
    /* --dns: the servers the network's DNS responder forwards its other names to (dns.h) */
    const json_t *dns = json_object_get(json_object_get(rec, "HostConfig"), "Dns");
    if (json_array_size(dns))
        json_object_set_new(f, "Dns", json_deep_copy(dns));
}

struct plan {
    struct network net;
    char ip[16];
    char veth[16];
    char mac[18];
    struct fw_port *ports;
    size_t n_ports;
    int *fds;
    json_t *ep;
};

static void plan_undo(const char *id, struct plan *p)
{
    if (p->ip[0])
        ipam_release(&p->net, p->ip, id); /* nft elements, veth, fds, address */
    free(p->ports);
    free(p->fds);
    json_decref(p->ep);
}

/* Everything but the record: address, ports, veth, inside, DNAT. */
static int attach_steps(const char *id, pid_t pid, const json_t *rec,
                        struct plan *p, struct hk_error *err)
{
    const json_t *hc = json_object_get(rec, "HostConfig");
    const json_t *cfg = json_object_get(rec, "Config");
    /* --ip */
    const char *want = json_string_value(json_object_get(json_object_get(hc, "Hako"),
                                                         "IPv4Address"));
    int r = network_up(&p->net, err);
    if (r < 0)
        return r;
    r = ipam_claim(&p->net, id, 0, want, p->ip, err);
    if (r < 0)
        return r;
    r = ports_wanted(hc, json_object_get(cfg, "ExposedPorts"), &p->ports, &p->n_ports, err);
    if (r < 0)
        return r;
    p->fds = xcalloc(2 * p->n_ports + 1, sizeof(int));
    r = reserve_all(p->ports, p->n_ports, p->net.ipv6, p->fds, err);
    if (r < 0)
        return r;
    struct in_addr a;
    unsigned char mac[6];
    mac_of(p->ip, json_string_value(json_object_get(cfg, "MacAddress")), &a, mac, p->mac);
    snprintf(p->veth, sizeof(p->veth), "%.6sv%.8s", p->net.table, id);
    p->ep = endpoint(&p->net, p->ip, p->mac, rec,
                     json_object_get(json_object_get(hc, "Hako"), "Aliases"));
    json_t *f = ports_json(p->ports, p->n_ports, p->fds);
    json_object_set_new(f, "Veth", json_string(p->veth));
    json_object_set_new(f, "Mac", json_string(p->mac));
    hosts_fields(f, rec, p->ep);
    const char *ip6 = json_string_value(json_object_get(p->ep, "GlobalIPv6Address"));
    if (ip6 && *ip6)
        json_object_set_new(f, "IPv6", json_string(ip6));
    else
        ip6 = NULL;
    r = ipam_update(&p->net, p->ip, f, err);
    json_decref(f);
    if (r == 0)
        r = veth(pid, &p->net, p->veth, "eth0", mac, err);
    if (r == 0)
        r = inside(pid, &p->net, "eth0", a, ip6, true, err);
    if (r == 0)
        r = fw_ports(p->net.table, true, p->ip, p->ports, p->n_ports, err);
    if (r == 0 && ip6)
        r = fw_ports(p->net.table, true, ip6, p->ports, p->n_ports, err);
    return r;
}

int net_attach(const struct engine *e, const char *id, pid_t pid, struct hk_error *err)
{
    struct record *rec = NULL;
    int r = record_open(e, id, false, &rec, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *mode = xstrdup(json_string_value(
        json_object_get(json_object_get(rec->j, "HostConfig"), "NetworkMode")) ?: "");
    if (!net_mode_is_network(mode)) {
        bool own = strcmp(mode, "host") != 0;
        record_free(rec);
        return own ? netns_loopback_up(pid, err) : 0;
    }
    struct plan p = {0};
    r = network_get(e, mode, &p.net, err);
    if (r == 0)
        r = attach_steps(id, pid, rec->j, &p, err);
    json_t *ns = NULL;
    if (r == 0) {
        ns = settings(&p.net, pid, p.ip, p.mac, p.ports, p.n_ports,
                      json_object_get(json_object_get(rec->j, "Config"), "ExposedPorts"),
                      p.ep);
    }
    record_free(rec);
    if (r == 0) {
        r = record_open(e, id, true, &rec, err);
        if (r == 0) {
            json_object_set(rec->j, "NetworkSettings", ns);
            r = record_save(rec, err);
            record_free(rec);
        }
    }
    json_decref(ns);
    if (r < 0) {
        plan_undo(id, &p);
        return hk_error_prefix(err, r, "network %s", mode);
    }
    free(p.ports);
    free(p.fds);
    json_decref(p.ep);
    return 0;
}

void net_release(const struct engine *e, const char *id, json_t *j)
{
    json_t *ns = json_object_get(j, "NetworkSettings");
    const char *name;
    json_t *ep;
    json_object_foreach(json_object_get(ns, "Networks"), name, ep)
    {
        struct network n;
        const char *ip = json_string_value(json_object_get(ep, "IPAddress"));
        if (ip && *ip && network_get(e, name, &n, NULL) == 0)
            ipam_release(&n, ip, id);
        json_object_set_new(ep, "IPAddress", json_string(""));
        json_object_set_new(ep, "Gateway", json_string(""));
        if (json_object_get(ep, "GlobalIPv6Address")) {
            json_object_set_new(ep, "GlobalIPv6Address", json_string(""));
            json_object_set_new(ep, "IPv6Gateway", json_string(""));
        }
    }
    if (json_is_object(ns)) {
        json_object_set_new(ns, "IPAddress", json_string(""));
        json_object_set_new(ns, "Gateway", json_string(""));
        if (json_object_get(ns, "GlobalIPv6Address")) {
            json_object_set_new(ns, "GlobalIPv6Address", json_string(""));
            json_object_set_new(ns, "IPv6Gateway", json_string(""));
        }
        json_object_set_new(ns, "Ports", json_object());
        json_object_set_new(ns, "SandboxKey", json_string(""));
    }
}

void net_rename(const struct engine *e, json_t *j)
{
    const char *name = json_string_value(json_object_get(j, "Name")) ?: "";
    const char *key;
    json_t *ep;
    json_object_foreach(json_object_get(json_object_get(j, "NetworkSettings"), "Networks"), key,
                        ep)
    {
        struct network n;
        const char *ip = json_string_value(json_object_get(ep, "IPAddress"));
        json_t *dns = json_object_get(ep, "DNSNames");
        if (!ip || !*ip || !json_array_size(dns) || network_get(e, key, &n, NULL) < 0)
            continue;
        json_array_set_new(dns, 0, json_string(name + (name[0] == '/')));
        json_t *f = json_object();
        hosts_fields(f, j, ep);
        ipam_update(&n, ip, f, NULL); /* rewrites the members' /etc/hosts */
        json_decref(f);
    }
}

void net_release_id(const struct engine *e, const char *id)
{
    struct record *r = NULL;
    if (record_open(e, id, true, &r, NULL) < 0)
        return;
    net_release(e, id, r->j);
    record_save(r, NULL);
    record_free(r);
}

/* The endpoint of network n on a running container: veth <prefix>c<id7><k> (k: the
 * container's k-th network, 1..9) in its namespace as eth<k>, the address held by its monitor.
 * The caller holds the record's lock and saves it. */
static int connect_steps(const struct record *rec, const struct network *n, const char *want,
                         const json_t *aliases, json_t **ret_ep, struct hk_error *err)
{
    const json_t *hk = json_object_get(rec->j, "Hako");
    pid_t pid = (pid_t)json_integer_value(json_object_get(json_object_get(rec->j, "State"),
                                                          "Pid"));
    pid_t mon = (pid_t)json_integer_value(json_object_get(hk, "MonitorPid"));
    size_t k = json_object_size(
        json_object_get(json_object_get(rec->j, "NetworkSettings"), "Networks"));
    if (k > 9)
        return hk_error_set(err, -ENOSPC, "a container joins at most 10 networks");
    char ip[16], mtext[18], veth_name[16], ifname[8];
    int r = network_up(n, err);
    if (r >= 0)
        r = ipam_claim(n, rec->id, mon, want, ip, err);
    if (r < 0)
        return r;
    struct in_addr a;
    unsigned char mac[6];
    mac_of(ip, NULL, &a, mac, mtext);
    snprintf(veth_name, sizeof(veth_name), "%.6sc%.7s%zu", n->table, rec->id, k);
    snprintf(ifname, sizeof(ifname), "eth%zu", k);
    json_t *ep = endpoint(n, ip, mtext, rec->j, aliases);
    json_t *f = json_pack("{s:s,s:s,s:[],s:[]}", "Veth", veth_name, "Mac", mtext, "Ports",
                          "Fds");
    hosts_fields(f, rec->j, ep);
    const char *ip6 = json_string_value(json_object_get(ep, "GlobalIPv6Address"));
    if (ip6 && *ip6)
        json_object_set_new(f, "IPv6", json_string(ip6));
    else
        ip6 = NULL;
    r = ipam_update(n, ip, f, err);
    json_decref(f);
    if (r == 0)
        r = veth(pid, n, veth_name, ifname, mac, err);
    if (r == 0)
        r = inside(pid, n, ifname, a, ip6, k == 0, err);
    if (r < 0) {
        ipam_release(n, ip, rec->id);
        json_decref(ep);
        return r;
    }
    *ret_ep = ep;
    return 0;
}

int net_connect(const struct engine *e, const char *id, const char *network, const char *ip,
                const json_t *aliases, struct hk_error *err)
{
    struct network n;
    int r = network_get(e, network, &n, err);
    if (r < 0)
        return r;
    if (ip && n.is_default)
        return hk_error_set(err, -EINVAL, "user specified IP address is supported on user "
                                          "defined networks only");
    if (json_array_size(aliases) && n.is_default)
        return hk_error_set(err, -EINVAL, "network-scoped alias is supported only for "
                                          "containers in user defined networks");
    struct record *rec = NULL;
    r = record_open(e, id, true, &rec, err);
    if (r < 0)
        return r;
    record_refresh(e, rec);
    json_t *ns = json_object_get(rec->j, "NetworkSettings");
    json_t *nets = json_object_get(ns, "Networks");
    if (strcmp(record_status(rec->j), "running") != 0)
        r = hk_error_set(err, -EINVAL, "container %.12s is not running (hako connects running "
                                       "containers only)", id);
    else if (!json_is_object(nets))
        r = hk_error_set(err, -EINVAL, "container %.12s has no bridge network of its own to "
                                       "add to (its network mode is not a network)", id);
    else if (json_object_get(nets, n.name))
        r = hk_error_set(err, -EEXIST, "endpoint with name %s already exists in network %s",
                         json_string_value(json_object_get(rec->j, "Name")) ?: id, n.name);
    json_t *ep = NULL;
    if (r == 0)
        r = connect_steps(rec, &n, ip, aliases, &ep, err);
    if (r == 0) {
        json_object_set_new(nets, n.name, ep);
        r = record_save(rec, err);
    }
    record_free(rec);
    return r;
}

int net_disconnect(const struct engine *e, const char *id, const char *network,
                   struct hk_error *err)
{
    struct network n;
    int r = network_get(e, network, &n, err);
    if (r < 0)
        return r;
    struct record *rec = NULL;
    r = record_open(e, id, true, &rec, err);
    if (r < 0)
        return r;
    json_t *nets = json_object_get(json_object_get(rec->j, "NetworkSettings"), "Networks");
    json_t *ep = json_object_get(nets, n.name);
    const char *mode = json_string_value(
        json_object_get(json_object_get(rec->j, "HostConfig"), "NetworkMode"));
    if (!ep)
        r = hk_error_set(err, -ENOENT, "container %.12s is not connected to network %s", id,
                         n.name);
    else if (mode && (strcmp(mode, n.name) == 0 || strcmp(mode, n.id) == 0))
        r = hk_error_set(err, -EINVAL, "container %.12s: %s is its network mode; hako "
                                       "disconnects only networks added by connect", id, n.name);
    if (r == 0) {
        const char *ip = json_string_value(json_object_get(ep, "IPAddress"));
        if (ip && *ip)
            ipam_release(&n, ip, rec->id); /* deletes the veth: eth<k> leaves the container */
        json_object_del(nets, n.name);
        r = record_save(rec, err);
    }
    record_free(rec);
    return r;
}
