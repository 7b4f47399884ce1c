/* lsm.h — AppArmor profiles and SELinux labels (process.apparmorProfile, process.selinuxLabel,
 * linux.mountLabel): refused, naming the field, where the host's kernel does not enable the
 * LSM; applied where it does, as runc does. libapparmor and libselinux are loaded lazily (see
 * util/lazy.h), by lsm_check_*, in the runtime, before the container's process is made: never
 * after pivot_root, where dlopen() would read the container's files. */
#pragma once

#include <stdbool.h>

#include "oci/spec.h"
#include "util/error.h"

/* AppArmor is enabled in the running kernel (securityfs shows it and the module says Y). */
bool lsm_apparmor_enabled(void);
/* SELinux is enabled: selinuxfs is mounted at /sys/fs/selinux. */
bool lsm_selinux_enabled(void);

/* Refuse what p asks for that the host cannot apply, with a located error at jp.apparmorProfile
 * or jp.selinuxLabel of ctx ("config.json:NN: process.apparmorProfile: AppArmor is not enabled
 * on this host"); otherwise load the library the field needs. jp is "process" for config.json,
 * "" for an exec process.json. */
int lsm_check_process(const struct oci_process *p, const struct parse_ctx *ctx, const char *jp,
                      struct hk_error *err);

/* lsm_check_process for s->process, and linux.mountLabel. Done at create before anything is
 * made. */
int lsm_check_spec(const struct oci_spec *s, struct hk_error *err);

/* In the container's process, after its mounts and before the credentials change: ask for the
 * AppArmor profile and SELinux label p names at the next execve (aa_change_onexec, setexeccon).
 * The profile must be loaded ("AppArmor profile 'x' is not loaded"). The write goes through
 * the container's /proc, checked to be a procfs first (CVE-2019-16884). */
int lsm_apply(const struct oci_process *p, struct hk_error *err);

/* Label a filesystem mount of type with the config's linux.mountLabel (label may be NULL):
 * returns the mount data with context="label" appended (malloc'd), or NULL when the type takes
 * no label (proc, sysfs, mqueue, cgroups) or there is none. */
char *lsm_mount_data(const char *type, const char *data, const char *label);

/* Label the file fd with linux.mountLabel, for the mounts that take no context= option
 * (mqueue, as runc). A NULL or empty label does nothing. */
int lsm_label_fd(int fd, const char *label, struct hk_error *err);
