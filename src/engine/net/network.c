/* network.c — network records, subnets and bridges (see network.h). */
#include "engine/net/network.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/names.h"
#include "engine/net/fw.h"
#include "engine/net/ipam.h"
#include "engine/net/nl.h"
#include "runtime/state.h"
#include "util/fs.h"
#include "util/json.h"

#define LOCK_PATH NETWORK_RUN_DIR "/lock"

const char *network_prefix(void)
{
    const char *p = getenv("HAKO_NET_PREFIX");
    if (!p || !*p || strlen(p) > 6)
        return "hako";
    for (const char *c = p; *c; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c))
            return "hako";
    return p;
}

int network_lock(struct hk_error *err)
{
    mkdir(NETWORK_RUN_DIR, 0700);
    int fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return hk_error_errno(err, -errno, "open '%s'", LOCK_PATH);
    if (flock(fd, LOCK_EX) < 0) {
        int r = -errno;
        close(fd);
        return hk_error_errno(err, r, "lock '%s'", LOCK_PATH);
    }
    return fd;
}

static uint32_t mask_of(int prefix)
{
    return prefix ? ~0u << (32 - prefix) : 0;
}

/* The subnet of the kernel's route through interface ifname, if it has one. */
static bool iface_route(const char *ifname, struct in_addr *net, int *prefix)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/net/route", "re");
    char line[256], name[32];
    unsigned dst, gw, flags, refc, use, metric, mask;
    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%31s %x %x %x %u %u %u %x", name, &dst, &gw, &flags, &refc, &use,
                   &metric, &mask) != 8 || strcmp(name, ifname) != 0 || gw != 0 || mask == 0)
            continue;
        net->s_addr = dst;
        *prefix = __builtin_popcount(mask);
        return true;
    }
    return false;
}

bool network_route_overlaps(struct in_addr net, int prefix)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/net/route", "re");
    if (!f)
        return false;
    char line[256], ifname[32];
    unsigned dst, gw, flags, refc, use, metric, mask;
    uint32_t a = ntohl(net.s_addr), am = mask_of(prefix);
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%31s %x %x %x %u %u %u %x", ifname, &dst, &gw, &flags, &refc, &use,
                   &metric, &mask) != 8 || mask == 0)
            continue;
        uint32_t b = ntohl(dst), bm = ntohl(mask);
        uint32_t m = am & bm; /* the shorter prefix */
        if ((a & m) == (b & m))
            return true;
    }
    return false;
}

/* "addr/n" of family af, lo <= n <= hi: the address into addr (struct in_addr or in6_addr),
 * n into prefix. hint follows the error. */
static int cidr_split(const char *s, int af, void *addr, int lo, int hi, const char *hint,
                      int *prefix, struct hk_error *err)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    if (!slash || (size_t)(slash - s) >= sizeof(buf))
        return hk_error_set(err, -EINVAL, "invalid CIDR address: %s%s", s, hint);
    memcpy(buf, s, (size_t)(slash - s));
    buf[slash - s] = '\0';
    char *end;
    long p = strtol(slash + 1, &end, 10);
    if (inet_pton(af, buf, addr) != 1 || *end || end == slash + 1 || p < lo || p > hi)
        return hk_error_set(err, -EINVAL, "invalid CIDR address: %s%s", s, hint);
    *prefix = (int)p;
    return 0;
}

/* "a.b.c.d/n" with no host bits set. */
static int cidr_parse(const char *s, struct in_addr *net, int *prefix, struct hk_error *err)
{
    int r = cidr_split(s, AF_INET, net, 8, 30, "", prefix, err);
    if (r < 0)
        return r;
    uint32_t a = ntohl(net->s_addr);
    if (a & ~mask_of(*prefix)) {
        struct in_addr z = {htonl(a & mask_of(*prefix))};
        char t[INET_ADDRSTRLEN];
        return hk_error_set(err, -EINVAL, "invalid subnet %s: it should be %s/%d", s,
                            inet_ntop(AF_INET, &z, t, sizeof(t)), *prefix);
    }
    return 0;
}

