/* template.h — Go's text/template as docker's --format / -f use it, over JSON values:
 *     {{.State.Pid}}  {{json .Config}}  {{range $k, $v := .NetworkSettings.Ports}}...{{end}}
 *     {{if eq .State.Status "running"}}...{{else if ...}}...{{else}}...{{end}}  {{with .X}}
 *     {{$n := .Name}}  {{.Name | upper}}  {{index (split .Name "/") 1}}  {{printf "%s" .Id}}
 * functions json, len, index, printf, print, println, join, split, lower, upper, title,
 * truncate, pad, eq, ne, lt, le, gt, ge, and, or, not; {{- and -}} trim. A value prints as Go
 * prints it: strings bare, numbers, true/false, "<no value>" for a missing field, "<nil>" for
 * null; objects and arrays as compact JSON. Errors name what is wrong ("function \"x\" not
 * defined", "unexpected EOF"). */
#pragma once

#include <jansson.h>

#include "util/error.h"

/* Render tmpl over data into *ret (allocated). */
int template_render(const char *tmpl, const json_t *data, char **ret, struct hk_error *err);
