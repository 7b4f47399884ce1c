/* etc.c — the container's hostname, hosts and resolv.conf files. */
#include "engine/etc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
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

/* Append "<word> a b c\n" from the array list, or nothing when empty. */
static void append_list(char **text, const char *word, const json_t *list)
{
    if (!json_array_size(list))
        return;
    size_t i;
    json_t *v;
    char *line = xstrdup(word);
    json_array_foreach(list, i, v)
    {
        char *n = xasprintf("%s %s", line, json_string_value(v) ?: "");
        free(line);
        line = n;
    }
    char *out = xasprintf("%s%s\n", *text, line);
    free(line);
    free(*text);
    *text = out;
}

/* text without the lines that start with word (and a space or tab). Allocated. */
static char *drop_lines(const char *text, const char *word)
{
    size_t n = strlen(word), len = 0;
    char *out = xcalloc(1, strlen(text) + 2);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (!(strncmp(p, word, n) == 0 && (p[n] == ' ' || p[n] == '\t'))) {
            memcpy(out + len, p, l);
            len += l;
        }
        p += l;
    }
    return out;
}

char *etc_resolv_conf_for(const char *host_text, const struct etc_opts *o)
{
    char *text = etc_resolv_conf(host_text, o->host_network);
    const json_t *hc = o->host_config;
    if (o->nameserver) { /* --dns: the responder forwards there, as docker's does */
        char *kept = drop_lines(text, "nameserver");
        free(text);
        text = xasprintf("%snameserver %s\n", kept, o->nameserver);
        free(kept);
    }
    static const char *const keys[][2] = {
        {"Dns", "nameserver"}, {"DnsSearch", "search"}, {"DnsOptions", "options"}};
    for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
        const json_t *list = json_object_get(hc, keys[k][0]);
        if (!json_array_size(list))
            continue;
        if (k == 0 && o->nameserver) {
            append_list(&text, "# ExtServers:", list); /* docker's note of them */
            continue;
        }
        char *kept = drop_lines(text, keys[k][1]);
        free(text);
        text = kept;
        if (k == 0) { /* one nameserver line each */
            size_t i;
            json_t *v;
            json_array_foreach(list, i, v)
            {
                json_t *one = json_pack("[O]", v);
                append_list(&text, "nameserver", one);
                json_decref(one);
            }
        } else {
            append_list(&text, keys[k][1], list);
        }
    }
    return text;
}

int etc_check_extra_host(const char *v, struct hk_error *err)
{
    const char *sep = strchr(v, ':');
    if (!sep || sep == v || !sep[1])
        return hk_error_set(err, -EINVAL, "invalid argument \"%s\" for \"--add-host\" flag: "
                                          "bad format for add-host: \"%s\"", v, v);
    unsigned char buf[sizeof(struct in6_addr)];
    if (strcmp(sep + 1, "host-gateway") != 0 && inet_pton(AF_INET, sep + 1, buf) != 1 &&
        inet_pton(AF_INET6, sep + 1, buf) != 1)
        return hk_error_set(err, -EINVAL, "invalid argument \"%s\" for \"--add-host\" flag: "
                                          "invalid IP address in add-host: \"%s\"", v, sep + 1);
    return 0;
}

/* hosts plus the --add-host lines. Allocated. */
static char *hosts_for(const char *host_hosts, const struct etc_opts *o)
{
    char *text = etc_hosts(host_hosts, o->host_network);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o->host_config, "ExtraHosts"), i, v)
    {
        const char *s = json_string_value(v) ?: "";
        const char *sep = strchr(s, ':');
        if (!sep)
            continue;
        const char *ip = strcmp(sep + 1, "host-gateway") == 0 ? (o->gateway ?: "") : sep + 1;
        char *n = xasprintf("%s%s\t%.*s\n", text, ip, (int)(sep - s), s);
        free(text);
        text = n;
    }
    return text;
}

int etc_write(const char *dir, const struct etc_opts *o, struct hk_error *err)
{
    _cleanup_free_ char *host_resolv = NULL, *host_hosts = NULL;
    size_t len;
    read_file("/etc/resolv.conf", 1 << 20, &host_resolv, &len, NULL);
    read_file("/etc/hosts", 1 << 20, &host_hosts, &len, NULL);
    _cleanup_free_ char *resolv = etc_resolv_conf_for(host_resolv, o);
    _cleanup_free_ char *hosts = hosts_for(host_hosts, o);
    _cleanup_free_ char *hn = xasprintf("%s\n", o->hostname);
    int r = put(dir, "hostname", hn, err);
    if (r == 0)
        r = put(dir, "hosts", hosts, err);
    if (r == 0)
        r = put(dir, "resolv.conf", resolv, err);
    return r < 0 ? hk_error_prefix(err, r, "write the container's /etc files") : 0;
}
