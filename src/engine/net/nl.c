/* nl.c — rtnetlink over libmnl (see nl.h). */
#include "engine/net/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"

struct nl {
    struct mnl_socket *sock;
    unsigned seq;
    unsigned portid;
};

static int nl_wrap(struct mnl_socket *s, struct nl **ret)
{
    if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
        int r = -errno;
        mnl_socket_close(s);
        return r;
    }
    struct nl *n = xcalloc(1, sizeof(*n));
    n->sock = s;
    n->seq = (unsigned)time(NULL);
    n->portid = mnl_socket_get_portid(s);
    *ret = n;
    return 0;
}

int nl_open(struct nl **ret, struct hk_error *err)
{
    struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!s)
        return hk_error_errno(err, -errno, "netlink socket");
    int r = nl_wrap(s, ret);
    return r < 0 ? hk_error_errno(err, r, "netlink bind") : 0;
}

int nl_open_in(pid_t pid, struct nl **ret, struct hk_error *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    _cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns < 0 || self < 0)
        return hk_error_errno(err, -errno, "open the network namespace of %d", (int)pid);
    if (setns(ns, CLONE_NEWNET) < 0)
        return hk_error_errno(err, -errno, "enter '%s'", path);
    struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    int e = errno;
    if (setns(self, CLONE_NEWNET) < 0)
        abort(); /* we cannot stay in the container's namespace */
    if (!s)
        return hk_error_errno(err, -e, "netlink socket in '%s'", path);
    int r = nl_wrap(s, ret);
    return r < 0 ? hk_error_errno(err, r, "netlink bind") : 0;
}

struct nl *nl_close(struct nl *n)
{
    if (n) {
        mnl_socket_close(n->sock);
        free(n);
    }
    return NULL;
}

static struct nlmsghdr *msg_new(struct nl *n, char *buf, int type, int flags)
{
    struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
    h->nlmsg_type = (unsigned short)type;
    h->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags);
    h->nlmsg_seq = ++n->seq;
    return h;
}

/* Send h and wait for its ack (or its error, returned as negative errno). */
static int talk(struct nl *n, struct nlmsghdr *h, mnl_cb_t cb, void *data)
{
    if (mnl_socket_sendto(n->sock, h, h->nlmsg_len) < 0)
        return -errno;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    for (;;) {
        ssize_t len = mnl_socket_recvfrom(n->sock, buf, sizeof(buf));
        if (len < 0)
            return -errno;
        int r = mnl_cb_run(buf, (size_t)len, h->nlmsg_seq, n->portid, cb, data);
        if (r < 0)
            return -errno;
        if (r == MNL_CB_STOP)
            return 0;
    }
}

static int index_cb(const struct nlmsghdr *h, void *data)
{
    const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
    *(int *)data = ifi->ifi_index;
    return MNL_CB_OK;
}

static struct ifinfomsg *link_msg(struct nlmsghdr *h, int index);

int nl_ifindex(struct nl *n, const char *name)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg_new(n, buf, RTM_GETLINK, 0);
    link_msg(h, 0);
    mnl_attr_put_strz(h, IFLA_IFNAME, name);
    int index = -ENODEV;
    int r = talk(n, h, index_cb, &index);
    return r < 0 ? r : index;
}

static struct ifinfomsg *link_msg(struct nlmsghdr *h, int index)
{
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    return ifi;
}

int nl_link_up(struct nl *n, int ifindex, struct hk_error *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg_new(n, buf, RTM_NEWLINK, 0);
    struct ifinfomsg *ifi = link_msg(h, ifindex);
    ifi->ifi_flags = ifi->ifi_change = IFF_UP;
    int r = talk(n, h, NULL, NULL);
    return r < 0 ? hk_error_errno(err, r, "set interface %d up", ifindex) : 0;
}

