/* checkpoint.c — `checkpoint` and `restore` through CRIU (libcriu, which runs `criu swrk`).
 *
 * checkpoint dumps the container's process tree, its namespaces and its mounts into an image
 * directory and, unless --leave-running, ends the container and deletes it, as runc does.
 * Mounts whose source is outside the container (config.json's bind mounts, masked files bound
 * from the host's /dev/null) are told to CRIU as external, keyed by their destination;
 * restore maps each key back to its source. restore makes the state directory and the
 * cgroup as create would (the same /hako path the dump recorded, so CRIU puts the tasks back
 * there), binds the rootfs to a private mount point for CRIU's root, and lets CRIU rebuild
 * the tree as our child (criu_restore_child): detached, the init is then re-parented like any
 * detached container's; in the foreground we wait for it and delete the container.
 *
 * The init's stdio usually points outside the container (the caller's /dev/null, files or
 * pipes). At dump each of fds 0-2 that is a file is marked external by CRIU's id for it,
 * file[mnt_id:inode]; the ids (and pipes' pipe:[inode]) go to descriptors.json in the image
 * directory, as runc keeps them; restore hands its own fd 0-2 in for each (--inherit-fd), so
 * the restored container's stdio is restore's, as a created one's is create's.
 *
 * Not handled (refused with a message): a container with a terminal, and namespaces joined
 * by path (CRIU would need each as an external namespace). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criu/criu.h>

#include "oci/spec.h"
#include "runtime/cgroup.h"
#include "runtime/checkpoint.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "util/fs.h"
#include "util/lazy.h"
#include "util/log.h"
#include "util/path.h"

/* Whether mount m of the spec has its source outside the container (a bind mount). */
static bool is_bind(const struct oci_mount *m)
{
    if (m->type && strcmp(m->type, "bind") == 0)
        return true;
    for (char **o = m->options; o && *o; o++)
        if (strcmp(*o, "bind") == 0 || strcmp(*o, "rbind") == 0)
            return true;
    return false;
}

/* Masked paths that are files are masked with a bind of the host's /dev/null (directories get
 * a read-only tmpfs, which CRIU dumps like any tmpfs). Decided from the rootfs, never
 * following a link out of it. */
static bool masked_file(int rootfd, const char *path)
{
    int fd = open_in_root(rootfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, 0);
    if (fd < 0)
        return false;
    struct stat st;
    bool file = fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode);
    close(fd);
    return file;
}

/* Tell CRIU about every external mount: at dump the value is the key (the destination), at
 * restore it is what to mount there again (the bind's source, or /dev/null). */
static int add_external_mounts(const struct oci_spec *s, const char *bundle, const char *rootfs,
                               bool restore, struct hk_error *err)
{
    for (size_t i = 0; i < s->n_mounts; i++) {
        const struct oci_mount *m = &s->mounts[i];
        if (!is_bind(m) || !m->source)
            continue;
        _cleanup_free_ char *src =
            m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
        if (criu_add_ext_mount(m->destination, restore ? src : m->destination) < 0)
            return hk_error_set(err, -ENOMEM, "criu: external mount '%s'", m->destination);
    }
    _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return hk_error_errno(err, -errno, "rootfs '%s'", rootfs);
    for (char **p = s->linux_.masked_paths; p && *p; p++)
        if (masked_file(rootfd, *p) && criu_add_ext_mount(*p, restore ? "/dev/null" : *p) < 0)
            return hk_error_set(err, -ENOMEM, "criu: external mount '%s'", *p);
    return 0;
}

/* Before a restore, as runc's prepareCriuRestoreMounts: each bind mount's destination exists
 * in the rootfs (a directory for a directory's bind, else a file), made inside it, never
 * through a link out of it. A rootfs made anew (an engine's import) lacks the mount points
 * that were not part of the container's changes (/etc/hosts, resolv.conf, ...). */
