/* fuzz-dns.c — dns_parse_query() and dns_read_name(), which read every query a container
 * sends its network's DNS responder (engine/net/dns.c). Whatever the input: no read outside
 * it, no loop; a parsed name is lowercase, at most 253 characters, and its question ends
 * inside the message; the answer built from it repeats the question exactly and parses as
 * the same name. */
#include "engine/net/dnsmsg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_query q;
    if (dns_parse_query(data, size, &q) == 0) {
        FUZZ_CHECK(q.qend <= size && q.qend > DNS_HEADER);
        FUZZ_CHECK(strlen(q.name) <= 253);
        for (const char *p = q.name; *p; p++)
            FUZZ_CHECK(!(*p >= 'A' && *p <= 'Z'));
        static uint8_t out[DNS_HEADER + 255 * 4 + 64];
        uint8_t addrs[8] = {10, 0, 0, 2, 10, 0, 0, 3};
        size_t n = dns_answer(data, &q, 0, addrs, 2, 4, 10, out, sizeof(out));
        if (q.qend + 32 <= sizeof(out)) {
            FUZZ_CHECK(n == q.qend + 32);
            FUZZ_CHECK(memcmp(out + DNS_HEADER, data + DNS_HEADER, q.qend - DNS_HEADER) == 0);
            FUZZ_CHECK((out[2] & 0x80) && out[7] == 2);
            char again[256];
            bool plain;
            size_t end = 0, off = DNS_HEADER;
            while (data[off] && data[off] < 0xc0)
                off += data[off] + 1u;
            /* the question's name, when it is all in the question (a pointer may lead to a
             * label that goes on past it, which the answer does not copy) */
            if (!data[off]) {
                FUZZ_CHECK(dns_read_name(out, n, DNS_HEADER, again, &plain, &end) == 0);
                FUZZ_CHECK(strcmp(again, q.name) == 0 && plain == q.plain);
                /* each answer's name points at it */
                FUZZ_CHECK(dns_read_name(out, n, q.qend, again, &plain, &end) == 0);
                FUZZ_CHECK(strcmp(again, q.name) == 0 && end == q.qend + 2);
            }
        } else {
            FUZZ_CHECK(n == 0);
        }
    }
    /* a name anywhere in the message, as an answer's owner or a pointer's target would be */
    if (size > 1) {
        char name[256];
        bool plain;
        size_t end = 0;
        if (dns_read_name(data, size, data[0] % size, name, &plain, &end) == 0)
            FUZZ_CHECK(end <= size && strlen(name) <= 253);
    }
    uint8_t err[DNS_HEADER];
    if (size >= DNS_HEADER)
        FUZZ_CHECK(dns_error(data, DNS_RCODE_FORMERR, err) == DNS_HEADER && (err[2] & 0x80) &&
                   (err[3] & 0xf) == DNS_RCODE_FORMERR);
    return 0;
}
