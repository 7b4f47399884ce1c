/* netns.c — loopback up in a container's new network namespace.
 *
 * The runtime makes the network namespace with the init's clone(), and a new namespace's lo is
 * down. We make a socket inside it (setns there and straight back: a socket belongs to the
 * namespace it was made in) and set IFF_UP on lo through it, before the program starts. */
#include "engine/netns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int netns_loopback_up(pid_t pid, struct hk_error *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    _cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns < 0 || self < 0)
        return hk_error_errno(err, -errno, "loopback: open the network namespaces");
    if (setns(ns, CLONE_NEWNET) < 0)
        return hk_error_errno(err, -errno, "loopback: enter '%s'", path);
    _cleanup_close_ int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int e = errno;
    if (setns(self, CLONE_NEWNET) < 0)
        return hk_error_errno(err, -errno, "loopback: return to our network namespace");
    if (sock < 0)
        return hk_error_errno(err, -e, "loopback: socket");
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return hk_error_errno(err, -errno, "loopback: get the flags of lo");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
        return hk_error_errno(err, -errno, "loopback: set lo up");
    return 0;
}
