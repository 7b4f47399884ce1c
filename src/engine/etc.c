/* etc.c — the container's hostname, hosts and resolv.conf files. */
#include "engine/etc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

static bool loopback_nameserver(const char *line)
{
    const char *p = line + strlen("nameserver");
    while (isspace((unsigned char)*p))
        p++;
    return strncmp(p, "127.", 4) == 0 || strncmp(p, "::1", 3) == 0;
}

char *etc_resolv_conf(const char *host_text, bool host_network)
{
    if (host_network)
        return xstrdup(host_text ? host_text : "");
    size_t cap = (host_text ? strlen(host_text) : 0) + 128, len = 0;
    char *out = xcalloc(1, cap);
    bool any = false;
    _cleanup_free_ char *copy = xstrdup(host_text ? host_text : "");
    for (char *save = NULL, *p = copy, *line; (line = strtok_r(p, "\n", &save)); p = NULL) {
        bool ns = strncmp(line, "nameserver", 10) == 0 && isspace((unsigned char)line[10]);
        if (ns && loopback_nameserver(line))
            continue;
        any |= ns;
        len += (size_t)snprintf(out + len, cap - len, "%s\n", line);
    }
    if (!any)
        snprintf(out + len, cap - len, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    return out;
}

char *etc_hosts(const char *host_text, bool host_network)
{
    if (host_network && host_text)
        return xstrdup(host_text);
    return xstrdup("127.0.0.1\tlocalhost\n"
                   "::1\tlocalhost ip6-localhost ip6-loopback\n"
                   "fe00::0\tip6-localnet\n"
                   "ff00::0\tip6-mcastprefix\n"
                   "ff02::1\tip6-allnodes\n"
                   "ff02::2\tip6-allrouters\n");
}

static int put(const char *dir, const char *name, const char *text, struct hk_error *err)
{
    _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
    struct stat st;
    /* in a user namespace's directory (create.c), owned by the container's root */
    if (stat(dir, &st) == 0 && st.st_uid != 0) {
        int r = write_file_replace(path, text, strlen(text), 0644, err);
        return r < 0 || lchown(path, st.st_uid, st.st_gid) == 0
                   ? r
                   : hk_error_errno(err, -errno, "chown '%s'", path);
    }
    /* made again by each create: no fsync */
    return write_file_replace(path, text, strlen(text), 0644, err);
}

int etc_write(const char *dir, const char *hostname, bool host_network, struct hk_error *err)
{
    _cleanup_free_ char *host_resolv = NULL, *host_hosts = NULL;
    size_t len;
    read_file("/etc/resolv.conf", 1 << 20, &host_resolv, &len, NULL);
    read_file("/etc/hosts", 1 << 20, &host_hosts, &len, NULL);
    _cleanup_free_ char *resolv = etc_resolv_conf(host_resolv, host_network);
    _cleanup_free_ char *hosts = etc_hosts(host_hosts, host_network);
    _cleanup_free_ char *hn = xasprintf("%s\n", hostname);
    int r = put(dir, "hostname", hn, err);
    if (r == 0)
        r = put(dir, "hosts", hosts, err);
    if (r == 0)
        r = put(dir, "resolv.conf", resolv, err);
    return r < 0 ? hk_error_prefix(err, r, "write the container's /etc files") : 0;
}