static int restore_mountpoints(const struct oci_spec *s, const char *bundle, const char *rootfs,
                               struct hk_error *err)
{
    _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return hk_error_errno(err, -errno, "rootfs '%s'", rootfs);
    for (size_t i = 0; i < s->n_mounts; i++) {
        const struct oci_mount *m = &s->mounts[i];
        if (!is_bind(m) || !m->source || !m->destination)
            continue;
        _cleanup_close_ int have =
            open_in_root(rootfd, m->destination, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, 0);
        if (have >= 0)
            continue;
        _cleanup_free_ char *src =
            m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
        struct stat st;
        int fd = -1;
        int r = stat(src, &st) == 0 && S_ISDIR(st.st_mode)
                    ? mkdir_p_in_root(rootfd, m->destination, 0755, &fd, err)
                    : touch_in_root(rootfd, m->destination, 0644, &fd, err);
        if (fd >= 0)
            close(fd);
        if (r < 0)
            return hk_error_prefix(err, r, "restore: mount point '%s'", m->destination);
    }
    return 0;
}

#define DESCRIPTORS "descriptors.json"

/* CRIU's name for fd of pid when it is outside every mount CRIU dumps: "file[mnt:ino]" for
 * files and devices (marked external), "pipe:[ino]"/"socket:[ino]" as the kernel names them;
 * NULL when it cannot be read. */
static char *stdio_key(pid_t pid, int fd)
{
    char path[64], link[256];
    snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    struct stat st;
    if (n < 0 || stat(path, &st) < 0)
        return NULL;
    link[n] = '\0';
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
        return xstrdup(link);
    snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
    _cleanup_free_ char *info = NULL;
    if (read_file(path, 4096, &info, NULL, NULL) < 0)
        return NULL;
    char *m = strstr(info, "mnt_id:");
    if (!m)
        return NULL;
    unsigned long mnt = strtoul(m + 7, NULL, 10);
    return xasprintf("file[%lx:%llx]", mnt, (unsigned long long)st.st_ino);
}

/* Mark the init's stdio external and keep the keys for restore (descriptors.json). */
static int dump_stdio(pid_t pid, int images, struct hk_error *err)
{
    json_t *keys = json_array();
    for (int fd = 0; fd < 3; fd++) {
        _cleanup_free_ char *key = stdio_key(pid, fd);
        json_array_append_new(keys, key ? json_string(key) : json_null());
        if (key && strncmp(key, "file[", 5) == 0 && criu_add_external(key) < 0) {
            json_decref(keys);
            return hk_error_set(err, -ENOMEM, "criu: external %s", key);
        }
    }
    _cleanup_free_ char *text = json_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d/" DESCRIPTORS, images);
    return write_file_replace(path, text, strlen(text), 0600, err);
}

/* Hand our fds 0-2 in for what the init's were at dump (an image without descriptors.json,
 * from another tool, restores without). */
static int inherit_stdio(int images, struct hk_error *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d/" DESCRIPTORS, images);
    _cleanup_free_ char *text = NULL;
    if (read_file(path, 1u << 16, &text, NULL, NULL) < 0)
        return 0;
    json_t *keys = json_loads(text, 0, NULL);
    int r = 0;
    for (size_t fd = 0; r == 0 && fd < 3 && fd < json_array_size(keys); fd++) {
        const char *key = json_string_value(json_array_get(keys, fd));
        if (key && criu_add_inherit_fd((int)fd, key) < 0)
            r = hk_error_set(err, -ENOMEM, "criu: inherit fd %zu as %s", fd, key);
    }
    json_decref(keys);
    return r;
}

/* CRIU's own log explains a failure; its last error lines go into the message. */
static int criu_failed(int r, int workfd, const char *log, const char *what, struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    char path[64], tail[512] = "";
    snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", workfd, log);
    if (read_file(path, 1u << 20, &text, NULL, NULL) == 0) {
        /* the first error that is not about an optional feature (tun), else the last line */
        char *last = NULL;
        bool found = false;
        for (char *line = strtok(text, "\n"); line && !found; line = strtok(NULL, "\n")) {
            found = strstr(line, "Error") && !strstr(line, "criu/tun.c");
            last = line;
        }
        if (last)
            snprintf(tail, sizeof(tail), ": %s", last);
    }
    return hk_error_set(err, r < 0 ? r : -EIO,
                        "criu %s failed (%d, see %s in the work directory)%s", what, r, log, tail);
}

