/* dnsmsg.h — the DNS messages hako's responder (dns.h) reads and writes (RFC 1035).
 *
 * Queries come from containers: untrusted. The parser reads only inside the message, follows
 * a compression pointer only backwards (so a loop is impossible), never into the header, and at
 * most DNS_MAX_JUMPS of them, and refuses labels over 63 octets and names over 255. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER 12
#define DNS_MAX_JUMPS 32
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5

struct dns_query {
    uint16_t id;
    uint16_t flags;
    /* the question's name, dotted, lowercase, without the root's dot ("" for the root);
     * plain is false when a label holds a '.', a space or a non-ASCII octet (such a name is
     * nobody's on the network: it is forwarded as it came) */
    char name[256];
    bool plain;
    uint16_t qtype, qclass;
    size_t qend; /* the offset just after the question */
};

/* Read the name at off of msg (len octets) into name (dotted, lowercase, at most 255 octets
 * with its NUL); *end gets the offset after the name where it starts (not where a pointer
 * leads). 0, or -EINVAL when malformed (out of bounds, a forward or looping pointer, a label
 * over 63 octets, a name over 255). */
int dns_read_name(const uint8_t *msg, size_t len, size_t off, char name[256], bool *plain,
                  size_t *end);

/* Parse a query: 0; -EINVAL when malformed (the header is intact when len >= DNS_HEADER);
 * -ENOTSUP when it is not one standard query (a response, another opcode, not one
 * question). */
int dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q);

/* The answer to the query q (parsed from msg) in out (cap octets): the header and question
 * copied, rcode, and one record of type q->qtype per address (n addresses of alen octets each,
 * 4 for A, 16 for AAAA) with ttl. Returns its length, or 0 when cap is too small. */
size_t dns_answer(const uint8_t *msg, const struct dns_query *q, int rcode, const void *addrs,
                  size_t n, size_t alen, uint32_t ttl, uint8_t *out, size_t cap);

/* An answer with only the header of msg (len >= DNS_HEADER) and rcode (FORMERR for a message
 * that did not parse, NOTIMP for what is not a query). Returns DNS_HEADER. */
size_t dns_error(const uint8_t *msg, int rcode, uint8_t out[DNS_HEADER]);
