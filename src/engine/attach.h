/* attach.h — the client side of a container's attach socket (protocol in attach-proto.h). */
#pragma once

#include <stddef.h>

#include "engine/attach-proto.h"
#include "util/error.h"

/* Connect to <dir>/attach.sock (through the directory's fd: the path may not fit sun_path).
 * -ECONNREFUSED / -ENOENT when no monitor serves it. */
int attach_connect(const char *dir, int *ret_fd, struct hk_error *err);

/* One message: type, then n bytes of data (n <= ATTACH_MSG_MAX). */
int attach_send(int fd, char type, const void *data, size_t n);
/* The window size message. */
int attach_resize(int fd, unsigned rows, unsigned cols);
