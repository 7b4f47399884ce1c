/* Unit tests for build/: the Dockerfile parser, docker's word expansion, and the config
 * instructions (what `--change` and the builder apply). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "build/config.h"
#include "build/dockerfile.h"

static struct dockerfile parse_ok(const char *text)
{
    struct dockerfile d = {0};
    struct hk_error err = {0};
    if (dockerfile_parse(text, strlen(text), "Dockerfile", &d, &err) < 0)
        fail_msg("parse: %s", err.msg);
    return d;
}

static void parse_fails(const char *text, const char *msg)
{
    struct dockerfile d = {0};
    struct hk_error err = {0};
    assert_true(dockerfile_parse(text, strlen(text), "Dockerfile", &d, &err) < 0);
    if (!strstr(err.msg, msg))
        fail_msg("'%s' does not contain '%s'", err.msg, msg);
    assert_int_equal(d.n, 0);
}

static void test_basic_forms(void **state)
{
    (void)state;
    struct dockerfile d = parse_ok("# syntax=docker/dockerfile:1\n"
                                   "FROM busybox AS base\n"
                                   "\n"
                                   "# a comment\n"
                                   "run echo a \\\n"
                                   "  # inside\n"
                                   "  b\n"
                                   "CMD [\"sh\", \"-c\", \"x\"]\n"
                                   "CMD [not json\n"
                                   "COPY --from=base --chmod=644 a b /dst/\n");
    assert_string_equal(d.syntax, "docker/dockerfile:1");
    assert_int_equal(d.n, 5);
    assert_string_equal(d.instrs[0].cmd, "FROM");
    assert_int_equal(d.instrs[0].line, 2);
    assert_string_equal(d.instrs[1].cmd, "RUN");
    assert_int_equal(d.instrs[1].line, 5);
    assert_string_equal(d.instrs[1].rest, "echo a   b");
    assert_true(d.instrs[2].json);
    assert_int_equal(d.instrs[2].n_args, 3);
    assert_string_equal(d.instrs[2].args[2], "x");
    assert_false(d.instrs[3].json);
    assert_string_equal(d.instrs[3].rest, "[not json");
    assert_string_equal(df_flag(&d.instrs[4], "from", NULL), "base");
    assert_string_equal(df_flag(&d.instrs[4], "chmod", NULL), "644");
    assert_null(df_flag(&d.instrs[4], "chown", NULL));
    assert_string_equal(d.instrs[4].rest, "a b /dst/");
    dockerfile_clear(&d);
}

static void test_escape_directive(void **state)
{
    (void)state;
    struct dockerfile d = parse_ok("# escape=`\nFROM x\nRUN dir c:\\ `\n  /w\n");
    assert_int_equal(d.escape, '`');
    assert_string_equal(d.instrs[1].rest, "dir c:\\   /w");
    dockerfile_clear(&d);
    /* a directive after an instruction is a comment */
    d = parse_ok("FROM x\n# escape=`\nRUN a \\\n b\n");
    assert_int_equal(d.escape, '\\');
    assert_string_equal(d.instrs[1].rest, "a  b");
    dockerfile_clear(&d);
    parse_fails("# escape=x\nFROM a\n", "invalid escape token");
}

