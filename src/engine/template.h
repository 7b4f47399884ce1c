/* template.h — the Go-template subset people pass to --format / -f:
 *     {{.State.Pid}}   {{.Name}}   {{json .Config}}   {{.}}   {{json .}}
 *     {{upper .Name}}  {{lower .X}}  {{len .Args}}  {{index .Config.Labels "k"}}
 * with {{- and -}} trimming the whitespace beside them. A value prints as Go prints it:
 * strings bare, numbers, true/false, "<no value>" for a missing field; objects and arrays as
 * compact JSON. Anything else is an error naming the action. */
#pragma once

#include <jansson.h>

#include "util/error.h"

/* Render tmpl over data into *ret (allocated). */
int template_render(const char *tmpl, const json_t *data, char **ret, struct hk_error *err);
