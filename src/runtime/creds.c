#include "runtime/creds.h"

#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/fs.h"

int creds_set_rlimits(const struct oci_process *p, struct hk_error *err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const struct oci_rlimit *rl = &p->rlimits[i];
        struct rlimit want = {.rlim_cur = rl->soft, .rlim_max = rl->hard};
        if (setrlimit(rl->resource, &want) == 0)
            continue;
        int e = errno;
        struct rlimit cur;
        if (e == EPERM && getrlimit(rl->resource, &cur) == 0 && rl->hard > cur.rlim_max)
            return hk_error_set(err, -EPERM,
                                "process.rlimits[%zu]: hard limit %llu is above the current "
                                "%llu, and raising it needs CAP_SYS_RESOURCE",
                                i, (unsigned long long)rl->hard,
                                (unsigned long long)cur.rlim_max);
        return hk_error_errno(err, -e, "process.rlimits[%zu]: setrlimit", i);
    }
    return 0;
}

int creds_set_oom_score_adj(const struct oci_process *p, struct hk_error *err)
{
    if (!p->has_oom_score_adj)
        return 0;
    char buf[16];
    snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
    int r = write_str("/proc/self/oom_score_adj", buf);
    if (r == -EACCES || r == -EPERM)
        return hk_error_set(err, r,
                            "process.oomScoreAdj: setting %d needs CAP_SYS_RESOURCE to go below "
                            "the current value",
                            p->oom_score_adj);
    if (r < 0)
        return hk_error_errno(err, r, "process.oomScoreAdj: write /proc/self/oom_score_adj");
    return 0;
}

static int capset_all(const struct oci_caps *c)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2] = {
        {(uint32_t)c->effective, (uint32_t)c->permitted, (uint32_t)c->inheritable},
        {(uint32_t)(c->effective >> 32), (uint32_t)(c->permitted >> 32),
         (uint32_t)(c->inheritable >> 32)},
    };
    return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static int drop_bounding(uint64_t keep, struct hk_error *err)
{
    int last = oci_cap_last();
    for (int c = 0; c <= last; c++) {
        if (keep & (UINT64_C(1) << c))
            continue;
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
            return hk_error_errno(err, -errno, "drop capability %d from the bounding set", c);
    }
    return 0;
}

static int switch_user(const struct oci_user *u, bool setgroups_allowed, struct hk_error *err)
{
    if (setgroups_allowed) {
        if (setgroups(u->n_additional_gids, u->additional_gids) < 0)
            return hk_error_errno(err, -errno, "process.user.additionalGids: setgroups");
    } else if (u->n_additional_gids) {
        return hk_error_set(err, -EPERM, "process.user.additionalGids: setgroups is denied in "
                                         "this user namespace");
    }
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return errno == EINVAL
                   ? hk_error_set(err, -EINVAL, "process.user.gid %u is not mapped in the "
                                                "container's user namespace",
                                  (unsigned)u->gid)
                   : hk_error_errno(err, -errno, "process.user.gid %u: setresgid",
                                    (unsigned)u->gid);
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return errno == EINVAL
                   ? hk_error_set(err, -EINVAL, "process.user.uid %u is not mapped in the "
                                                "container's user namespace",
                                  (unsigned)u->uid)
                   : hk_error_errno(err, -errno, "process.user.uid %u: setresuid",
                                    (unsigned)u->uid);
    return 0;
}

int creds_apply(const struct oci_process *p, bool setgroups_allowed, struct hk_error *err)
{
    int r;
    if (p->has_caps) {
        r = drop_bounding(p->caps.bounding, err);
        if (r < 0)
            return r;
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
            return hk_error_errno(err, -errno, "prctl(PR_SET_KEEPCAPS)");
    }
    r = switch_user(&p->user, setgroups_allowed, err);
    if (r < 0)
        return r;
    if (!p->has_caps)
        return 0;
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return hk_error_errno(err, -errno, "prctl(PR_SET_KEEPCAPS)");
    r = capset_all(&p->caps);
    if (r < 0)
        return hk_error_errno(err, r, "process.capabilities: capset");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return hk_error_errno(err, -errno, "clear ambient capabilities");
    for (int c = 0; c <= oci_cap_last(); c++) {
        if (!(p->caps.ambient & (UINT64_C(1) << c)))
            continue;
        /* Ambient needs the capability permitted and inheritable; runc ignores failures. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM)
            return hk_error_errno(err, -errno, "raise ambient capability %d", c);
    }
    return 0;
}