static void test_heredocs(void **state)
{
    (void)state;
    struct dockerfile d = parse_ok("FROM x\n"
                                   "RUN <<EOF\n"
                                   "echo $HOME\n"
                                   "EOF\n"
                                   "COPY <<-'A' <<B /dst/\n"
                                   "\tone $X\n"
                                   "\tA\n"
                                   "two\n"
                                   "B\n"
                                   "RUN cat <<<word\n");
    assert_int_equal(d.n, 4);
    assert_int_equal(d.instrs[1].n_heredocs, 1);
    assert_string_equal(d.instrs[1].heredocs[0].content, "echo $HOME\n");
    assert_true(d.instrs[1].heredocs[0].expand);
    assert_int_equal(d.instrs[2].n_heredocs, 2);
    assert_string_equal(d.instrs[2].heredocs[0].name, "A");
    assert_string_equal(d.instrs[2].heredocs[0].content, "one $X\n");
    assert_false(d.instrs[2].heredocs[0].expand);
    assert_string_equal(d.instrs[2].heredocs[1].content, "two\n");
    assert_int_equal(d.instrs[3].n_heredocs, 0);
    assert_int_equal(d.instrs[3].line, 10);
    dockerfile_clear(&d);
    parse_fails("FROM x\nRUN <<EOF\nno end\n", "Dockerfile:2: RUN: unterminated heredoc 'EOF'");
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    parse_fails("FROM x\n\nCOPPY a b\n", "Dockerfile:3: unknown instruction: COPPY");
    parse_fails("FROM x\nCOPY a\n", "Dockerfile:2: COPY: COPY requires at least two arguments");
    parse_fails("FROM a b\n", "Dockerfile:1: FROM: FROM requires either one or three");
    parse_fails("FROM a B c\n", "expected 'AS'");
    parse_fails("FROM x\nRUN --foo=1 true\n", "Dockerfile:2: RUN: unknown flag: --foo");
    parse_fails("FROM x\nSHELL /bin/sh\n", "SHELL requires the arguments to be in JSON form");
    parse_fails("FROM x\nUSER a b\n", "USER requires exactly one argument");
    parse_fails("FROM x\nENV A\n", "ENV must have two arguments");
    parse_fails("FROM x\nONBUILD ONBUILD RUN x\n", "ONBUILD isn't allowed as an ONBUILD trigger");
    parse_fails("RUN x\n", "Dockerfile:1: RUN: no build stage in current context");
    parse_fails("# only a comment\n\n", "cannot be empty");
    struct dockerfile d = parse_ok("ARG V=1\nFROM x:$V\n");
    assert_int_equal(d.n, 2);
    dockerfile_clear(&d);
}

static const char *lookup(const char *name, void *ud)
{
    (void)ud;
    if (strcmp(name, "A") == 0)
        return "a";
    if (strcmp(name, "SP") == 0)
        return "x y";
    if (strcmp(name, "EMPTY") == 0)
        return "";
    return NULL;
}

static void expand_is(const char *in, const char *want)
{
    char *out = NULL;
    struct hk_error err = {0};
    if (df_expand(in, '\\', lookup, NULL, &out, &err) < 0)
        fail_msg("'%s': %s", in, err.msg);
    if (strcmp(out, want) != 0)
        fail_msg("'%s' → '%s', want '%s'", in, out, want);
    free(out);
}