/* "addr/n" for IPv6, 48 <= n <= 112, with no host bits set. */
static int cidr6_parse(const char *s, struct in6_addr *net, int *prefix, struct hk_error *err)
{
    int r = cidr_split(s, AF_INET6, net, 48, 112, " (hako's IPv6 subnets are /48 to /112)",
                       prefix, err);
    if (r < 0)
        return r;
    struct in6_addr z = *net;
    for (int bit = *prefix; bit < 128; bit++)
        z.s6_addr[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
    if (memcmp(&z, net, sizeof(z)) != 0) {
        char t[INET6_ADDRSTRLEN];
        return hk_error_set(err, -EINVAL, "invalid subnet %s: it should be %s/%d", s,
                            inet_ntop(AF_INET6, &z, t, sizeof(t)), *prefix);
    }
    return 0;
}

/* Whether a/pa and b/pb share their first min(pa, pb) bits. */
static bool overlap6(const struct in6_addr *a, int pa, const struct in6_addr *b, int pb)
{
    int m = pa < pb ? pa : pb;
    for (int bit = 0; bit < m; bit++) {
        unsigned mask = 0x80u >> (bit % 8);
        if ((a->s6_addr[bit / 8] & mask) != (b->s6_addr[bit / 8] & mask))
            return false;
    }
    return true;
}

/* Whether net/prefix overlaps an IPv6 route of the host other than the default one. */
static bool route6_overlaps(const struct in6_addr *net, int prefix)
{
    _cleanup_fclose_ FILE *f = fopen("/proc/net/ipv6_route", "re");
    char dst[33];
    unsigned plen;
    char line[256];
    while (f && fgets(line, sizeof(line), f)) {
        struct in6_addr a;
        if (sscanf(line, "%32s %x", dst, &plen) != 2 || plen == 0 || strlen(dst) != 32)
            continue;
        for (int i = 0; i < 16; i++) {
            unsigned b;
            sscanf(dst + 2 * i, "%2x", &b);
            a.s6_addr[i] = (unsigned char)b;
        }
        if (overlap6(net, prefix, &a, (int)plen))
            return true;
    }
    return false;
}

void network_ip6(const struct network *n, const char *ip, char ret[INET6_ADDRSTRLEN])
{
    struct in_addr a;
    inet_pton(AF_INET, ip, &a);
    uint32_t host = ntohl(a.s_addr) - ntohl(n->net.s_addr);
    struct in6_addr x = n->net6;
    for (int i = 15; i >= 12; i--, host >>= 8)
        x.s6_addr[i] |= (unsigned char)(host & 0xff);
    inet_ntop(AF_INET6, &x, ret, INET6_ADDRSTRLEN);
}

static char *networks_dir(const struct engine *e)
{
    return xasprintf("%s/networks", e->root);
}

static int from_json(const json_t *j, struct network *n, struct hk_error *err)
{
    memset(n, 0, sizeof(*n));
    const json_t *cfg = json_array_get(json_object_get(json_object_get(j, "IPAM"), "Config"), 0);
    snprintf(n->name, sizeof(n->name), "%s", json_string_value(json_object_get(j, "Name")) ?: "");
    snprintf(n->id, sizeof(n->id), "%s", json_string_value(json_object_get(j, "Id")) ?: "");
    snprintf(n->created, sizeof(n->created), "%s",
             json_string_value(json_object_get(j, "Created")) ?: "");
    snprintf(n->subnet, sizeof(n->subnet), "%s",
             json_string_value(json_object_get(cfg, "Subnet")) ?: "");
    const json_t *hk = json_object_get(j, "Hako");
    snprintf(n->bridge, sizeof(n->bridge), "%s",
             json_string_value(json_object_get(hk, "Bridge")) ?: "");
    snprintf(n->table, sizeof(n->table), "%s",
             json_string_value(json_object_get(hk, "Table")) ?: "");
    n->internal = json_is_true(json_object_get(j, "Internal"));
    n->is_default = strcmp(n->name, "bridge") == 0;
    const char *gw = json_string_value(json_object_get(cfg, "Gateway")) ?: "";
    if (cidr_parse(n->subnet, &n->net, &n->prefix, err) < 0 ||
        inet_pton(AF_INET, gw, &n->gw) != 1 || !n->bridge[0] || !n->table[0])
        return hk_error_set(err, -EINVAL, "network '%s': damaged record", n->name);
    n->ipv6 = json_is_true(json_object_get(j, "EnableIPv6"));
    const json_t *cfg6 = json_array_get(json_object_get(json_object_get(j, "IPAM"), "Config"), 1);
    snprintf(n->subnet6, sizeof(n->subnet6), "%s",
             json_string_value(json_object_get(cfg6, "Subnet")) ?: "");
    const char *gw6 = json_string_value(json_object_get(cfg6, "Gateway")) ?: "";
    if (n->ipv6 && (cidr6_parse(n->subnet6, &n->net6, &n->prefix6, err) < 0 ||
                    inet_pton(AF_INET6, gw6, &n->gw6) != 1))
        return hk_error_set(err, -EINVAL, "network '%s': damaged record", n->name);
    return 0;
}

static json_t *to_json(const struct network *n, const json_t *labels)
{
    char gw[INET_ADDRSTRLEN], gw6[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET, &n->gw, gw, sizeof(gw));
    json_t *cfg = json_pack("[{s:s,s:s}]", "Subnet", n->subnet, "Gateway", gw);
    if (n->ipv6)
        json_array_append_new(cfg, json_pack("{s:s,s:s}", "Subnet", n->subnet6, "Gateway",
                                             inet_ntop(AF_INET6, &n->gw6, gw6, sizeof(gw6))));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:{s:s,s:o},s:{s:s},s:O,"
                     "s:{s:s,s:s}}",
                     "Name", n->name, "Id", n->id, "Created", n->created, "Scope", "local",
                     "Driver", "bridge", "EnableIPv6", n->ipv6, "Internal", n->internal,
                     "Attachable", 0, "IPAM", "Driver", "default", "Config", cfg, "Options",
                     "com.docker.network.bridge.name", n->bridge, "Labels",
                     labels ? labels : json_object(), "Hako", "Bridge", n->bridge, "Table",
                     n->table);
}

