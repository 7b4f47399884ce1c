/* devices.h — device nodes in the container's /dev. */
#pragma once

#include <stdbool.h>

#include "oci/spec.h"
#include "util/error.h"

/* Create linux.devices (and, when with_defaults, the default set: null, zero, full, random,
 * urandom, tty) under rootfd, plus the /dev/fd, stdin, stdout, stderr and ptmx links. In a
 * new user namespace, where mknod is not allowed, the host's node is bind-mounted instead. */
int devices_create(const struct oci_spec *s, int rootfd, bool with_defaults, bool in_userns,
                   struct hk_error *err);
