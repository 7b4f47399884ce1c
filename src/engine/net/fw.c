/* fw.c — hako's nftables table (see fw.h). */
#include "engine/net/fw.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/lazy.h"

/* The process's one libnftables context (made on first use: parsing its tables costs more
 * than a command), with its output and errors buffered. */
static struct nft_ctx *context(struct hk_error *err)
{
    static struct nft_ctx *ctx;
    static pid_t owner;
    /* A context made before a fork (`run` made the table, then forked the monitor that adds
     * the container's ports) shares its netlink socket, bound to the parent's port ID, with
     * the parent: the kernel's answers go astray ("Broken pipe"). Each process makes its own. */
    if (ctx && owner != getpid()) {
        nft_ctx_free(ctx);
        ctx = NULL;
    }
    if (ctx)
        return ctx;
    owner = getpid();
    if (lazy_require(LAZY_NFT, err) < 0)
        return NULL;
    ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (!ctx) {
        hk_error_set(err, -ENOMEM, "nftables: no context");
        return NULL;
    }
    nft_ctx_buffer_output(ctx);
    nft_ctx_buffer_error(ctx);
    return ctx;
}

/* Run one nft script as a single transaction. quiet_missing: an element or table already
 * gone is success. */
static int nft_run(const char *script, bool quiet_missing, struct hk_error *err)
{
    struct nft_ctx *ctx = context(err);
    if (!ctx)
        return err && err->code ? err->code : -ENOENT;
    if (nft_run_cmd_from_buffer(ctx, script) == 0) {
        nft_ctx_get_output_buffer(ctx); /* drop what a list printed */
        nft_ctx_get_error_buffer(ctx);
        return 0;
    }
    const char *e = nft_ctx_get_error_buffer(ctx);
    bool missing = e && (strstr(e, "No such file") || strstr(e, "not exist"));
    if (missing && quiet_missing)
        return 0;
    char first[512];
    snprintf(first, sizeof(first), "%s", e ? e : "");
    first[strcspn(first, "\n")] = '\0';
    return hk_error_set(err, -EIO, "nftables: %s", first[0] ? first : "command failed");
}

int fw_ensure6(const char *table, struct hk_error *err)
{
    _cleanup_free_ char *probe = xasprintf("list map inet %s any6\n", table);
    struct hk_error ignored = {0};
    if (nft_run(probe, false, &ignored) == 0)
        return 0;
    _cleanup_free_ char *s = xasprintf(
        "add map inet %1$s any6 { type inet_proto . inet_service : ipv6_addr . inet_service; }\n"
        "add rule inet %1$s ports ip6 daddr != ::1 "
        "dnat ip6 to meta l4proto . th dport map @any6\n",
        table);
    int r = nft_run(s, false, err);
    return r < 0 ? hk_error_prefix(err, r, "IPv6 published ports in table inet %s", table) : 0;
}

int fw_ensure(const char *table, struct hk_error *err)
{
    _cleanup_free_ char *probe = xasprintf("list table inet %s\n", table);
    struct hk_error ignored = {0};
    if (nft_run(probe, false, &ignored) == 0)
        return 0;
    _cleanup_free_ char *s = xasprintf(
        "table inet %1$s {\n"
        " set bridges { type ifname; }\n"
        " set internal { type ifname; }\n"
        " set nat4 { type ipv4_addr; flags interval; }\n"
        " map any4 { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
        " map ip4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n"
        " chain ports {\n"
        "  dnat ip to ip daddr . meta l4proto . th dport map @ip4\n"
        "  dnat ip to meta l4proto . th dport map @any4\n"
        " }\n"
        " chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
        "  fib daddr type local jump ports; }\n"
        " chain output { type nat hook output priority -100; policy accept;\n"
        "  fib daddr type local jump ports; }\n"
        " chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n"
        "  ip saddr 127.0.0.0/8 oifname @bridges masquerade\n"
        "  ip saddr @nat4 oifname != @bridges masquerade; }\n"
        " chain forward { type filter hook forward priority filter; policy accept;\n"
        "  iifname @internal drop\n"
        "  oifname @internal drop; }\n"
        "}\n",
        table);
    int r = nft_run(s, false, err);
    return r < 0 ? hk_error_prefix(err, r, "create table inet %s", table) : 0;
}

int fw_network(const char *table, bool add, const char *bridge, const char *subnet,
               bool internal, struct hk_error *err)
{
    const char *verb = add ? "add" : "delete";
    _cleanup_free_ char *s = xasprintf("%s element inet %s bridges { \"%s\" }\n", verb, table,
                                       bridge);
    _cleanup_free_ char *more = internal
                                    ? xasprintf("%s element inet %s internal { \"%s\" }\n", verb,
                                                table, bridge)
                                    : xasprintf("%s element inet %s nat4 { %s }\n", verb, table,
                                                subnet);
    _cleanup_free_ char *all = xasprintf("%s%s", s, more);
    int r;
    if (add)
        return nft_run(all, false, err);
    /* one at a time: a delete of a missing element fails the whole transaction */
    r = nft_run(s, true, err);
    if (r == 0)
        r = nft_run(more, true, err);
    return r;
}

static char *element(const char *ip, const struct fw_port *p, bool with_value)
{
    _cleanup_free_ char *val = with_value ? xasprintf(" : %s . %d", ip, p->container_port)
                                          : xstrdup("");
    if (strchr(ip, ':')) /* IPv6: ports on any address only */
        return xasprintf("any6 { %s . %d%s }", p->proto, p->host_port, val);
    if (p->host_ip[0])
        return xasprintf("ip4 { %s . %s . %d%s }", p->host_ip, p->proto, p->host_port, val);
    return xasprintf("any4 { %s . %d%s }", p->proto, p->host_port, val);
}

int fw_ports(const char *table, bool add, const char *ip, const struct fw_port *ports, size_t n,
             struct hk_error *err)
{
    int ret = 0;
    bool v6 = strchr(ip, ':');
    if (add) {
        size_t cap = 64 + n * 160, len = 0;
        _cleanup_free_ char *s = xcalloc(1, cap);
        for (size_t i = 0; i < n; i++) {
            if (v6 && ports[i].host_ip[0])
                continue;
            _cleanup_free_ char *el = element(ip, &ports[i], true);
            len += (size_t)snprintf(s + len, cap - len, "add element inet %s %s\n", table, el);
        }
        return len ? nft_run(s, false, err) : 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (v6 && ports[i].host_ip[0])
            continue;
        _cleanup_free_ char *el = element(ip, &ports[i], false);
        _cleanup_free_ char *s = xasprintf("delete element inet %s %s\n", table, el);
        int r = nft_run(s, true, err);
        if (r < 0 && ret == 0)
            ret = r;
    }
    return ret;
}

int fw_drop(const char *table, struct hk_error *err)
{
    _cleanup_free_ char *s = xasprintf("delete table inet %s\n", table);
    return nft_run(s, true, err);
}