static int save(const struct engine *e, const struct network *n, const json_t *labels,
                struct hk_error *err)
{
    _cleanup_free_ char *dir = networks_dir(e);
    mkdir_p(dir, 0700);
    _cleanup_free_ char *path = xasprintf("%s/%s.json", dir, n->name);
    json_t *j = to_json(n, labels);
    _cleanup_free_ char *text = json_dumps(j, JSON_INDENT(2));
    json_decref(j);
    return write_file_atomic(path, text, strlen(text), 0600, err);
}

static int load_file(const char *path, json_t **ret)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (read_file(path, 1 << 20, &text, &len, NULL) < 0)
        return -ENOENT;
    json_t *j = json_loads(text, 0, NULL);
    if (!j)
        return -EINVAL;
    *ret = j;
    return 0;
}

/* Whether net/prefix (a struct in_addr, or in6_addr for AF_INET6) overlaps a host route or
 * another network of this root. */
static bool subnet_taken(const struct engine *e, int af, const void *net, int prefix)
{
    const struct in_addr *n4 = net;
    if (af == AF_INET6 ? route6_overlaps(net, prefix) : network_route_overlaps(*n4, prefix))
        return true;
    json_t *all = NULL;
    if (network_list(e, &all, NULL) < 0)
        return false;
    bool taken = false;
    size_t i;
    json_t *j;
    json_array_foreach(all, i, j)
    {
        struct network o;
        if (from_json(j, &o, NULL) < 0)
            continue;
        uint32_t m = mask_of(prefix < o.prefix ? prefix : o.prefix);
        if (af == AF_INET6)
            taken |= o.ipv6 && overlap6(net, prefix, &o.net6, o.prefix6);
        else
            taken |= (ntohl(n4->s_addr) & m) == (ntohl(o.net.s_addr) & m);
    }
    json_decref(all);
    return taken;
}

