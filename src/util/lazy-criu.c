/* lazy-criu.c — libcriu forwarders (see lazy.h): what checkpoint and restore use. libcriu
 * drives the criu binary (`criu swrk`) over a socketpair; only these two commands need it. */
#include <criu/criu.h>

#include "util/lazy.h"

#define L LAZY_CRIU

/* clang-format off */
LAZY_FN(L, int, criu_init_opts, (void), ())
LAZY_FN(L, int, criu_set_service_binary, (const char *path), (path))
LAZY_VOID(L, criu_free_opts, (void), ())
LAZY_VOID(L, criu_set_pid, (int pid), (pid))
LAZY_VOID(L, criu_set_images_dir_fd, (int fd), (fd))
LAZY_FN(L, int, criu_set_parent_images, (const char *path), (path))
LAZY_VOID(L, criu_set_work_dir_fd, (int fd), (fd))
LAZY_VOID(L, criu_set_leave_running, (bool v), (v))
LAZY_VOID(L, criu_set_ext_unix_sk, (bool v), (v))
LAZY_VOID(L, criu_set_tcp_established, (bool v), (v))
LAZY_VOID(L, criu_set_file_locks, (bool v), (v))
LAZY_VOID(L, criu_set_track_mem, (bool v), (v))
LAZY_VOID(L, criu_set_log_level, (int level), (level))
LAZY_FN(L, int, criu_set_log_file, (const char *file), (file))
LAZY_FN(L, int, criu_set_root, (const char *root), (root))
LAZY_VOID(L, criu_set_manage_cgroups, (bool v), (v))
LAZY_VOID(L, criu_set_manage_cgroups_mode, (enum criu_cg_mode mode), (mode))
LAZY_FN(L, int, criu_add_ext_mount, (const char *key, const char *val), (key, val))
LAZY_FN(L, int, criu_add_external, (const char *key), (key))
LAZY_FN(L, int, criu_add_inherit_fd, (int fd, const char *key), (fd, key))
LAZY_FN(L, int, criu_add_cg_root, (const char *ctrl, const char *path), (ctrl, path))
LAZY_FN(L, int, criu_dump, (void), ())
LAZY_FN(L, int, criu_pre_dump, (void), ())
LAZY_FN(L, int, criu_restore_child, (void), ())
/* clang-format on */
