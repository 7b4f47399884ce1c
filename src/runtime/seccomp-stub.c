/* seccomp-stub.c — TEMPORARY until the seccomp module lands (branch seccomp). */
#include "runtime/seccomp.h"

int seccomp_prepare(const json_t *seccomp, const struct parse_ctx *ctx,
                    struct seccomp_program **ret, struct hk_error *err)
{
    (void)seccomp, (void)ctx, (void)ret;
    return hk_error_set(err, -EOPNOTSUPP, "linux.seccomp is not supported yet");
}
int seccomp_install(struct seccomp_program *p, int *ret_listener_fd, struct hk_error *err)
{
    (void)p, (void)ret_listener_fd, (void)err;
    return -EOPNOTSUPP;
}
const char *seccomp_listener_path(const struct seccomp_program *p)
{
    (void)p;
    return NULL;
}
int seccomp_send_listener(const char *path, int listener_fd, const char *state_json,
                          struct hk_error *err)
{
    (void)path, (void)listener_fd, (void)state_json, (void)err;
    return -EOPNOTSUPP;
}
struct seccomp_program *seccomp_program_free(struct seccomp_program *p)
{
    (void)p;
    return NULL;
}