/* --ipv6: the subnet asked for, or a ULA /64 whose global ID is 40 bits of the network's ID
 * (RFC 4193 wants them random: the ID is); its first address is the gateway. */
static int new_subnet6(const struct engine *e, const struct network_req *req,
                       struct network *n, struct hk_error *err)
{
    if (req->subnet6) {
        int r = cidr6_parse(req->subnet6, &n->net6, &n->prefix6, err);
        if (r < 0)
            return r;
        if (128 - n->prefix6 < 32 - n->prefix)
            return hk_error_set(err, -EINVAL, "IPv6 subnet %s is smaller than the IPv4 subnet "
                                              "%s: hako gives each container the same host part "
                                              "in both", req->subnet6, n->subnet);
        snprintf(n->subnet6, sizeof(n->subnet6), "%s", req->subnet6);
    } else {
        memset(&n->net6, 0, sizeof(n->net6));
        n->net6.s6_addr[0] = 0xfd;
        for (int i = 0; i < 5; i++) {
            unsigned b;
            sscanf(n->id + 2 * i, "%2x", &b);
            n->net6.s6_addr[1 + i] = (unsigned char)b;
        }
        n->prefix6 = 64;
        char t[INET6_ADDRSTRLEN];
        snprintf(n->subnet6, sizeof(n->subnet6), "%s/64",
                 inet_ntop(AF_INET6, &n->net6, t, sizeof(t)));
    }
    if (subnet_taken(e, AF_INET6, &n->net6, n->prefix6))
        return hk_error_set(err, -EEXIST, "Pool overlaps with other one on this address space");
    n->ipv6 = true;
    n->gw6 = n->net6;
    n->gw6.s6_addr[15] |= 1;
    return 0;
}

/* The first free subnet: /16s 10.209-219 for the default, /24s 10.220.0-10.239.255 else. */
static int choose_subnet(const struct engine *e, bool is_default, struct network *n,
                         struct hk_error *err)
{
    int count = is_default ? 11 : 20 * 256;
    for (int k = 0; k < count; k++) {
        uint32_t a = is_default ? (10u << 24) | ((209u + (unsigned)k) << 16)
                                : (10u << 24) | ((220u + (unsigned)k / 256) << 16) |
                                      (((unsigned)k % 256) << 8);
        struct in_addr net = {htonl(a)};
        int prefix = is_default ? 16 : 24;
        if (subnet_taken(e, AF_INET, &net, prefix))
            continue;
        n->net = net;
        n->prefix = prefix;
        n->gw.s_addr = htonl(a + 1);
        char t[INET_ADDRSTRLEN];
        snprintf(n->subnet, sizeof(n->subnet), "%s/%d", inet_ntop(AF_INET, &net, t, sizeof(t)),
                 prefix);
        return 0;
    }
    return hk_error_set(err, -ENOSPC, "could not find an available, non-overlapping IPv4 "
                                      "address pool among the defaults to assign to the network");
}

static int new_record4(const struct engine *e, const struct network_req *req,
                       struct network *n, struct hk_error *err);

static int new_record(const struct engine *e, const struct network_req *req, struct network *n,
                      struct hk_error *err)
{
    int r = new_record4(e, req, n, err);
    if (r == 0 && (req->ipv6 || req->subnet6)) {
        if (!req->ipv6)
            return hk_error_set(err, -EINVAL, "an IPv6 subnet (%s) needs --ipv6", req->subnet6);
        r = new_subnet6(e, req, n, err);
    }
    return r;
}