static void test_expansion(void **state)
{
    (void)state;
    expand_is("$A", "a");
    expand_is("${A}b", "ab");
    expand_is("$Ab", "");
    expand_is("${NO:-def}", "def");
    expand_is("${EMPTY:-def}", "def");
    expand_is("${EMPTY-def}", "");
    expand_is("${A:-def}", "a");
    expand_is("${A:+alt}", "alt");
    expand_is("${NO:+alt}", "");
    expand_is("${NO:-${A}x}", "ax");
    expand_is("'$A'", "$A");
    expand_is("\"$A $SP\"", "a x y");
    expand_is("\\$A", "$A");
    expand_is("a\\ b", "a b");
    expand_is("$", "$");
    expand_is("cost$5", "cost");
    char *out = NULL;
    struct hk_error err = {0};
    assert_true(df_expand("${NO:?must be set}", '\\', lookup, NULL, &out, &err) < 0);
    assert_non_null(strstr(err.msg, "NO: must be set"));
    assert_true(df_expand("'open", '\\', lookup, NULL, &out, &err) < 0);
    assert_true(df_expand("${A", '\\', lookup, NULL, &out, &err) < 0);
    assert_true(df_expand("${A/x/y}", '\\', lookup, NULL, &out, &err) < 0);
    char **w = NULL;
    size_t n = 0;
    assert_int_equal(df_words("$SP \"q $SP\" ''", '\\', lookup, NULL, &w, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(w[0], "x");
    assert_string_equal(w[1], "y");
    assert_string_equal(w[2], "q x y");
    assert_string_equal(w[3], "");
    df_strv_free(w);
    /* a heredoc body (COPY <<EOF): quotes are text, only \$ \` \\ are escapes */
    assert_int_equal(df_expand_heredoc("'$A' \"${SP}\" \\$A \\n \\\\ ${NO:-d}\n", '\\',
                                       lookup, NULL, &out, &err), 0);
    assert_string_equal(out, "'a' \"x y\" $A \\n \\ d\n");
    free(out);
}

static void test_changes(void **state)
{
    (void)state;
    json_t *c = json_pack("{s:[s]}", "Env", "PATH=/bin");
    struct hk_error err = {0};
    assert_int_equal(df_apply_change("ENV A=1 B=\"$A two\" PATH=$PATH:/x", c, &err), 0);
    assert_int_equal(df_apply_change("ENV C 3 4", c, &err), 0);
    assert_int_equal(df_apply_change("CMD echo hi", c, &err), 0);
    assert_int_equal(df_apply_change("WORKDIR /a", c, &err), 0);
    assert_int_equal(df_apply_change("WORKDIR b/../c/.", c, &err), 0);
    assert_int_equal(df_apply_change("EXPOSE 80 1000-1002/udp", c, &err), 0);
    assert_int_equal(df_apply_change("LABEL \"a b\"=c d=e", c, &err), 0);
    json_t *env = json_object_get(c, "Env");
    assert_string_equal(json_string_value(json_array_get(env, 0)), "PATH=/bin:/x");
    assert_string_equal(json_string_value(json_array_get(env, 2)), "B=1 two");
    assert_string_equal(json_string_value(json_array_get(env, 3)), "C=3 4");
    json_t *cmd = json_object_get(c, "Cmd");
    assert_string_equal(json_string_value(json_array_get(cmd, 0)), "/bin/sh");
    assert_string_equal(json_string_value(json_array_get(cmd, 2)), "echo hi");
    assert_string_equal(json_string_value(json_object_get(c, "WorkingDir")), "/a/c");
    assert_int_equal(json_object_size(json_object_get(c, "ExposedPorts")), 4);
    assert_non_null(json_object_get(json_object_get(c, "ExposedPorts"), "1001/udp"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "Labels"), "a b")),
                        "c");
    assert_true(df_apply_change("EXPOSE 70000", c, &err) < 0);
    assert_non_null(strstr(err.msg, "invalid containerPort: 70000"));
    assert_true(df_apply_change("RUN x", c, &err) < 0);
    assert_non_null(strstr(err.msg, "RUN is not a valid change command"));
    json_decref(c);

    struct dockerfile d = parse_ok("FROM x\nHEALTHCHECK --interval=5s --retries=3 CMD [\"true\"]\n"
                                   "ENTRYPOINT [\"e\"]\nSHELL [\"/bin/bash\", \"-c\"]\nCMD x\n");
    c = json_pack("{s:[s]}", "Cmd", "old");
    struct df_config_ctx ctx = {.escape = '\\', .lookup = lookup, .name = "Dockerfile"};
    for (size_t i = 1; i < d.n; i++)
        assert_int_equal(df_apply_config(&d.instrs[i], c, &ctx, &err), 0);
    json_t *hc = json_object_get(c, "Healthcheck");
    assert_int_equal(json_integer_value(json_object_get(hc, "Interval")), 5000000000LL);
    assert_int_equal(json_integer_value(json_object_get(hc, "Retries")), 3);
    assert_string_equal(json_string_value(json_array_get(json_object_get(hc, "Test"), 0)), "CMD");
    assert_string_equal(json_string_value(json_array_get(json_object_get(c, "Cmd"), 0)),
                        "/bin/bash");
    json_decref(c);
    dockerfile_clear(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_forms),  cmocka_unit_test(test_escape_directive),
        cmocka_unit_test(test_heredocs),     cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_expansion),    cmocka_unit_test(test_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
