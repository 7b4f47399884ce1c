/* Unit tests for engine/net/hosts (hako's sections of a container's /etc/hosts) and
 * net_mac_parse (--mac-address). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/net/attach.h"
#include "engine/net/hosts.h"
#include "util/json.h"

#define BASE "127.0.0.1\tlocalhost\n10.1.2.3\tdb\n"

static void test_section_added_replaced_dropped(void **state)
{
    (void)state;
    char *a = hosts_with_section(BASE, "hako-1", "app", "10.0.0.2\tweb\n");
    assert_string_equal(a, BASE "# hako hako-1: network app\n10.0.0.2\tweb\n# hako hako-1 end\n");
    /* a second network's section after it; the first replaced in place */
    char *b = hosts_with_section(a, "hako-2", "side", "10.0.1.2\tweb\n");
    char *c = hosts_with_section(b, "hako-1", "app", "10.0.0.2\tweb\n10.0.0.3\tdb2\n");
    assert_string_equal(c, BASE "# hako hako-1: network app\n10.0.0.2\tweb\n10.0.0.3\tdb2\n"
                                "# hako hako-1 end\n# hako hako-2: network side\n10.0.1.2\tweb\n"
                                "# hako hako-2 end\n");
    char *d = hosts_with_section(c, "hako-1", "app", "");
    assert_string_equal(d, BASE "# hako hako-2: network side\n10.0.1.2\tweb\n# hako hako-2 end\n");
    char *e = hosts_with_section(d, "hako-2", "side", "");
    assert_string_equal(e, BASE);
    /* dropping a section that is not there changes nothing */
    char *f = hosts_with_section(e, "hako-3", "x", "");
    assert_string_equal(f, BASE);
    free(a), free(b), free(c), free(d), free(e), free(f);
}

static void test_section_edge_cases(void **state)
{
    (void)state;
    /* the user's last line without a newline keeps its own line */
    char *a = hosts_with_section("10.9.9.9\tmine", "br", "n", "10.0.0.2\tweb\n");
    assert_string_equal(a, "10.9.9.9\tmine\n# hako br: network n\n10.0.0.2\tweb\n# hako br end\n");
    /* a section whose end line was deleted (by the user) runs to the end of the file */
    char *b = hosts_with_section(BASE "# hako br: network n\n10.0.0.2\tweb\n", "br", "n",
                                 "10.0.0.3\tx\n");
    assert_string_equal(b, BASE "# hako br: network n\n10.0.0.3\tx\n# hako br end\n");
    /* another bridge whose name starts with this one's is not this one's section */
    char *c =
        hosts_with_section("# hako br-2: network m\n1.1.1.1\ta\n# hako br-2 end\n", "br", "n", "");
    assert_string_equal(c, "# hako br-2: network m\n1.1.1.1\ta\n# hako br-2 end\n");
    free(a), free(b), free(c);
}

static void test_line(void **state)
{
    (void)state;
    char *buf = NULL;
    json_t *names = json_pack("[s,s,s,s]", "web", "alias", "0123456789ab", "bad name");
    hosts_append_line(&buf, "10.0.0.2", "0123456789ab", names);
    hosts_append_line(&buf, "10.0.0.3", NULL, names);
    json_t *two = json_pack("[s,s]", "web", "we");
    hosts_append_line(&buf, "10.0.0.4", "web", two);
    json_decref(two);
    assert_string_equal(buf, "10.0.0.2\t0123456789ab web alias\n"
                             "10.0.0.3\tweb alias 0123456789ab\n"
                             "10.0.0.4\tweb we\n");
    free(buf);
    json_decref(names);
}

static void test_mac(void **state)
{
    (void)state;
    unsigned char m[6];
    assert_int_equal(net_mac_parse("02:42:ac:11:00:02", m), 0);
    assert_memory_equal(m, "\x02\x42\xac\x11\x00\x02", 6);
    assert_int_equal(net_mac_parse("02-42-AC-11-00-03", m), 0);
    assert_int_equal(m[5], 3);
    assert_int_equal(net_mac_parse("02:42:ac:11:00", m), -EINVAL);
    assert_int_equal(net_mac_parse("02:42-ac:11:00:02", m), -EINVAL);
    assert_int_equal(net_mac_parse("02:42:ac:11:00:0g", m), -EINVAL);
    assert_int_equal(net_mac_parse("2:42:ac:11:00:022", m), -EINVAL);
    assert_int_equal(net_mac_parse("01:00:5e:00:00:01", m), -EADDRNOTAVAIL);
    assert_int_equal(net_mac_parse("ff:ff:ff:ff:ff:ff", m), -EADDRNOTAVAIL);
    assert_int_equal(net_mac_parse("00:00:00:00:00:00", m), -EADDRNOTAVAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_section_added_replaced_dropped),
        cmocka_unit_test(test_section_edge_cases),
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_mac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