static int new_record4(const struct engine *e, const struct network_req *req,
                       struct network *n, struct hk_error *err)
{
    memset(n, 0, sizeof(*n));
    snprintf(n->name, sizeof(n->name), "%s", req->name);
    n->is_default = strcmp(req->name, "bridge") == 0;
    n->internal = req->internal;
    int r = names_new_id(n->id, err);
    if (r < 0)
        return r;
    rfc3339_now(n->created, sizeof(n->created));
    snprintf(n->table, sizeof(n->table), "%s", network_prefix());
    if (n->is_default)
        snprintf(n->bridge, sizeof(n->bridge), "%.6s0", network_prefix());
    else
        snprintf(n->bridge, sizeof(n->bridge), "%.6s-%.8s", network_prefix(), n->id);
    if (n->is_default && iface_route(n->bridge, &n->net, &n->prefix)) {
        n->gw.s_addr = htonl(ntohl(n->net.s_addr) + 1);
        char t[INET_ADDRSTRLEN];
        snprintf(n->subnet, sizeof(n->subnet), "%s/%d",
                 inet_ntop(AF_INET, &n->net, t, sizeof(t)), n->prefix);
        return 0;
    }
    if (!req->subnet)
        return choose_subnet(e, n->is_default, n, err);
    r = cidr_parse(req->subnet, &n->net, &n->prefix, err);
    if (r < 0)
        return r;
    snprintf(n->subnet, sizeof(n->subnet), "%s", req->subnet);
    if (subnet_taken(e, AF_INET, &n->net, n->prefix))
        return hk_error_set(err, -EEXIST, "Pool overlaps with other one on this address space");
    n->gw.s_addr = htonl(ntohl(n->net.s_addr) + 1);
    if (req->gateway) {
        if (inet_pton(AF_INET, req->gateway, &n->gw) != 1 ||
            (ntohl(n->gw.s_addr) & mask_of(n->prefix)) != ntohl(n->net.s_addr) ||
            n->gw.s_addr == n->net.s_addr ||
            (ntohl(n->gw.s_addr) | mask_of(n->prefix)) == ~0u)
            return hk_error_set(err, -EINVAL, "no matching subnet for gateway %s", req->gateway);
    }
    return 0;
}

int network_get(const struct engine *e, const char *ref, struct network *ret,
                struct hk_error *err)
{
    _cleanup_free_ char *dir = networks_dir(e);
    _cleanup_free_ char *path = xasprintf("%s/%s.json", dir, ref);
    json_t *j = NULL;
    if (!strchr(ref, '/') && load_file(path, &j) == 0) {
        int r = from_json(j, ret, err);
        json_decref(j);
        return r;
    }
    if (strcmp(ref, "bridge") == 0) {
        _cleanup_close_ int lock = network_lock(err);
        if (lock < 0)
            return lock;
        if (load_file(path, &j) == 0) { /* made meanwhile */
            int r = from_json(j, ret, err);
            json_decref(j);
            return r;
        }
        struct network_req req = {.name = "bridge"};
        int r = new_record(e, &req, ret, err);
        return r < 0 ? r : save(e, ret, NULL, err);
    }
    json_t *all = NULL;
    int r = network_list(e, &all, err);
    if (r < 0)
        return r;
    int found = 0;
    size_t i;
    json_t *x;
    json_array_foreach(all, i, x)
    {
        const char *id = json_string_value(json_object_get(x, "Id")) ?: "";
        if (strlen(ref) >= 1 && strncmp(id, ref, strlen(ref)) == 0 && found++ == 0)
            r = from_json(x, ret, err);
    }
    json_decref(all);
    if (found > 1)
        return hk_error_set(err, -EINVAL, "network %s is ambiguous (%d matches found based on "
                                          "ID prefix)", ref, found);
    if (!found)
        return hk_error_set(err, -ENOENT, "network %s not found", ref);
    return r;
}

