/* ipam.c — address files of a network (see ipam.h). */
#include "engine/net/ipam.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/net/dns.h"
#include "engine/net/fw.h"
#include "engine/net/hosts.h"
#include "engine/net/network.h"
#include "engine/net/nl.h"
#include "runtime/state.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

/* Machine-wide, by bridge: every --root whose default network is the same bridge shares its
 * addresses. */
static char *ipam_dir(const struct network *n)
{
    return xasprintf("%s/%s", NETWORK_RUN_DIR, n->bridge);
}

/* The directory's flock, exclusive (the directory made when missing). */
static int ipam_lock(const char *dir, struct hk_error *err)
{
    if (mkdir_p(dir, 0700) < 0)
        return hk_error_errno(err, -errno, "mkdir '%s'", dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        int r = -errno;
        if (fd >= 0)
            close(fd);
        return hk_error_errno(err, r, "lock '%s'", dir);
    }
    return fd;
}

json_t *ipam_entry_load(int dfd, const char *name)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (read_file_at(dfd, name, 1 << 20, &text, &len, NULL) < 0)
        return NULL;
    return json_loads(text, 0, NULL);
}

bool ipam_entry_alive(const json_t *j)
{
    json_int_t pid = json_integer_value(json_object_get(j, "Pid"));
    json_int_t start = json_integer_value(json_object_get(j, "Start"));
    unsigned long long now;
    char st;
    return pid > 0 && proc_start_time((pid_t)pid, &now, &st) == 0 && (json_int_t)now == start &&
           st != 'Z' && st != 'X';
}

static size_t entry_ports(const json_t *j, struct fw_port **ret)
{
    const json_t *ps = json_object_get(j, "Ports");
    size_t n = json_array_size(ps);
    struct fw_port *v = xcalloc(n + 1, sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(ps, i);
        snprintf(v[i].proto, sizeof(v[i].proto), "%s",
                 json_string_value(json_object_get(p, "Proto")) ?: "tcp");
        snprintf(v[i].host_ip, sizeof(v[i].host_ip), "%s",
                 json_string_value(json_object_get(p, "HostIp")) ?: "");
        v[i].host_port = (int)json_integer_value(json_object_get(p, "HostPort"));
        v[i].container_port = (int)json_integer_value(json_object_get(p, "ContainerPort"));
    }
    *ret = v;
    return n;
}

/* Undo an entry: nft elements, veth, port fds (when this process holds them), the file. */
static void entry_undo(int dfd, const char *ip, const json_t *j, const char *table)
{
    struct fw_port *ports = NULL;
    size_t n = entry_ports(j, &ports);
    const char *ip6 = json_string_value(json_object_get(j, "IPv6"));
    if (n)
        fw_ports(table, false, ip, ports, n, NULL);
    if (n && ip6)
        fw_ports(table, false, ip6, ports, n, NULL);
    free(ports);
    const char *veth = json_string_value(json_object_get(j, "Veth"));
    if (veth && *veth) {
        struct nl *nl = NULL;
        if (nl_open(&nl, NULL) == 0)
            nl_link_del(nl, veth);
        nl_close(nl);
    }
    if (json_integer_value(json_object_get(j, "Pid")) == getpid()) {
        size_t i;
        json_t *fd;
        json_array_foreach(json_object_get(j, "Fds"), i, fd) close((int)json_integer_value(fd));
    }
    unlinkat(dfd, ip, 0);
}

/* Reclaim every stale entry of the (locked) directory; fill live with the live entries by
 * address when given. Returns how many were stale. */
static int reclaim(int dfd, const char *table, json_t *live)
{
    int stale = 0;
    _cleanup_close_ int d2 = dup(dfd);
    DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
    if (!d)
        return 0;
    d2 = -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        struct in_addr a;
        if (inet_pton(AF_INET, de->d_name, &a) != 1)
            continue;
        json_t *j = ipam_entry_load(dfd, de->d_name);
        if (j && ipam_entry_alive(j)) {
            if (live)
                json_object_set(live, de->d_name, j);
        } else {
            entry_undo(dfd, de->d_name, j ? j : json_object(), table);
            stale++;
        }
        json_decref(j);
    }
    closedir(d);
    return stale;
}

/* The hosts sections of n (hosts.h), from its live entries (under the directory's lock): in
 * the file of every member, or on the default network, where containers do not resolve each
 * other (docker's behaviour), in the file of the entry of only (its own line) alone. */
static void sync_hosts(const struct network *n, json_t *live, const char *only)
{
    const char *ip;
    json_t *j;
    json_object_foreach(live, ip, j)
    {
        const char *path = json_string_value(json_object_get(j, "Hosts"));
        if (!path || (n->is_default && (!only || strcmp(ip, only) != 0)))
            continue;
        _cleanup_free_ char *section = NULL;
        json_t *self = json_deep_copy(json_object_get(j, "Self"));
        if (!json_is_array(self)) {
            json_decref(self);
            self = json_array();
        }
        json_array_extend(self, json_object_get(j, "Names"));
        hosts_append_line(&section, ip, NULL, self);
        const char *ip6 = json_string_value(json_object_get(j, "IPv6"));
        if (ip6)
            hosts_append_line(&section, ip6, NULL, self);
        json_decref(self);
        const char *pip;
        json_t *p;
        json_object_foreach(live, pip, p)
        {
            if (n->is_default || p == j || !json_object_get(p, "Names"))
                continue;
            hosts_append_line(&section, pip, NULL, json_object_get(p, "Names"));
            const char *pip6 = json_string_value(json_object_get(p, "IPv6"));
            if (pip6)
                hosts_append_line(&section, pip6, NULL, json_object_get(p, "Names"));
        }
        hosts_put(path, n->bridge, n->name, section);
    }
}

