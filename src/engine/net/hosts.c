/* hosts.c — hako's sections of containers' /etc/hosts (see hosts.h). */
#include "engine/net/hosts.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "engine/net/network.h"
#include "util/fs.h"

/* The start of line in text that equals line (with its newline), or NULL. */
static const char *find_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; p && *p;) {
        if (strncmp(p, line, n) == 0)
            return p;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

char *hosts_with_section(const char *text, const char *bridge, const char *network,
                         const char *section)
{
    _cleanup_free_ char *begin = xasprintf("# hako %s: network ", bridge);
    _cleanup_free_ char *end = xasprintf("# hako %s end\n", bridge);
    const char *b = find_line(text, begin);
    const char *e = b ? find_line(b, end) : NULL;
    size_t head = b ? (size_t)(b - text) : strlen(text);
    const char *tail = e ? e + strlen(end) : ""; /* a section without its end: to the end */
    _cleanup_free_ char *block =
        section && *section ? xasprintf("%s%s\n%s%s", begin, network, section, end) : xstrdup("");
    /* a file whose last line has no newline gets one before the block */
    const char *nl = head && text[head - 1] != '\n' && *block ? "\n" : "";
    return xasprintf("%.*s%s%s%s", (int)head, text, nl, block, tail);
}

void hosts_append_line(char **buf, const char *ip, const char *first, const json_t *names)
{
    size_t cap = strlen(ip) + (first ? strlen(first) : 0) + 4, len;
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v) cap += strlen(json_string_value(v) ?: "") + 1;
    char *line = xcalloc(1, cap);
    len = (size_t)snprintf(line, cap, "%s\t", ip);
    char *start = line + len;
    for (i = 0; i <= json_array_size(names); i++) {
        const char *s = i == 0 ? first : json_string_value(json_array_get(names, i - 1));
        if (!s || !*s || strpbrk(s, " \t\n#"))
            continue;
        /* each name once (the hostname is often the short ID) */
        bool dup = false;
        for (const char *p = start; *p && !dup;) {
            size_t w = strcspn(p, " ");
            dup = w == strlen(s) && strncmp(p, s, w) == 0;
            p += w + (p[w] == ' ');
        }
        if (!dup)
            len += (size_t)snprintf(line + len, cap - len, "%s%s", start[0] ? " " : "", s);
    }
    char *out = xasprintf("%s%s\n", *buf ? *buf : "", line);
    free(line);
    free(*buf);
    *buf = out;
}

void hosts_put(const char *path, const char *bridge, const char *network, const char *section)
{
    /* a leaf lock, taken with nothing else inside: two networks of one container rewrite its
     * file one after the other (never flock the file itself: the container can hold that) */
    _cleanup_free_ char *lock = xasprintf("%s/hosts.lock", NETWORK_RUN_DIR);
    _cleanup_close_ int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lfd >= 0)
        flock(lfd, LOCK_EX);
    _cleanup_close_ int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    _cleanup_free_ char *fdpath = xasprintf("/proc/self/fd/%d", fd);
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (read_file(fdpath, 1 << 20, &text, &len, NULL) < 0)
        return;
    _cleanup_free_ char *out = hosts_with_section(text, bridge, network, section);
    size_t n = strlen(out);
    if (n == len && memcmp(out, text, n) == 0)
        return;
    /* one write from the start, then the truncation: a reader sees the old file, the new
     * one, or the new one with the old one's tail for a moment */
    if (pwrite(fd, out, n, 0) == (ssize_t)n)
        (void)!ftruncate(fd, (off_t)n);
}
