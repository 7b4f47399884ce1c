/* lsm.c — AppArmor and SELinux for the container's process and mounts (see lsm.h). */
#include "runtime/lsm.h"

#include <fcntl.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <string.h>
#include <sys/apparmor.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/lazy.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

/* runc's test: securityfs lists apparmor and the module parameter says Y. */
bool lsm_apparmor_enabled(void)
{
    char buf[8] = "";
    if (access("/sys/kernel/security/apparmor", F_OK) < 0)
        return false;
    return read_str_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", buf, sizeof(buf)) >=
               0 &&
           buf[0] == 'Y';
}

bool lsm_selinux_enabled(void)
{
    struct statfs sf;
    return statfs("/sys/fs/selinux", &sf) == 0 && (uint32_t)sf.f_type == SELINUX_MAGIC;
}

static bool set(const char *s)
{
    return s && s[0];
}

/* Check one field: the LSM is on, and its library loads now (before any pivot_root). */
static int check_field(const struct parse_ctx *ctx, const char *parent, const char *key,
                       bool enabled, const char *lsm, const char *lib, struct hk_error *err)
{
    char jp[JPATH_MAX];
    jpath_key(jp, sizeof(jp), parent, key);
    if (!enabled)
        return parse_error(ctx, err, jp, "%s is not enabled on this host", lsm);
    struct hk_error lerr = {0};
    if (lazy_require(lib, &lerr) < 0)
        return parse_error(ctx, err, jp, "%s", lerr.msg);
    return 0;
}

int lsm_check_process(const struct oci_process *p, const struct parse_ctx *ctx, const char *jp,
                      struct hk_error *err)
{
    int r = 0;
    if (set(p->apparmor_profile))
        r = check_field(ctx, jp, "apparmorProfile", lsm_apparmor_enabled(), "AppArmor",
                        LAZY_APPARMOR, err);
    if (r == 0 && set(p->selinux_label))
        r = check_field(ctx, jp, "selinuxLabel", lsm_selinux_enabled(), "SELinux", LAZY_SELINUX,
                        err);
    return r;
}

int lsm_check_spec(const struct oci_spec *s, struct hk_error *err)
{
    int r = s->process ? lsm_check_process(s->process, &s->ctx, "process", err) : 0;
    if (r == 0 && set(s->linux_.mount_label))
        r = check_field(&s->ctx, "linux", "mountLabel", lsm_selinux_enabled(), "SELinux",
                        LAZY_SELINUX, err);
    return r;
}

/* The LSM attribute files are written through /proc: it must be a real procfs, not something
 * the image or a mount put there (CVE-2019-16884). */
static int check_proc(const char *field, struct hk_error *err)
{
    struct statfs sf;
    if (statfs("/proc/thread-self/attr", &sf) < 0)
        return hk_error_errno(err, -errno, "%s: /proc/thread-self/attr (is /proc mounted?)",
                              field);
    if (sf.f_type != PROC_SUPER_MAGIC)
        return hk_error_set(err, -EPERM, "%s: /proc/thread-self/attr is not on a procfs", field);
    return 0;
}

/* No test of the LSM being on here: the container's /sys has no securityfs. lsm_check_*
 * tested it in the runtime; where it is off, the write below fails anyway. */
int lsm_apply(const struct oci_process *p, struct hk_error *err)
{
    if (set(p->apparmor_profile)) {
        const char *f = "process.apparmorProfile";
        int r = check_proc(f, err);
        if (r < 0)
            return r;
        if (aa_change_onexec(p->apparmor_profile) < 0) {
            if (errno == ENOENT)
                return hk_error_set(err, -ENOENT, "%s: AppArmor profile '%s' is not loaded", f,
                                    p->apparmor_profile);
            return hk_error_errno(err, -errno, "%s: change to AppArmor profile '%s' on exec", f,
                                  p->apparmor_profile);
        }
    }
    if (set(p->selinux_label)) {
        const char *f = "process.selinuxLabel";
        int r = check_proc(f, err);
        if (r < 0)
            return r;
        if (setexeccon(p->selinux_label) < 0)
            return hk_error_errno(err, -errno, "%s: set the exec label '%s'", f,
                                  p->selinux_label);
    }
    return 0;
}

/* runc labels every filesystem mount but these (proc and sysfs keep their own labels; mqueue
 * and the cgroup filesystems are labelled by path or not at all). */
static bool takes_context(const char *type)
{
    static const char *const no[] = {"proc", "sysfs", "mqueue", "cgroup", "cgroup2", "bind"};
    for (size_t i = 0; i < ELEMENTSOF(no); i++)
        if (strcmp(type, no[i]) == 0)
            return false;
    return true;
}

char *lsm_mount_data(const char *type, const char *data, const char *label)
{
    if (!set(label) || !type || !takes_context(type))
        return NULL;
    if (data && data[0])
        return xasprintf("%s,context=\"%s\"", data, label);
    return xasprintf("context=\"%s\"", label);
}

int lsm_label_fd(int fd, const char *label, struct hk_error *err)
{
    if (!set(label))
        return 0;
    if (fsetfilecon(fd, label) < 0)
        return hk_error_errno(err, -errno, "linux.mountLabel: label the mqueue mount");
    return 0;
}
