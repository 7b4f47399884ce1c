/* mount-options.h — OCI mount options ("ro", "rbind", "rslave", "rro", "mode=755", ...)
 * translated into what mount(2) and mount_setattr(2) take. Pure logic, unit tested. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct mount_opts {
    unsigned long flags;       /* MS_* to set */
    unsigned long clear;       /* MS_* explicitly cleared (rw, suid, dev, exec, ...) */
    unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC] */
    uint64_t attr_set;         /* MOUNT_ATTR_* applied recursively (rro, rnosuid, ...) */
    uint64_t attr_clr;
    bool bind, rec;            /* bind / rbind */
    bool idmap;                /* idmap or ridmap: an idmapped bind mount */
    bool tmpcopyup;            /* copy the rootfs' content into a new tmpfs */
    char *data;                /* the rest, comma-joined, for the filesystem (malloc'd) */
};

/* Parse a NULL-terminated option list. Unknown options are passed to the filesystem as data,
 * as runc does. */
void mount_opts_parse(char *const *options, struct mount_opts *ret);
void mount_opts_done(struct mount_opts *o);

/* Flags that a bind mount only takes on a remount (ro, nosuid, nodev, noexec, atimes). */
#define MS_BIND_REMOUNT_MASK                                                                       \
    (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME |     \
     MS_STRICTATIME | MS_NOSYMFOLLOW)

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
