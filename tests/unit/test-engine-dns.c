/* Unit tests for engine/net/dnsmsg (the DNS messages of a user network's responder): queries
 * parsed from untrusted bytes, answers built. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "engine/net/dnsmsg.h"

#define HEAD "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
#define Q(name) HEAD name "\x00\x01\x00\x01"

static int parse(const char *m, size_t len, struct dns_query *q)
{
    return dns_parse_query((const uint8_t *)m, len, q);
}

static void test_query_parsed(void **state)
{
    (void)state;
    static const char m[] = Q("\x02"
                              "Db"
                              "\x07"
                              "Example"
                              "\x00");
    struct dns_query q;
    assert_int_equal(parse(m, sizeof(m) - 1, &q), 0);
    assert_int_equal(q.id, 0x1234);
    assert_string_equal(q.name, "db.example"); /* lowercase */
    assert_true(q.plain);
    assert_int_equal(q.qtype, DNS_TYPE_A);
    assert_int_equal(q.qclass, DNS_CLASS_IN);
    assert_int_equal(q.qend, sizeof(m) - 1);
    /* the root */
    static const char root[] = Q("\x00");
    assert_int_equal(parse(root, sizeof(root) - 1, &q), 0);
    assert_string_equal(q.name, "");
    /* a '.' or a space inside a label: not a plain name */
    static const char dot[] = Q("\x03"
                                "a.b"
                                "\x00");
    assert_int_equal(parse(dot, sizeof(dot) - 1, &q), 0);
    assert_false(q.plain);
}

static void test_not_a_query(void **state)
{
    (void)state;
    struct dns_query q;
    static const char resp[] =
        "\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01";
    assert_int_equal(parse(resp, sizeof(resp) - 1, &q), -ENOTSUP);
    static const char two[] =
        "\x12\x34\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01";
    assert_int_equal(parse(two, sizeof(two) - 1, &q), -ENOTSUP);
    static const char op[] = "\x12\x34\x28\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01";
    assert_int_equal(parse(op, sizeof(op) - 1, &q), -ENOTSUP); /* opcode 5: update */
}

static void test_malformed(void **state)
{
    (void)state;
    struct dns_query q;
    assert_int_equal(parse("", 0, &q), -EINVAL);
    assert_int_equal(parse(HEAD, 11, &q), -EINVAL);
    assert_int_equal(parse(HEAD, 12, &q), -EINVAL); /* a question announced, none there */
    static const char loop[] = Q("\xc0\x0c");       /* a pointer to itself */
    assert_int_equal(parse(loop, sizeof(loop) - 1, &q), -EINVAL);
    static const char fwd[] = Q("\x01"
                                "a"
                                "\xc0\x10"); /* a pointer forwards */
    assert_int_equal(parse(fwd, sizeof(fwd) - 1, &q), -EINVAL);
    static const char hdr[] = Q("\xc0\x02"); /* into the header */
    assert_int_equal(parse(hdr, sizeof(hdr) - 1, &q), -EINVAL);
    char big[12 + 70 + 5];
    memcpy(big, HEAD, 12);
    big[12] = 64; /* a label over 63 (0x40: an extended label type) */
    memset(big + 13, 'a', 64);
    assert_int_equal(parse(big, 12 + 65, &q), -EINVAL);
    char longname[12 + 5 * 64 + 5];
    memcpy(longname, HEAD, 12);
    for (int i = 0; i < 5; i++) {
        longname[12 + 64 * i] = 63;
        memset(longname + 13 + 64 * i, 'a', 63);
    }
    memcpy(longname + 12 + 5 * 64, "\x00\x00\x01\x00\x01", 5);
    assert_int_equal(parse(longname, sizeof(longname), &q), -EINVAL); /* over 255 */
    static const char cut[] = HEAD "\x04"
                                   "pe";
    assert_int_equal(parse(cut, sizeof(cut) - 1, &q), -EINVAL);
    static const char noq[] = HEAD "\x02"
                                   "db"
                                   "\x00\x00\x01";
    assert_int_equal(parse(noq, sizeof(noq) - 1, &q), -EINVAL);
}

static void test_backward_pointers_bounded(void **state)
{
    (void)state;
    /* a chain of pointers, each to the one before: allowed up to DNS_MAX_JUMPS */
    uint8_t m[12 + 3 + 2 * 64];
    memcpy(m, HEAD, 12);
    memcpy(m + 12, "\x01x\x00", 3);
    for (int i = 0; i < 64; i++) {
        size_t at = 15 + 2 * (size_t)i, to = i ? at - 2 : 12;
        m[at] = (uint8_t)(0xc0 | to >> 8);
        m[at + 1] = (uint8_t)to;
    }
    char name[256];
    bool plain;
    size_t end;
    assert_int_equal(dns_read_name(m, sizeof(m), 15 + 2 * (DNS_MAX_JUMPS - 1), name, &plain, &end),
                     0);
    assert_string_equal(name, "x");
    assert_int_equal(end, 15 + 2 * DNS_MAX_JUMPS);
    assert_int_equal(dns_read_name(m, sizeof(m), 15 + 2 * DNS_MAX_JUMPS, name, &plain, &end),
                     -EINVAL);
}

static void test_answer(void **state)
{
    (void)state;
    static const char m[] = Q("\x04"
                              "PEER"
                              "\x00");
    struct dns_query q;
    assert_int_equal(parse(m, sizeof(m) - 1, &q), 0);
    uint8_t out[512], addr[4] = {10, 220, 0, 3};
    size_t n = dns_answer((const uint8_t *)m, &q, 0, addr, 1, 4, 10, out, sizeof(out));
    assert_int_equal(n, q.qend + 16);
    assert_memory_equal(out, "\x12\x34\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00", 12);
    assert_memory_equal(out + 12, m + 12, q.qend - 12); /* the question as asked */
    assert_memory_equal(out + q.qend, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x0a\x00\x04", 12);
    assert_memory_equal(out + q.qend + 12, addr, 4);
    /* NXDOMAIN, no records */
    n = dns_answer((const uint8_t *)m, &q, DNS_RCODE_NXDOMAIN, NULL, 0, 4, 0, out, sizeof(out));
    assert_int_equal(n, q.qend);
    assert_int_equal(out[3] & 0xf, DNS_RCODE_NXDOMAIN);
    assert_int_equal(out[7], 0);
    /* too small a buffer: nothing */
    assert_int_equal(dns_answer((const uint8_t *)m, &q, 0, addr, 1, 4, 10, out, q.qend), 0);
    /* an error answer keeps the ID and RD */
    uint8_t e[DNS_HEADER];
    assert_int_equal(dns_error((const uint8_t *)m, DNS_RCODE_FORMERR, e), DNS_HEADER);
    assert_memory_equal(e, "\x12\x34\x81\x81\x00\x00", 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_parsed), cmocka_unit_test(test_not_a_query),
        cmocka_unit_test(test_malformed),    cmocka_unit_test(test_backward_pointers_bounded),
        cmocka_unit_test(test_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
