/* apparmor.h — the AppArmor profile the engine gives containers where AppArmor is on, as
 * docker gives docker-default: hako-default, written and loaded by hako itself. */
#pragma once

#include <jansson.h>

#include "util/error.h"

#define APPARMOR_DEFAULT_PROFILE "hako-default"

/* The profile for a container with HostConfig hc, as docker chooses it: NULL where the host
 * has no AppArmor (the spec then asks for none); "unconfined" for --privileged or
 * --security-opt apparmor=unconfined; the named profile for apparmor=NAME (or apparmor:NAME);
 * else hako-default, loaded first when the kernel does not have it yet (apparmor_parser -Kr
 * of the text apparmor_default_text() returns, written under dir). The record keeps what was
 * asked even where AppArmor is off, as docker's AppArmorProfile (ret_record). */
int apparmor_for(const json_t *hc, const char *dir, const char **ret_spec,
                 const char **ret_record, struct hk_error *err);

/* hako-default's policy text. */
const char *apparmor_default_text(void);
