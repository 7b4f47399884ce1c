/* ignore.h — .dockerignore, with docker's rules (moby/patternmatcher): one pattern per line,
 * '#' comments, a leading '/' ignored, "**" for any number of directories, '!' re-including
 * what an earlier pattern excluded; the last matching pattern decides, and a pattern that
 * matches a directory also matches everything under it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct ignore {
    char **patterns; /* cleaned, without the '!' */
    bool *exception;
    size_t n;
};

/* Parse the file's text (NULL: no file, nothing ignored). */
void ignore_parse(const char *text, struct ignore *ret);
void ignore_clear(struct ignore *ig);
/* Whether relpath (relative to the context, no leading '/') is excluded. */
bool ignore_match(const struct ignore *ig, const char *relpath);
/* Whether an exception ('!') pattern could re-include something under directory relpath. */
bool ignore_may_include_under(const struct ignore *ig, const char *relpath);
