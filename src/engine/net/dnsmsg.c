/* dnsmsg.c — DNS message parsing and answers (see dnsmsg.h). */
#include "engine/net/dnsmsg.h"

#include <errno.h>
#include <string.h>

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

int dns_read_name(const uint8_t *msg, size_t len, size_t off, char name[256], bool *plain,
                  size_t *end)
{
    size_t out = 0, wire = 0, jumps = 0;
    bool jumped = false;
    *plain = true;
    name[0] = '\0';
    for (;;) {
        if (off >= len)
            return -EINVAL;
        uint8_t l = msg[off];
        if ((l & 0xc0) == 0xc0) {
            if (off + 1 >= len)
                return -EINVAL;
            size_t to = (size_t)(l & 0x3f) << 8 | msg[off + 1];
            /* only backwards: every jump lowers off, so no loop; and a bound anyway. Never
             * into the header, where no name is. */
            if (to >= off || to < DNS_HEADER || ++jumps > DNS_MAX_JUMPS)
                return -EINVAL;
            if (!jumped)
                *end = off + 2;
            jumped = true;
            off = to;
            continue;
        }
        if (l & 0xc0) /* 0x40, 0x80: extended label types, obsolete */
            return -EINVAL;
        wire += (size_t)l + 1;
        if (wire > 255)
            return -EINVAL;
        if (l == 0) {
            if (!jumped)
                *end = off + 1;
            name[out] = '\0';
            return 0;
        }
        if (off + 1 + l > len)
            return -EINVAL;
        if (out)
            name[out++] = '.';
        for (size_t i = 0; i < l; i++) {
            uint8_t c = msg[off + 1 + i];
            if (c <= ' ' || c >= 0x7f || c == '.')
                *plain = false;
            name[out++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        off += 1 + (size_t)l;
    }
}

int dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q)
{
    memset(q, 0, sizeof(*q));
    if (len < DNS_HEADER)
        return -EINVAL;
    q->id = get16(msg);
    q->flags = get16(msg + 2);
    if ((q->flags & 0x8000) || ((q->flags >> 11) & 0xf) != 0 || get16(msg + 4) != 1)
        return -ENOTSUP;
    size_t end = 0;
    int r = dns_read_name(msg, len, DNS_HEADER, q->name, &q->plain, &end);
    if (r < 0)
        return r;
    if (end + 4 > len)
        return -EINVAL;
    q->qtype = get16(msg + end);
    q->qclass = get16(msg + end + 2);
    q->qend = end + 4;
    return 0;
}

size_t dns_answer(const uint8_t *msg, const struct dns_query *q, int rcode, const void *addrs,
                  size_t n, size_t alen, uint32_t ttl, uint8_t *out, size_t cap)
{
    size_t need = q->qend + n * (12 + alen);
    if (need > cap || q->qend < DNS_HEADER)
        return 0;
    memcpy(out, msg, q->qend);
    /* QR, opcode 0, AA, RD as asked, RA */
    put16(out + 2, (uint16_t)(0x8000 | 0x0400 | (q->flags & 0x0100) | 0x0080 | (rcode & 0xf)));
    put16(out + 4, 1);
    put16(out + 6, (uint16_t)n);
    put16(out + 8, 0);
    put16(out + 10, 0);
    uint8_t *p = out + q->qend;
    for (size_t i = 0; i < n; i++) {
        put16(p, 0xc000 | DNS_HEADER); /* the question's name */
        put16(p + 2, q->qtype);
        put16(p + 4, DNS_CLASS_IN);
        put16(p + 6, (uint16_t)(ttl >> 16));
        put16(p + 8, (uint16_t)ttl);
        put16(p + 10, (uint16_t)alen);
        memcpy(p + 12, (const uint8_t *)addrs + i * alen, alen);
        p += 12 + alen;
    }
    return need;
}

size_t dns_error(const uint8_t *msg, int rcode, uint8_t out[DNS_HEADER])
{
    memset(out, 0, DNS_HEADER);
    memcpy(out, msg, 2);
    uint16_t flags = get16(msg + 2);
    put16(out + 2, (uint16_t)(0x8000 | (flags & 0x7900) | 0x0080 | (rcode & 0xf)));
    return DNS_HEADER;
}
