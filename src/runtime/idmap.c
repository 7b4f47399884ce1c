#include "runtime/idmap.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/fs.h"

int idmap_write(pid_t pid, const char *file, const struct oci_idmap *m, size_t n)
{
    char buf[340 * 36 + 1];
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof(buf); i++)
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].container_id,
                                m[i].host_id, m[i].size);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    return write_str(path, buf);
}

int idmap_userns_fd(const struct oci_idmap *uid, size_t n_uid, const struct oci_idmap *gid,
                    size_t n_gid, int *ret_fd, struct hk_error *err)
{
    int ready[2], hold[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return hk_error_errno(err, -errno, "pipe");
    if (pipe2(hold, O_CLOEXEC) < 0) {
        close(ready[0]);
        close(ready[1]);
        return hk_error_errno(err, -errno, "pipe");
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* The helper: a new user namespace, then wait until the runtime has what it needs. */
        close(ready[0]);
        close(hold[1]);
        char c = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1 || read(hold[0], &c, 1) < 0)
            _exit(1);
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    int r = pid < 0 ? hk_error_errno(err, -errno, "fork") : 0;
    char c = 'n';
    if (r == 0 && (read(ready[0], &c, 1) != 1 || c != 'y'))
        r = hk_error_set(err, -EPERM, "cannot create a user namespace for the idmap");
    if (r == 0 && ((r = idmap_write(pid, "uid_map", uid, n_uid)) < 0 ||
                   (r = idmap_write(pid, "gid_map", gid, n_gid)) < 0))
        hk_error_errno(err, r, "write the idmap's id mappings");
    if (r == 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            r = hk_error_errno(err, -errno, "open %s", path);
        else
            *ret_fd = fd;
    }
    close(ready[0]);
    close(hold[1]); /* lets the helper exit */
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return r;
}

int idmap_apply(const struct oci_spec *s, const struct oci_mount *m, int tree, bool rec,
                struct hk_error *err)
{
    const struct oci_linux *l = &s->linux_;
    bool own = m->n_uid_mappings || m->n_gid_mappings;
    if (!own && (!l->n_uid_mappings || !l->n_gid_mappings))
        return hk_error_set(err, -EINVAL, "idmap needs uidMappings and gidMappings on the "
                                          "mount, or a user namespace with mappings");
    _cleanup_close_ int userns = -1;
    int r = own ? idmap_userns_fd(m->uid_mappings, m->n_uid_mappings, m->gid_mappings,
                                  m->n_gid_mappings, &userns, err)
                : idmap_userns_fd(l->uid_mappings, l->n_uid_mappings, l->gid_mappings,
                                  l->n_gid_mappings, &userns, err);
    if (r < 0)
        return r;
    struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0), &a, sizeof(a)) < 0)
        return hk_error_errno(err, -errno, "idmapped mount (does the filesystem support it?)");
    return 0;
}