/* n's bridge, its addresses (and IPv6 on it, for --ipv6), up. */
static int bridge_up(struct nl *nl, const struct network *n, struct hk_error *err)
{
    int idx = nl_bridge_ensure(nl, n->bridge, n->gw, n->prefix, err);
    if (idx < 0 || !n->ipv6)
        return idx < 0 ? idx : 0;
    _cleanup_free_ char *d6 = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", n->bridge);
    if (write_str(d6, "0") < 0)
        return hk_error_errno(err, -errno, "bridge '%s': turn IPv6 on (%s)", n->bridge, d6);
    int r = nl_addr6_add(nl, idx, &n->gw6, n->prefix6, err);
    return r < 0 && r != -EEXIST ? hk_error_prefix(err, r, "bridge '%s'", n->bridge) : 0;
}

static bool if_exists(const char *name)
{
    return if_nametoindex(name) != 0;
}

int network_up(const struct network *n, struct hk_error *err)
{
    char fwd[8] = "";
    _cleanup_close_ int pd = open("/proc/sys/net/ipv4", O_PATH | O_DIRECTORY | O_CLOEXEC);
    read_str_at(pd, "ip_forward", fwd, sizeof(fwd));
    bool need_fwd = !n->internal && strcmp(fwd, "1") != 0;
    if (!need_fwd && if_exists(n->bridge))
        return 0;
    _cleanup_close_ int lock = network_lock(err);
    if (lock < 0)
        return lock;
    int r = fw_ensure(n->table, err);
    if (r == 0 && n->ipv6)
        r = fw_ensure6(n->table, err);
    if (r == 0)
        r = fw_network(n->table, true, n->bridge, n->subnet, n->internal, err);
    struct nl *nl = NULL;
    if (r == 0)
        r = nl_open(&nl, err);
    if (r == 0)
        r = bridge_up(nl, n, err);
    nl_close(nl);
    if (r < 0)
        return hk_error_prefix(err, r, "network %s", n->name);
    /* 127.0.0.1:PORT published: DNAT in the output chain routes loopback-sourced packets
     * onto the bridge, which the kernel allows only with route_localnet there. */
    _cleanup_free_ char *rl = xasprintf("conf/%s/route_localnet", n->bridge);
    if (write_str_at(pd, rl, "1") < 0)
        return hk_error_errno(err, -errno, "network %s: set %s", n->name, rl);
    if (need_fwd && write_str_at(pd, "ip_forward", "1") < 0)
        return hk_error_errno(err, -errno, "network %s: turn on net.ipv4.ip_forward", n->name);
    return need_fwd ? 1 : 0;
}

