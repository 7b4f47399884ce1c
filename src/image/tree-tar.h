/* tree-tar.h — a directory tree as a tar stream (`hako export`, `hako cp CONTAINER:PATH -`).
 *
 * The tree is walked through directory fds with *at calls that never follow a symlink: a
 * link is archived as a link, whatever it points to, so a tree that is not trusted (a
 * container's root filesystem, possibly changing while it runs) can only ever give its own
 * entries. Entries are sorted by name; owners, modes, times and device numbers are kept;
 * sockets are skipped. */
#pragma once

#include "util/error.h"

/* Write entry name of directory dirfd (name "." : the directory's contents, at the archive's
 * top) as a pax tar to out_fd, naming it as in the archive ("etc" → "etc", "etc/passwd", ...). */
int tree_tar(int dirfd, const char *name, const char *as, int out_fd, struct hk_error *err);
