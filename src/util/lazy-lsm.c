/* lazy-lsm.c — libapparmor and libselinux forwarders (see lazy.h): what runtime/lsm.c calls.
 * Only a container that asks for a profile or label loads them. */
#include <selinux/selinux.h>
#include <sys/apparmor.h>

#include "util/lazy.h"

/* clang-format off */
LAZY_FN(LAZY_APPARMOR, int, aa_change_onexec, (const char *profile), (profile))
LAZY_FN(LAZY_SELINUX, int, setexeccon, (const char *con), (con))
LAZY_FN(LAZY_SELINUX, int, fsetfilecon, (int fd, const char *con), (fd, con))
/* clang-format on */