/* docker's rule for network names: [a-zA-Z0-9][a-zA-Z0-9_.-]* (a file name here, too). */
static int name_check(const char *name, struct hk_error *err)
{
    size_t n = strlen(name);
    bool ok = n > 0 && n < 100 && isalnum((unsigned char)name[0]);
    for (size_t i = 1; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || strchr("_.-", name[i]);
    return ok ? 0 : hk_error_set(err, -EINVAL, "invalid network name \"%s\": only "
                                               "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
}

int network_create(const struct engine *e, const struct network_req *req, struct network *ret,
                   struct hk_error *err)
{
    if (strcmp(req->name, "bridge") == 0 || strcmp(req->name, "host") == 0 ||
        strcmp(req->name, "none") == 0 || strcmp(req->name, "default") == 0)
        return hk_error_set(err, -EPERM, "operation is not permitted on predefined %s network",
                            req->name);
    int r = name_check(req->name, err);
    if (r < 0)
        return r;
    _cleanup_close_ int lock = network_lock(err);
    if (lock < 0)
        return lock;
    _cleanup_free_ char *dir = networks_dir(e);
    _cleanup_free_ char *path = xasprintf("%s/%s.json", dir, req->name);
    if (path_exists(path))
        return hk_error_set(err, -EEXIST, "network with name %s already exists", req->name);
    struct network n;
    r = new_record(e, req, &n, err);
    if (r < 0)
        return r;
    r = fw_ensure(n.table, err);
    if (r == 0 && n.ipv6)
        r = fw_ensure6(n.table, err);
    if (r == 0)
        r = fw_network(n.table, true, n.bridge, n.subnet, n.internal, err);
    struct nl *nl = NULL;
    if (r == 0)
        r = nl_open(&nl, err);
    if (r == 0)
        r = bridge_up(nl, &n, err);
    if (r >= 0) {
        _cleanup_free_ char *rl = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet",
                                            n.bridge);
        write_str(rl, "1");
        r = save(e, &n, req->labels, err);
    }
    if (r < 0) {
        if (nl)
            nl_link_del(nl, n.bridge);
        fw_network(n.table, false, n.bridge, n.subnet, n.internal, NULL);
    }
    nl_close(nl);
    if (r < 0)
        return r;
    *ret = n;
    return 0;
}

int network_remove(const struct engine *e, const char *ref, struct hk_error *err)
{
    struct network n;
    int r = network_get(e, ref, &n, err);
    if (r < 0)
        return r;
    if (n.is_default)
        return hk_error_set(err, -EPERM, "bridge is a pre-defined network and cannot be removed");
    json_t *eps = ipam_endpoints(&n);
    size_t busy = json_object_size(eps);
    json_decref(eps);
    if (busy)
        return hk_error_set(err, -EBUSY, "error while removing network: network %s id %s has "
                                         "active endpoints", n.name, n.id);
    _cleanup_close_ int lock = network_lock(err);
    if (lock < 0)
        return lock;
    struct nl *nl = NULL;
    if (nl_open(&nl, NULL) == 0)
        nl_link_del(nl, n.bridge);
    nl_close(nl);
    fw_network(n.table, false, n.bridge, n.subnet, n.internal, NULL);
    _cleanup_free_ char *dir = networks_dir(e);
    _cleanup_free_ char *path = xasprintf("%s/%s.json", dir, n.name);
    _cleanup_free_ char *ipam = xasprintf("%s/%s", NETWORK_RUN_DIR, n.bridge);
    rm_rf(ipam);
    if (unlink(path) < 0)
        return hk_error_errno(err, -errno, "remove '%s'", path);
    return 0;
}

int network_list(const struct engine *e, json_t **ret, struct hk_error *err)
{
    _cleanup_free_ char *dir = networks_dir(e);
    json_t *out = json_array();
    DIR *d = opendir(dir);
    if (!d) {
        *ret = out;
        return errno == ENOENT ? 0 : hk_error_errno(err, -errno, "open '%s'", dir);
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, de->d_name);
        json_t *j = NULL;
        if (load_file(path, &j) < 0)
            continue;
        if (strcmp(json_string_value(json_object_get(j, "Name")) ?: "", "bridge") == 0)
            json_array_insert_new(out, 0, j);
        else
            json_array_append_new(out, j);
    }
    closedir(d);
    *ret = out;
    return 0;
}

json_t *network_inspect(const struct engine *e, const struct network *n)
{
    _cleanup_free_ char *dir = networks_dir(e);
    _cleanup_free_ char *path = xasprintf("%s/%s.json", dir, n->name);
    json_t *j = NULL;
    if (load_file(path, &j) < 0)
        j = to_json(n, NULL);
    json_t *eps = ipam_endpoints(n), *named = json_object();
    const char *id;
    json_t *ep;
    json_object_foreach(eps, id, ep)
    {
        struct record *r = NULL;
        if (record_open(e, id, false, &r, NULL) == 0) {
            const char *name = json_string_value(json_object_get(r->j, "Name")) ?: "";
            json_object_set_new(ep, "Name", json_string(name[0] == '/' ? name + 1 : name));
            record_free(r);
        }
        json_object_set(named, id, ep);
    }
    json_decref(eps);
    json_object_set_new(j, "Containers", named);
    json_object_del(j, "Hako");
    return j;
}