/* Open (making it when missing) a directory for CRIU's images or work files. */
static int open_dir(const char *path, const char *flag, int *ret, struct hk_error *err)
{
    int r = mkdir_p(path, 0700);
    if (r < 0)
        return hk_error_errno(err, r, "%s '%s'", flag, path);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(err, -errno, "%s '%s'", flag, path);
    *ret = fd;
    return 0;
}

/* What both directions need: libcriu loaded and its options reset, the image and work
 * directories open and handed over, the log file named, cgroups managed by CRIU (soft). */
static int criu_begin(const struct runtime *rt, const char *image_path, const char *work_path,
                      const char *log, int *ret_images, int *ret_work, struct hk_error *err)
{
    int r = lazy_require(LAZY_CRIU, err);
    if (r < 0)
        return r;
    const char *images = image_path ? image_path : "checkpoint";
    r = open_dir(images, "--image-path", ret_images, err);
    if (r == 0)
        r = open_dir(work_path ? work_path : images, "--work-path", ret_work, err);
    if (r < 0)
        return r;
    if (criu_init_opts() < 0)
        return hk_error_set(err, -ENOMEM, "criu: cannot initialize its options");
    if (rt->criu && criu_set_service_binary(rt->criu) < 0)
        return hk_error_set(err, -ENOMEM, "--criu '%s'", rt->criu);
    criu_set_images_dir_fd(*ret_images);
    criu_set_work_dir_fd(*ret_work);
    criu_set_log_file(log);
    criu_set_log_level(4);
    criu_set_manage_cgroups(true);
    criu_set_manage_cgroups_mode(CRIU_CG_MODE_SOFT);
    return 0;
}

/* Refuse what this implementation cannot carry through a dump (see the top of the file). */
static int check_supported(const struct oci_spec *s, struct hk_error *err)
{
    if (s->process && s->process->terminal)
        return hk_error_set(err, -EOPNOTSUPP,
                            "checkpoint and restore of a container with a terminal "
                            "(process.terminal) are not supported");
    for (size_t i = 0; i < s->linux_.n_namespaces; i++)
        if (s->linux_.namespaces[i].path)
            return hk_error_set(err, -EOPNOTSUPP,
                                "checkpoint and restore of a container that joins a namespace "
                                "by path (linux.namespaces[%zu]) are not supported",
                                i);
    return 0;
}

int container_checkpoint(const struct runtime *rt, const char *id, const struct checkpoint_opts *o,
                         struct hk_error *err)
{
    _cleanup_close_ int rootfd = -1, dirfd = -1, images = -1, work = -1;
    struct container_state *st = NULL;
    struct oci_spec *spec = NULL;
    _cleanup_free_ char *dir = xasprintf("%s/%s", rt->state_root, id);
    int r = state_root_open(rt->state_root, &rootfd, err);
    if (r == 0)
        r = state_dir_open(rootfd, id, &dirfd, err);
    if (r == 0)
        r = state_load(dirfd, &st, err);
    if (r == 0)
        r = spec_load(dir, &spec, err);
    if (r < 0)
        goto out;
    enum container_status status = state_status(dirfd, st);
    if (status != STATUS_RUNNING && status != STATUS_PAUSED) {
        r = hk_error_set(err, -EINVAL,
                         "container '%s' is %s: only a running container can be "
                         "checkpointed",
                         id, status_name(status));
        goto out;
    }
    r = check_supported(spec, err);
    if (r == 0)
        r = criu_begin(rt, o->c.image_path, o->c.work_path, o->pre_dump ? "pre-dump.log" : "dump.log",
                       &images, &work, err);
    if (r < 0)
        goto out;
    criu_set_pid(st->pid);
    criu_set_leave_running(o->leave_running || o->pre_dump);
    criu_set_tcp_established(o->c.tcp_established);
    criu_set_ext_unix_sk(o->c.ext_unix_sk);
    criu_set_file_locks(o->c.file_locks);
    criu_set_track_mem(o->pre_dump || o->parent_path);
    if (o->parent_path && criu_set_parent_images(o->parent_path) < 0) {
        r = hk_error_set(err, -ENOMEM, "--parent-path '%s'", o->parent_path);
        goto out_criu;
    }
    r = add_external_mounts(spec, st->bundle, st->rootfs, false, err);
    if (r == 0)
        r = dump_stdio(st->pid, images, err);
    if (r < 0)
        goto out_criu;
    log_debug("checkpoint '%s': dumping pid %d", id, (int)st->pid);
    int cr = o->pre_dump ? criu_pre_dump() : criu_dump();
    if (cr < 0) {
        r = criu_failed(cr, work, o->pre_dump ? "pre-dump.log" : "dump.log",
                        o->pre_dump ? "pre-dump" : "dump", err);
        goto out_criu;
    }
    r = 0;
out_criu:
    criu_free_opts();
out:
    spec_free(spec);
    state_free(st);
    if (r == 0 && !o->leave_running && !o->pre_dump && !o->keep_state) {
        /* The dumped tree is gone (CRIU killed it): the container goes too, as with runc. */
        closep(&dirfd);
        r = container_delete(rt, id, true, err);
    }
    return r;
}

