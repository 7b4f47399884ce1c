/* user.h — `-u user[:group]` through the image's /etc/passwd and /etc/group, as docker
 * resolves it (moby/sys/user GetExecUser). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct user_ids {
    uid_t uid;
    gid_t gid;
    gid_t *gids; /* supplementary groups (allocated), n_gids of them */
    size_t n_gids;
};
void user_ids_clear(struct user_ids *u);

/* Resolve spec ("", "name", "1000", "name:group", "1000:1000", ":group") against the text of
 * passwd and group (either may be NULL: no such file). A numeric user or group not in the
 * files is taken as is; a name that is not there is an error ("unable to find user x: no
 * matching entries in passwd file"). Supplementary groups are the groups listing the user as
 * a member, when the spec names no group. */
int user_resolve_text(const char *spec, const char *passwd, const char *group,
                      struct user_ids *ret, struct hk_error *err);

/* The same, reading etc/passwd and etc/group inside the container's root filesystem rootfd
 * (resolved with RESOLVE_IN_ROOT: an image's symlinked /etc/passwd stays inside it). */
int user_resolve(int rootfd, const char *spec, struct user_ids *ret, struct hk_error *err);
