/* entry.h — the rules for names inside a layer archive, kept apart from the I/O so they can be
 * tested alone: which names are acceptable, what an OCI whiteout means, and which link targets
 * stay inside the layer. */
#pragma once

#include <stdbool.h>

#include "util/error.h"

/* Clean an archive entry name into a path relative to the layer root: leading "./" and
 * repeated or trailing slashes and "." components go; "" is the root itself. Absolute names,
 * ".." components and names longer than PATH_MAX are refused (-EPERM / -ENAMETOOLONG). */
int entry_clean(const char *name, char **ret, struct hk_error *err);

enum whiteout_kind {
    WHITEOUT_NONE,   /* an ordinary entry */
    WHITEOUT_FILE,   /* ".wh.<name>": <name> is deleted from the layers below */
    WHITEOUT_OPAQUE, /* ".wh..wh..opq": the directory hides everything below it */
    WHITEOUT_META,   /* other ".wh..wh." names (aufs bookkeeping): skipped */
};

/* Classify a cleaned entry path. For WHITEOUT_FILE *ret_target is the path of the deleted
 * entry ("dir/name"); for WHITEOUT_OPAQUE it is the directory ("" for the root); otherwise
 * NULL. A whiteout naming "", "." or ".." is refused. */
int whiteout_classify(const char *path, enum whiteout_kind *ret_kind, char **ret_target,
                      struct hk_error *err);