/* CRIU's root must be a mount point of its own: a private recursive bind of the rootfs under
 * the state directory (removed again once the restored tree has its own mount namespace). */
static int bind_root(const char *rootfs, const char *target, struct hk_error *err)
{
    if (mkdir(target, 0700) < 0 && errno != EEXIST)
        return hk_error_errno(err, -errno, "mkdir '%s'", target);
    if (mount(rootfs, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        return hk_error_errno(err, -errno, "bind the rootfs '%s' for criu", rootfs);
    if (mount(NULL, target, NULL, MS_PRIVATE | MS_REC, NULL) < 0) {
        int e = -errno;
        umount2(target, MNT_DETACH);
        return hk_error_errno(err, e, "make '%s' private", target);
    }
    return 0;
}

static void unbind_root(const char *target)
{
    umount2(target, MNT_DETACH);
    rmdir(target);
}

/* The restored container's state.json, as create records it. */
static int record_restored(int dirfd, const char *id, pid_t pid, const char *bundle,
                           const char *rootfs, const struct oci_spec *spec,
                           const struct cgroup_manager *cg, const char *pid_file,
                           struct hk_error *err)
{
    struct container_state st = {
        .id = (char *)id,
        .pid = pid,
        .bundle = (char *)bundle,
        .rootfs = (char *)rootfs,
        .annotations = spec->annotations,
        .cgroup = cgroup_to_json(cg),
    };
    char created[64];
    st.created = rfc3339_now(created, sizeof(created));
    int r = proc_start_time(pid, &st.pid_start, NULL);
    if (r < 0)
        r = hk_error_errno(err, r, "the restored process is gone");
    if (r == 0)
        r = state_save(dirfd, &st, err);
    json_decref(st.cgroup);
    if (r == 0 && pid_file) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
        r = write_file_replace(pid_file, buf, (size_t)n, 0644, err);
        if (r < 0)
            hk_error_prefix(err, r, "--pid-file");
    }
    return r;
}

/* Load the bundle's spec and find its rootfs (realpath of root.path under the bundle). */
static int load_bundle(const char *bundle, struct oci_spec **ret_spec, char **ret_rootfs,
                       struct hk_error *err)
{
    int r = spec_load(bundle, ret_spec, err);
    if (r < 0)
        return r;
    const char *root = (*ret_spec)->root_path;
    _cleanup_free_ char *joined = root[0] == '/' ? xstrdup(root) : xasprintf("%s/%s", bundle, root);
    *ret_rootfs = realpath(joined, NULL);
    if (!*ret_rootfs)
        return hk_error_errno(err, -errno, "root.path: rootfs '%s'", joined);
    return check_supported(*ret_spec, err);
}

int container_restore(const struct runtime *rt, const char *id, const struct restore_opts *o,
                      int *ret_exit_code, struct hk_error *err)
{
    int r = state_check_id(id, err);
    if (r < 0)
        return r;
    _cleanup_close_ int rootfd = -1, dirfd = -1, images = -1, work = -1;
    _cleanup_free_ char *bundle = realpath(o->bundle ? o->bundle : ".", NULL);
    _cleanup_free_ char *rootfs = NULL, *criu_root = NULL;
    struct oci_spec *spec = NULL;
    struct cgroup_manager *cg = NULL;
    bool made_dir = false, bound = false, criu_opts = false;
    pid_t pid = -1;
    if (!bundle)
        return hk_error_errno(err, -errno, "bundle '%s'", o->bundle ? o->bundle : ".");
    r = load_bundle(bundle, &spec, &rootfs, err);
    if (r == 0)
        r = state_root_open(rt->state_root, &rootfd, err);
    if (r < 0)
        goto out;
    if (mkdirat(rootfd, id, 0700) < 0) {
        r = errno == EEXIST ? hk_error_set(err, -EEXIST, "container '%s' already exists", id)
                            : hk_error_errno(err, -errno, "create state for '%s'", id);
        goto out;
    }
    made_dir = true;
    criu_root = xasprintf("%s/%s/criu-root", rt->state_root, id);
    char cfg[64];
    r = state_dir_open(rootfd, id, &dirfd, err);
    if (r == 0) {
        snprintf(cfg, sizeof(cfg), "/proc/self/fd/%d/config.json", dirfd);
        r = write_file_replace(cfg, spec->text, strlen(spec->text), 0600, err);
    }
    if (r == 0)
        r = restore_mountpoints(spec, bundle, rootfs, err);
    if (r == 0)
        r = cgroup_create_for_spec(id, spec, &cg, err);
    if (r == 0 && (r = bind_root(rootfs, criu_root, err)) == 0)
        bound = true;
    if (r == 0 &&
        (r = criu_begin(rt, o->c.image_path, o->c.work_path, "restore.log", &images, &work, err)) == 0)
        criu_opts = true;
    if (r == 0 && criu_set_root(criu_root) < 0)
        r = hk_error_set(err, -ENOMEM, "criu: root '%s'", criu_root);
    /* The tasks go into this container's cgroup whatever path the dump recorded (an engine
     * container restored under a new ID), as runc maps it (--cgroup-root). */
    if (r == 0 && criu_add_cg_root(NULL, cgroup_path(cg)) < 0)
        r = hk_error_set(err, -ENOMEM, "criu: cgroup root '%s'", cgroup_path(cg));
    if (r == 0) {
        criu_set_tcp_established(o->c.tcp_established);
        criu_set_ext_unix_sk(o->c.ext_unix_sk);
        criu_set_file_locks(o->c.file_locks);
        r = add_external_mounts(spec, bundle, rootfs, true, err);
    }
    if (r == 0)
        r = inherit_stdio(images, err);
    if (r == 0) {
        log_debug("restore '%s': from the images", id);
        pid = criu_restore_child();
        if (pid <= 0)
            r = criu_failed(pid, work, "restore.log", "restore", err);
    }
    if (criu_opts)
        criu_free_opts();
    if (bound)
        unbind_root(criu_root);
    if (r == 0)
        r = record_restored(dirfd, id, pid, bundle, rootfs, spec, cg, o->pid_file, err);
out:
    if (r < 0) {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        if (cg)
            cgroup_destroy(cg, NULL);
        if (made_dir)
            rm_rf_at(rootfd, id);
    }
    cgroup_manager_free(cg);
    spec_free(spec);
    if (r == 0 && o->ret_pid)
        *o->ret_pid = pid;
    if (r < 0 || o->detach)
        return r;
    /* In the foreground, as runc: wait for the restored init, then delete the container. */
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *ret_exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    closep(&dirfd);
    return container_delete(rt, id, true, err);
}
