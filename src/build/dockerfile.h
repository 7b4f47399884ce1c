/* dockerfile.h — the Dockerfile parser: text in, a list of instructions out, as docker's
 * (moby/buildkit frontend/dockerfile/parser) reads it.
 *
 *   # syntax=... / # escape=`      parser directives, only before anything else
 *   # comment                      whole-line comments, also inside a continued instruction
 *   RUN a \                        the escape character at a line's end continues it
 *       b
 *   CMD ["exec", "form"]           a JSON array of strings is the exec form, anything else
 *   CMD shell form                 the shell form
 *   RUN <<EOF ... EOF              heredocs (RUN, COPY, ADD): bodies follow the line
 *   COPY --from=x --chmod=644 a b  flags, checked against each instruction's known set
 *
 * Variables are not expanded here: that needs the build's ARG/ENV scope, so the executor calls
 * df_words()/df_expand() (shell-words.c) per instruction. Errors name the line:
 * "Dockerfile:7: unknown instruction: COPPY". Nothing the input holds can crash the parser;
 * lengths are bounded by the input. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct df_flag {
    char *name;  /* "from" for --from=x */
    char *value; /* "x"; NULL for a flag without "=" */
};

struct df_heredoc {
    char *name;    /* the delimiter word */
    char *content; /* the body, each line ending in '\n' */
    bool expand;   /* unquoted delimiter: variables in the body are expanded */
};

struct df_instr {
    int line;       /* where it starts (1-based) */
    char *cmd;      /* the keyword, upper case: "RUN" */
    char *original; /* the logical line as written, continuations joined ("RUN a b") */
    char *rest;     /* what follows the keyword and the flags, trimmed */
    struct df_flag *flags;
    size_t n_flags;
    bool json;   /* rest was a JSON array of strings (exec form) */
    char **args; /* the array when json */
    size_t n_args;
    struct df_heredoc *heredocs;
    size_t n_heredocs;
};

struct dockerfile {
    char escape;  /* '\\' or '`' */
    char *syntax; /* the "# syntax=" directive, or NULL */
    struct df_instr *instrs;
    size_t n;
};

/* Parse text (len bytes; need not be NUL-terminated). name ("Dockerfile") prefixes errors.
 * On failure *ret is left empty. */
int dockerfile_parse(const char *text, size_t len, const char *name, struct dockerfile *ret,
                     struct hk_error *err);
void dockerfile_clear(struct dockerfile *d);

/* Parse one instruction line on its own (ONBUILD triggers, `commit --change`); heredocs are
 * not allowed there. *ret must be freed with df_instr_clear. */
int df_parse_line(const char *line, char escape, const char *name, int lineno,
                  struct df_instr *ret, struct hk_error *err);
void df_instr_clear(struct df_instr *in);

/* The value of flag name, NULL when absent; *ret_present (may be NULL) says whether it was
 * given at all (a flag without a value). */
const char *df_flag(const struct df_instr *in, const char *name, bool *ret_present);

/* --- shell-words.c: docker's word splitting and variable expansion ---------------------- */

/* Look up a variable: its value, or NULL when unset. */
typedef const char *(*df_lookup_fn)(const char *name, void *ud);

/* Expand $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR+word}, ${VAR:?msg},
 * ${VAR?msg} in s and remove quotes and escapes ('...' keeps everything literal, "..." allows
 * expansion), as docker's ProcessWord. *ret allocated. */
int df_expand(const char *s, char escape, df_lookup_fn lookup, void *ud, char **ret,
              struct hk_error *err);
/* A heredoc body with an unquoted delimiter, as a shell reads it: $VAR and ${VAR...} expand,
 * quotes are text, the escape character only escapes '$', '`' and itself. */
int df_expand_heredoc(const char *s, char escape, df_lookup_fn lookup, void *ud, char **ret,
                      struct hk_error *err);
/* The same, splitting on unquoted whitespace into words (ProcessWords): *ret a NULL-ended
 * array of allocated strings, *ret_n its length. */
int df_words(const char *s, char escape, df_lookup_fn lookup, void *ud, char ***ret,
             size_t *ret_n, struct hk_error *err);
/* Split s on unquoted whitespace without expanding or removing quotes (parse time), for
 * ENV/LABEL pairs. */
int df_split_raw(const char *s, char escape, char ***ret, size_t *ret_n);
void df_strv_free(char **v);