int nl_addr_add(struct nl *n, int ifindex, struct in_addr addr, int prefix, struct hk_error *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg_new(n, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    ifa->ifa_index = (unsigned)ifindex;
    mnl_attr_put_u32(h, IFA_LOCAL, addr.s_addr);
    mnl_attr_put_u32(h, IFA_ADDRESS, addr.s_addr);
    if (prefix < 31) {
        struct in_addr b = {addr.s_addr | htonl(prefix ? ~0u >> prefix : ~0u)};
        mnl_attr_put_u32(h, IFA_BROADCAST, b.s_addr);
    }
    int r = talk(n, h, NULL, NULL);
    if (r == -EEXIST)
        return r;
    char s[INET_ADDRSTRLEN];
    return r < 0 ? hk_error_errno(err, r, "add address %s/%d", inet_ntop(AF_INET, &addr, s,
                                                                         sizeof(s)), prefix)
                 : 0;
}

int nl_addr6_add(struct nl *n, int ifindex, const struct in6_addr *addr, int prefix,
                 struct hk_error *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg_new(n, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
    ifa->ifa_family = AF_INET6;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    ifa->ifa_flags = IFA_F_NODAD; /* usable at once: the addresses are hako's to give */
    ifa->ifa_index = (unsigned)ifindex;
    mnl_attr_put(h, IFA_LOCAL, sizeof(*addr), addr);
    mnl_attr_put(h, IFA_ADDRESS, sizeof(*addr), addr);
    int r = talk(n, h, NULL, NULL);
    if (r == -EEXIST)
        return r;
    char s[INET6_ADDRSTRLEN];
    return r < 0 ? hk_error_errno(err, r, "add address %s/%d",
                                  inet_ntop(AF_INET6, addr, s, sizeof(s)), prefix)
                 : 0;
}

/* The default route of family af via gw (len bytes). */
static int route_default(struct nl *n, int af, const void *gw, size_t len, struct hk_error *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg_new(n, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
    rt->rtm_family = (unsigned char)af;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = RT_SCOPE_UNIVERSE;
    rt->rtm_type = RTN_UNICAST;
    mnl_attr_put(h, RTA_GATEWAY, len, gw);
    int r = talk(n, h, NULL, NULL);
    return r < 0 ? hk_error_errno(err, r, "add the %sdefault route", af == AF_INET6 ? "IPv6 "
                                                                                    : "")
                 : 0;
}

int nl_route6_default(struct nl *n, const struct in6_addr *gw, struct hk_error *err)
{
    return route_default(n, AF_INET6, gw, sizeof(*gw), err);
}

int nl_route_default(struct nl *n, struct in_addr gw, struct hk_error *err)
{
    return route_default(n, AF_INET, &gw, sizeof(gw), err);
}

int nl_bridge_ensure(struct nl *n, const char *name, struct in_addr addr, int prefix,
                     struct hk_error *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg_new(n, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    link_msg(h, 0);
    mnl_attr_put_strz(h, IFLA_IFNAME, name);
    /* A MAC of its own (02:42 and its address, docker's scheme, which no container has: the
     * gateway address is nobody's). Without one a bridge takes its lowest port's, which
     * changes when a veth with a lower random MAC joins, and the containers' ARP entries for
     * the gateway point at nothing until they expire: their DNS responder (dns.h) and the
     * way out go silent for half a minute. */
    uint8_t mac[6] = {0x02, 0x42};
    memcpy(mac + 2, &addr, 4);
    mnl_attr_put(h, IFLA_ADDRESS, sizeof(mac), mac);
    struct nlattr *li = mnl_attr_nest_start(h, IFLA_LINKINFO);
    mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
    mnl_attr_nest_end(h, li);
    int r = talk(n, h, NULL, NULL);
    if (r < 0 && r != -EEXIST)
        return hk_error_errno(err, r, "create bridge '%s'", name);
    int idx = nl_ifindex(n, name);
    if (idx < 0)
        return hk_error_errno(err, idx, "bridge '%s'", name);
    r = nl_addr_add(n, idx, addr, prefix, err);
    if (r < 0 && r != -EEXIST)
        return hk_error_prefix(err, r, "bridge '%s'", name);
    r = nl_link_up(n, idx, err);
    return r < 0 ? hk_error_prefix(err, r, "bridge '%s'", name) : idx;
}

int nl_veth_add(struct nl *n, const char *host_name, int master, const char *peer_name,
                int netns_fd, const unsigned char *mac, struct hk_error *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg_new(n, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg *ifi = link_msg(h, 0);
    ifi->ifi_flags = ifi->ifi_change = IFF_UP;
    mnl_attr_put_strz(h, IFLA_IFNAME, host_name);
    mnl_attr_put_u32(h, IFLA_MASTER, (unsigned)master);
    struct nlattr *li = mnl_attr_nest_start(h, IFLA_LINKINFO);
    mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
    struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
    struct nlattr *peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
    struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(h, sizeof(*pifi));
    pifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(h, IFLA_IFNAME, peer_name);
    mnl_attr_put_u32(h, IFLA_NET_NS_FD, (unsigned)netns_fd);
    if (mac)
        mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
    mnl_attr_nest_end(h, peer);
    mnl_attr_nest_end(h, data);
    mnl_attr_nest_end(h, li);
    int r = talk(n, h, NULL, NULL);
    return r < 0 ? hk_error_errno(err, r, "create veth '%s'", host_name) : 0;
}

int nl_link_del(struct nl *n, const char *name)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *h = msg_new(n, buf, RTM_DELLINK, 0);
    link_msg(h, 0);
    mnl_attr_put_strz(h, IFLA_IFNAME, name);
    int r = talk(n, h, NULL, NULL);
    return r == -ENODEV ? 0 : r;
}