/* Claim an address of n for id: want (--ip) or the lowest free one. ret_ip gets its text. */
int ipam_claim(const struct network *n, const char *id, pid_t holder, const char *want,
               char ret_ip[16], struct hk_error *err)
{
    _cleanup_free_ char *dir = ipam_dir(n);
    _cleanup_close_ int dfd = ipam_lock(dir, err);
    if (dfd < 0)
        return dfd;
    json_t *live = json_object();
    if (reclaim(dfd, n->table, live))
        sync_hosts(n, live, NULL);
    uint32_t net = ntohl(n->net.s_addr), size = 1u << (32 - n->prefix);
    uint32_t first = net + 1, last = net + size - 2, pick = 0;
    if (want) {
        struct in_addr a;
        if (inet_pton(AF_INET, want, &a) != 1 || ntohl(a.s_addr) < first ||
            ntohl(a.s_addr) > last) {
            json_decref(live);
            return hk_error_set(err, -EINVAL, "Invalid address %s: It does not belong to any "
                                              "of this network's subnets", want);
        }
        pick = ntohl(a.s_addr);
    }
    for (uint32_t c = want ? pick : first; c <= last; c++) {
        struct in_addr a = {htonl(c)};
        inet_ntop(AF_INET, &a, ret_ip, 16);
        if (a.s_addr == n->gw.s_addr || json_object_get(live, ret_ip)) {
            if (want)
                break;
            continue;
        }
        unsigned long long start = 0;
        char st;
        if (!holder)
            holder = getpid();
        proc_start_time(holder, &start, &st);
        json_t *j = json_pack("{s:s,s:i,s:I}", "Id", id, "Pid", (int)holder, "Start",
                              (json_int_t)start);
        _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, ret_ip);
        int r = write_file_replace(path, text, strlen(text), 0600, err);
        json_decref(live);
        return r;
    }
    json_decref(live);
    if (want)
        return hk_error_set(err, -EADDRINUSE, "Address already in use");
    return hk_error_set(err, -ENOSPC, "no available IPv4 addresses on this network's address "
                                      "pools: %s (%s)", n->name, n->subnet);
}

/* Rewrite the entry of ip with its veth, ports and fds (under the lock); with Hosts, the
 * hosts sections of the network's members. */
int ipam_update(const struct network *n, const char *ip, json_t *fields, struct hk_error *err)
{
    _cleanup_free_ char *dir = ipam_dir(n);
    _cleanup_close_ int dfd = ipam_lock(dir, err);
    if (dfd < 0)
        return dfd;
    json_t *j = ipam_entry_load(dfd, ip);
    if (!j)
        return hk_error_set(err, -ENOENT, "address %s was taken back", ip);
    json_object_update(j, fields);
    _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, ip);
    int r = write_file_replace(path, text, strlen(text), 0600, err);
    if (r == 0 && json_object_get(fields, "Hosts")) {
        json_t *live = json_object();
        reclaim(dfd, n->table, live);
        sync_hosts(n, live, ip);
        json_decref(live);
        struct hk_error derr = {0};
        if (!n->is_default && dns_up(n, dfd, &derr) < 0) /* the names stay in /etc/hosts */
            log_warn("network %s: %s", n->name, hk_error_msg(&derr));
    }
    return r;
}

void ipam_release(const struct network *n, const char *ip,
                  const char *id)
{
    _cleanup_free_ char *dir = ipam_dir(n);
    if (!path_exists(dir))
        return;
    _cleanup_close_ int dfd = ipam_lock(dir, NULL);
    json_t *j = dfd >= 0 ? ipam_entry_load(dfd, ip) : NULL;
    if (j && strcmp(json_string_value(json_object_get(j, "Id")) ?: "", id) == 0) {
        entry_undo(dfd, ip, j, n->table);
        const char *path = json_string_value(json_object_get(j, "Hosts"));
        if (path) { /* its own section goes (disconnect), and it leaves its peers' */
            hosts_put(path, n->bridge, n->name, "");
            json_t *live = json_object();
            reclaim(dfd, n->table, live);
            if (!n->is_default)
                sync_hosts(n, live, NULL);
            if (!n->is_default && !json_object_size(live))
                dns_down(dfd); /* its last container left */
            json_decref(live);
        }
    }
    json_decref(j);
}

json_t *ipam_endpoints(const struct network *n)
{
    json_t *out = json_object();
    _cleanup_free_ char *dir = ipam_dir(n);
    if (!path_exists(dir))
        return out;
    _cleanup_close_ int dfd = ipam_lock(dir, NULL);
    if (dfd < 0)
        return out;
    json_t *live = json_object();
    if (reclaim(dfd, n->table, live))
        sync_hosts(n, live, NULL);
    if (!n->is_default && !json_object_size(live))
        dns_down(dfd);
    const char *ip;
    json_t *j;
    json_object_foreach(live, ip, j)
    {
        _cleanup_free_ char *cidr = xasprintf("%s/%d", ip, n->prefix);
        const char *ip6 = json_string_value(json_object_get(j, "IPv6"));
        _cleanup_free_ char *cidr6 = ip6 ? xasprintf("%s/%d", ip6, n->prefix6) : xstrdup("");
        json_object_set_new(out, json_string_value(json_object_get(j, "Id")) ?: ip,
                            json_pack("{s:s,s:s,s:s}", "IPv4Address", cidr, "IPv6Address", cidr6,
                                      "MacAddress",
                                      json_string_value(json_object_get(j, "Mac")) ?: ""));
    }
    json_decref(live);
    return out;
}
