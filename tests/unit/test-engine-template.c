/* Unit tests for engine/template (the Go-template subset of --format / -f) and the names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "engine/names.h"
#include "engine/template.h"
#include "util/json.h"

static char *render(const char *tmpl, const char *data)
{
    json_t *j = json_loads(data, 0, NULL);
    char *s = NULL;
    struct hk_error err = {0};
    if (template_render(tmpl, j, &s, &err) < 0)
        s = strdup(err.msg);
    json_decref(j);
    return s;
}

#define RENDERS(tmpl, data, want)                                                                  \
    do {                                                                                           \
        char *got_ = render(tmpl, data);                                                           \
        assert_string_equal(got_, want);                                                           \
        free(got_);                                                                                \
    } while (0)

static void test_fields(void **state)
{
    (void)state;
    const char *d = "{\"State\":{\"Pid\":42,\"Running\":true,\"Status\":\"running\"},"
                    "\"Name\":\"/web\",\"Args\":[\"a\",\"b\"],\"Config\":{\"Labels\":{\"k\":\"v\"},"
                    "\"Env\":null},\"Ratio\":0.5}";
    RENDERS("{{.State.Pid}}", d, "42");
    RENDERS("pid={{.State.Pid}} name={{.Name}}", d, "pid=42 name=/web");
    RENDERS("{{ .State.Running }}", d, "true");
    RENDERS("{{.Nope}}", d, "<no value>");
    RENDERS("{{.State.Nope.Deeper}}", d, "<no value>");
    RENDERS("{{.Config.Env}}", d, "<nil>");
    RENDERS("{{.Ratio}}", d, "0.5");
    RENDERS("{{json .Args}}", d, "[\"a\",\"b\"]");
    RENDERS("{{json .Config.Labels}}", d, "{\"k\":\"v\"}");
    RENDERS("{{json .Name}}", d, "\"/web\"");
    RENDERS("{{.Args}}", d, "[\"a\",\"b\"]");
    RENDERS("{{len .Args}}", d, "2");
    RENDERS("{{upper .State.Status}}", d, "RUNNING");
    RENDERS("{{index .Config.Labels \"k\"}}", d, "v");
    RENDERS("a  {{- .Name -}}  b", d, "a/webb");
    RENDERS("no actions", d, "no actions");
    RENDERS("{{range .Args}}x{{end}}", d, "xx");
    RENDERS("{{.Name", d, "template: unclosed action");
}

static void test_actions_and_functions(void **state)
{
    (void)state;
    const char *d = "{\"Name\":\"/web\",\"Args\":[\"a\",\"b\"],\"N\":3,"
                    "\"Ports\":{\"81/tcp\":[{\"HostPort\":\"2\"}],\"80/tcp\":[{\"HostPort\":\"1\"}]},"
                    "\"Labels\":{\"k\":\"v\"},\"Empty\":[],\"On\":true}";
    /* range over a map: in key order, with $k, $v; over an array with $i, $v; {{else}} */
    RENDERS("{{range $k, $v := .Ports}}{{$k}}={{(index $v 0).HostPort}};{{end}}", d,
            "80/tcp=1;81/tcp=2;");
    RENDERS("{{range $i, $a := .Args}}{{$i}}{{$a}}{{end}}", d, "0a1b");
    RENDERS("{{range .Empty}}x{{else}}none{{end}}", d, "none");
    RENDERS("{{range .Args}}{{.}}{{$.Name}}{{end}}", d, "a/webb/web");
    /* if / else if / else, with, variables */
    RENDERS("{{if .On}}y{{else}}n{{end}}", d, "y");
    RENDERS("{{if eq .N 1}}one{{else if eq .N 3}}three{{else}}?{{end}}", d, "three");
    RENDERS("{{if .Empty}}y{{else}}n{{end}}", d, "n");
    RENDERS("{{with .Labels}}{{.k}}{{end}}{{with .Nope}}x{{else}}-{{end}}", d, "v-");
    RENDERS("{{$n := .Name}}{{range .Args}}{{$n}}{{end}}", d, "/web/web");
    RENDERS("{{$n := 1}}{{$n = 2}}{{$n}}", d, "2");
    /* pipelines and functions */
    RENDERS("{{.Name | upper}}", d, "/WEB");
    RENDERS("{{join .Args \", \"}}", d, "a, b");
    RENDERS("{{split \"a:b\" \":\"}}", d, "[\"a\",\"b\"]");
    RENDERS("{{index (split \"a:b\" \":\") 1}}", d, "b");
    RENDERS("{{title \"hello world\"}}", d, "Hello World");
    RENDERS("{{printf \"%s-%03d-%.1f-%q\" .Name .N 1.25 \"x\"}}", d, "/web-003-1.2-\"x\"");
    RENDERS("{{.N | printf \"%d!\"}}", d, "3!");
    RENDERS("{{println .N}}", d, "3\n");
    RENDERS("{{truncate .Name 2}}", d, "/w");
    RENDERS("{{and .On .Name}} {{or .Empty \"d\"}} {{not .On}}", d, "/web d false");
    RENDERS("{{if and (gt .N 2) (lt .N 4) (ne .Name \"x\")}}ok{{end}}", d, "ok");
    RENDERS("{{/* a comment */}}c", d, "c");
    RENDERS("{{len .Labels}} {{len \"abc\"}}", d, "1 3");
    /* errors name what is wrong */
    RENDERS("{{nope .Name}}", d, "template: function \"nope\" not defined");
    RENDERS("{{$x}}", d, "template: undefined variable \"$x\"");
    RENDERS("{{if .On}}x", d,
            "template: unexpected EOF (an {{if}}, {{range}} or {{with}} without {{end}})");
    RENDERS("{{end}}", d, "template: unexpected {{end}}");
    RENDERS("{{.Name .N}}", d, "template: can't give argument to non-function");
    RENDERS("{{range .Name}}x{{end}}", d, "template: range can't iterate over /web");
    RENDERS("{{lt .Name 1}}", d, "template: lt: incompatible types for comparison");
}

static void test_names(void **state)
{
    (void)state;
    char id[NAMES_ID_LEN + 1];
    assert_int_equal(names_new_id(id, NULL), 0);
    assert_int_equal(strlen(id), 64);
    assert_int_equal(strspn(id, "0123456789abcdef"), 64);
    char *a = names_generate(7), *b = names_generate(7), *c = names_generate(8);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_non_null(strchr(a, '_'));
    assert_int_equal(names_check(a, NULL), 0);
    free(a);
    free(b);
    free(c);
    struct hk_error err = {0};
    assert_int_equal(names_check("web-1.a_b", NULL), 0);
    assert_int_equal(names_check("/web", NULL), 0);
    assert_int_equal(names_check("w", NULL), -EINVAL);
    assert_int_equal(names_check("-web", NULL), -EINVAL);
    assert_int_equal(names_check("bad name", &err), -EINVAL);
    assert_string_equal(err.msg, "Invalid container name (bad name), only "
                                 "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_actions_and_functions),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
