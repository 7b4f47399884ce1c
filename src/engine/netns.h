/* netns.h — networking of a container (until bridge networking exists: loopback only). */
#pragma once

#include <sys/types.h>

#include "util/error.h"

/* Bring lo up in the network namespace of process pid (a container's init). */
int netns_loopback_up(pid_t pid, struct hk_error *err);
