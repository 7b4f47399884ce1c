/* cgroup-stub.c — TEMPORARY: no cgroups until the cgroup manager lands (branch cgroup). */
#include <stdlib.h>

#include "runtime/cgroup.h"

struct cgroup_manager {
    int unused;
};

int cgroup_create(const char *id, const char *cgroups_path, const json_t *resources,
                  const struct parse_ctx *ctx, struct cgroup_manager **ret, struct hk_error *err)
{
    (void)id, (void)cgroups_path, (void)resources, (void)ctx, (void)err;
    *ret = calloc(1, sizeof(**ret));
    return 0;
}
int cgroup_enter(struct cgroup_manager *m, pid_t pid, struct hk_error *err)
{
    (void)m, (void)pid, (void)err;
    return 0;
}
int cgroup_clone_fd(const struct cgroup_manager *m)
{
    (void)m;
    return -1;
}
json_t *cgroup_to_json(const struct cgroup_manager *m)
{
    (void)m;
    return json_object();
}
int cgroup_from_json(const json_t *j, struct cgroup_manager **ret, struct hk_error *err)
{
    (void)j, (void)err;
    *ret = calloc(1, sizeof(**ret));
    return 0;
}
int cgroup_destroy(struct cgroup_manager *m, struct hk_error *err)
{
    (void)m, (void)err;
    return 0;
}
int cgroup_kill_all(struct cgroup_manager *m, int sig, struct hk_error *err)
{
    (void)m, (void)sig;
    return hk_error_set(err, -EOPNOTSUPP, "no cgroups yet");
}
bool cgroup_is_frozen(struct cgroup_manager *m)
{
    (void)m;
    return false;
}
int cgroup_mount_in(const struct cgroup_manager *m, int rootfd, const char *dest,
                    unsigned long flags, struct hk_error *err)
{
    (void)m, (void)rootfd, (void)dest, (void)flags, (void)err;
    return 0;
}
struct cgroup_manager *cgroup_manager_free(struct cgroup_manager *m)
{
    free(m);
    return NULL;
}
