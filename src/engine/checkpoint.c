/* checkpoint.c — engine checkpoint and restore; see checkpoint.h. */
#include "engine/checkpoint.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/create.h"
#include "engine/events.h"
#include "engine/lifecycle.h"
#include "engine/monitor.h"
#include "engine/net/attach.h"
#include "image/layer-create.h"
#include "image/layer.h"
#include "runtime/checkpoint.h"
#include "runtime/state.h"
#include "util/failpoint.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/lazy.h"
#include "util/log.h"

#define IMAGES "checkpoint"
#define DIFF "rootfs-diff.tar"
#define RECORD "container.json"
#define SPEC "config.json"
#define TCP_KEY "CheckpointTCPEstablished" /* in Hako: the dump kept established TCP */

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The refusals of checkpoint.h, from a record's Config and HostConfig. */
static int check_config(const json_t *cfg, const json_t *hc, const char *id, struct hk_error *err)
{
    const char *mode = jstr(hc, "NetworkMode");
    if (json_is_true(json_object_get(cfg, "Tty")))
        return hk_error_set(err, -EOPNOTSUPP,
                            "cannot checkpoint container %.12s: it has a "
                            "terminal (-t), which CRIU cannot carry",
                            id);
    if (json_is_true(json_object_get(hc, "AutoRemove")))
        return hk_error_set(err, -EOPNOTSUPP,
                            "cannot checkpoint container %.12s: it was "
                            "started with --rm",
                            id);
    if (net_mode_is_network(mode))
        return hk_error_set(err, -EOPNOTSUPP,
                            "cannot checkpoint container %.12s: it is on network '%s' (only "
                            "containers without a bridge network can be checkpointed)",
                            id, mode);
    return 0;
}

static int check_checkpointable(const json_t *j, const char *id, struct hk_error *err)
{
    if (strcmp(record_status(j), "running") != 0)
        return hk_error_set(err, -EINVAL, "Container %s is not running", id);
    return check_config(json_object_get(j, "Config"), json_object_get(j, "HostConfig"), id, err);
}

/* The record, locked, repaired when its monitor died. */
static int open_locked(const struct engine *e, const char *id, struct record **ret,
                       struct hk_error *err)
{
    int r = record_open(e, id, true, ret, err);
    if (r == 0)
        record_refresh(e, *ret);
    return r;
}

/* Under the record's lock: whether the user stops it (so the monitor does not restart it
 * once the dump ends it). */
static int set_manual_stop(const struct engine *e, const char *id, bool on, bool check,
                           struct hk_error *err)
{
    struct record *rec = NULL;
    int r = open_locked(e, id, &rec, err);
    if (r < 0)
        return r;
    if (check)
        r = check_checkpointable(rec->j, id, err);
    if (r == 0) {
        json_object_set_new(json_object_get(rec->j, "Hako"), "ManualStop", json_boolean(on));
        r = record_save(rec, err);
    }
    record_free(rec);
    return r;
}

/* After the dump: the record says where the images are and, when the dump ended the
 * container, that it is checkpointed (exited 0, not the SIGKILL CRIU ended it with). */
static int record_checkpointed(const struct engine *e, const char *id, const char *images,
                               bool ended, bool tcp, struct hk_error *err)
{
    struct record *rec = NULL;
    int r = record_open(e, id, true, &rec, err);
    if (r < 0)
        return r;
    json_t *st = json_object_get(rec->j, "State");
    char now[64];
    json_object_set_new(st, "CheckpointPath", json_string(images));
    json_object_set_new(st, "CheckpointedAt", json_string(rfc3339_now(now, sizeof(now))));
    /* restore needs it again */
    json_object_set_new(json_object_get(rec->j, "Hako"), TCP_KEY, json_boolean(tcp));
    if (ended) {
        json_object_set_new(st, "Checkpointed", json_true());
        json_object_set_new(st, "ExitCode", json_integer(0));
    }
    r = record_save(rec, err);
    if (r == 0)
        engine_event(e, rec->j, "checkpoint", NULL);
    record_free(rec);
    return r;
}

/* --- the export tar ------------------------------------------------------------------- */

static int tar_failed(struct archive *a, const char *what, struct hk_error *err)
{
    return hk_error_set(err, -EIO, "export: %s: %s", what, archive_error_string(a));
}

/* Entry name, a regular file of size bytes read from fd. */
static int tar_add_fd(struct archive *a, const char *name, int fd, struct hk_error *err)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return hk_error_errno(err, -errno, "export: stat '%s'", name);
    struct archive_entry *en = archive_entry_new();
    archive_entry_set_pathname(en, name);
    archive_entry_set_filetype(en, AE_IFREG);
    archive_entry_set_perm(en, 0600);
    archive_entry_set_size(en, st.st_size);
    archive_entry_set_mtime(en, st.st_mtime, 0);
    int r = archive_write_header(a, en) == ARCHIVE_OK ? 0 : tar_failed(a, name, err);
    archive_entry_free(en);
    char buf[1 << 16];
    for (off_t left = st.st_size; r == 0 && left > 0;) {
        ssize_t n = pread(fd, buf, left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf),
                          st.st_size - left);
        if (n <= 0)
            return hk_error_errno(err, n < 0 ? -errno : -EIO, "export: read '%s'", name);
        if (archive_write_data(a, buf, (size_t)n) != n)
            return tar_failed(a, name, err);
        left -= n;
    }
    return r;
}

static int tar_add_file(struct archive *a, const char *name, int dirfd, const char *file,
                        struct hk_error *err)
{
    _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return hk_error_errno(err, -errno, "export: open '%s'", file);
    return tar_add_fd(a, name, fd, err);
}

/* checkpoint/ and every regular file of the images directory (CRIU's is flat). */
static int tar_add_images(struct archive *a, const char *images, struct hk_error *err)
{
    DIR *d = opendir(images);
    if (!d)
        return hk_error_errno(err, -errno, "export: '%s'", images);
    struct archive_entry *en = archive_entry_new();
    archive_entry_set_pathname(en, IMAGES "/");
    archive_entry_set_filetype(en, AE_IFDIR);
    archive_entry_set_perm(en, 0700);
    int r = archive_write_header(a, en) == ARCHIVE_OK ? 0 : tar_failed(a, IMAGES, err);
    archive_entry_free(en);
    struct dirent *de;
    while (r == 0 && (de = readdir(d))) {
        if (de->d_type != DT_REG)
            continue;
        _cleanup_free_ char *name = xasprintf(IMAGES "/%s", de->d_name);
        r = tar_add_file(a, name, dirfd(d), de->d_name, err);
    }
    closedir(d);
    return r;
}

/* The container's changes as an OCI layer, into an unnamed file in its directory: its overlay
 * upper directory, or (a private copy, no overlay) its whole root filesystem replacing the
 * image's (an opaque root first). */
static int diff_file(const char *dir, int *ret_fd, struct hk_error *err)
{
    _cleanup_free_ char *upper = xasprintf("%s/upper", dir);
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
    _cleanup_free_ char *copy = xasprintf("%s/rootfs.copy", dir);
    bool whole = !path_exists(upper) && path_exists(copy);
    const char *tree = whole ? rootfs : upper;
    _cleanup_close_ int tfd = open(tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd < 0)
        return hk_error_errno(err, -errno, "export: the container's changes '%s'", tree);
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return hk_error_errno(err, -errno, "export: temporary file in '%s'", dir);
    struct layer_create_opts lo = {.compression = LAYER_UNCOMPRESSED,
                                   .mtime = layer_epoch(),
                                   .skip_etc_mounts = !whole,
                                   .opaque_root = whole};
    int r = layer_write(tfd, &lo, fd, err);
    if (r < 0) {
        close(fd);
        return r;
    }
    *ret_fd = fd;
    return 0;
}

static int export_tar(const struct engine *e, const char *id, const char *images, const char *path,
                      struct hk_error *err)
{
    int r = lazy_require(LAZY_ARCHIVE, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int diff = -1;
    if (dfd < 0)
        return hk_error_errno(err, -errno, "export: '%s'", dir);
    r = diff_file(dir, &diff, err);
    if (r < 0)
        return r;
    _cleanup_close_ int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0)
        return hk_error_errno(err, -errno, "--export '%s'", path);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    r = archive_write_open_fd(a, out) == ARCHIVE_OK ? 0 : tar_failed(a, path, err);
    if (r == 0)
        r = tar_add_file(a, RECORD, dfd, RECORD, err);
    if (r == 0)
        r = tar_add_file(a, SPEC, dfd, SPEC, err);
    if (r == 0)
        r = tar_add_fd(a, DIFF, diff, err);
    if (r == 0)
        r = tar_add_images(a, images, err);
    if (archive_write_close(a) != ARCHIVE_OK && r == 0)
        r = tar_failed(a, path, err);
    archive_write_free(a);
    if (r == 0 && fsync(out) < 0)
        r = hk_error_errno(err, -errno, "--export '%s'", path);
    if (r < 0)
        unlink(path);
    return r;
}

/* --- checkpoint ----------------------------------------------------------------------- */

/* The images directory, absolute, made when missing; the default one is emptied first. */
static int images_dir(const struct engine *e, const char *id, const char *given, char **ret,
                      struct hk_error *err)
{
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_free_ char *path = given ? xstrdup(given) : xasprintf("%s/" IMAGES, dir);
    if (!given)
        rm_rf(path);
    int r = mkdir_p(path, 0700);
    if (r < 0)
        return hk_error_errno(err, r, "%s '%s'", given ? "--checkpoint-dir" : "images", path);
    *ret = realpath(path, NULL);
    return *ret ? 0 : hk_error_errno(err, -errno, "--checkpoint-dir '%s'", path);
}

int engine_checkpoint(const struct engine *e, struct store *s, const char *id,
                      const struct engine_checkpoint_opts *o, struct hk_error *err)
{
    (void)s;
    _cleanup_close_ int lock = -1;
    _cleanup_free_ char *images = NULL;
    int r = engine_start_lock(e, id, &lock, err); /* no start, stop or rm meanwhile */
    if (r == 0)
        r = set_manual_stop(e, id, !o->leave_running, true, err);
    if (r < 0)
        return r;
    r = images_dir(e, id, o->dir, &images, err);
    struct checkpoint_opts co = {.c = {.image_path = images, .tcp_established = o->tcp_established},
                                 .leave_running = o->leave_running,
                                 .keep_state = true};
    if (r == 0)
        r = container_checkpoint(&e->rt, id, &co, err);
    if (r < 0) {
        /* still running as before: a later exit may restart it again */
        if (!o->leave_running)
            set_manual_stop(e, id, false, false, NULL);
        return hk_error_prefix(err, r, "cannot checkpoint container %.12s", id);
    }
    /* CRIU ended the processes: the monitor records the exit and cleans the runtime up */
    if (!o->leave_running && engine_wait_stopped(e, id, 30000) < 0)
        return hk_error_set(err, -ETIMEDOUT,
                            "container %.12s: the monitor did not record the "
                            "end of the checkpointed processes",
                            id);
    r = record_checkpointed(e, id, images, !o->leave_running, o->tcp_established, err);
    if (r == 0 && o->export_path)
        r = export_tar(e, id, images, o->export_path, err);
    return r;
}

/* --- restore -------------------------------------------------------------------------- */

/* The images of a container that can be restored now (allocated). */
static int restorable(const struct engine *e, const char *id, char **ret_images,
                      struct hk_error *err)
{
    struct record *rec = NULL;
    int r = open_locked(e, id, &rec, err);
    if (r < 0)
        return r;
    const char *images = jstr(json_object_get(rec->j, "State"), "CheckpointPath");
    _cleanup_free_ char *inventory = xasprintf("%s/inventory.img", images);
    if (engine_status_live(record_status(rec->j)))
        r = hk_error_set(err, -EINVAL,
                         "Container %s is running: stop it before restoring "
                         "its checkpoint",
                         id);
    else if (!images[0] || !path_exists(inventory))
        r = hk_error_set(err, -EINVAL,
                         "Container %s has no checkpoint to restore (make one "
                         "with 'hako container checkpoint')",
                         id);
    else
        *ret_images = xstrdup(images);
    record_free(rec);
    return r;
}

int engine_restore(const struct engine *e, struct store *s, const char *id, struct hk_error *err)
{
    _cleanup_close_ int lock = -1;
    _cleanup_free_ char *images = NULL;
    struct record *rec = NULL;
    int r = engine_start_lock(e, id, &lock, err);
    if (r == 0)
        r = restorable(e, id, &images, err);
    if (r == 0)
        r = record_open(e, id, false, &rec, err);
    if (r == 0)
        r = engine_rootfs_ensure(e, s, rec, err);
    record_free(rec);
    if (r < 0)
        return r;
    r = monitor_restore(e, id, lock, images, NULL, err);
    return r < 0 ? hk_error_prefix(err, r, "cannot restore container %.12s", id) : 0;
}

/* --- import --------------------------------------------------------------------------- */

/* Whether an entry of the export tar is one it may hold: the three files, checkpoint/ and
 * plain names directly in it. */
static bool import_name_ok(const char *n, bool *ret_dir)
{
    *ret_dir = strcmp(n, IMAGES "/") == 0 || strcmp(n, IMAGES) == 0;
    if (*ret_dir || strcmp(n, RECORD) == 0 || strcmp(n, SPEC) == 0 || strcmp(n, DIFF) == 0)
        return true;
    if (strncmp(n, IMAGES "/", sizeof(IMAGES)) != 0)
        return false;
    const char *b = n + sizeof(IMAGES);
    return b[0] && !strchr(b, '/') && strcmp(b, ".") != 0 && strcmp(b, "..") != 0;
}

/* Unpack the export tar into the empty directory dirfd, refusing anything else in it. */
static int import_unpack(const char *path, int dirfd, struct hk_error *err)
{
    int r = lazy_require(LAZY_ARCHIVE, err);
    if (r < 0)
        return r;
    _cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return hk_error_errno(err, -errno, "--import '%s'", path);
    if (mkdirat(dirfd, IMAGES, 0700) < 0)
        return hk_error_errno(err, -errno, "import: mkdir");
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    if (archive_read_open_fd(a, in, 1 << 16) != ARCHIVE_OK)
        r = hk_error_set(err, -EINVAL, "--import '%s': %s", path, archive_error_string(a));
    struct archive_entry *en;
    char buf[1 << 16];
    while (r == 0) {
        int h = archive_read_next_header(a, &en);
        if (h == ARCHIVE_EOF)
            break;
        if (h != ARCHIVE_OK) {
            r = hk_error_set(err, -EINVAL, "--import '%s': %s", path, archive_error_string(a));
            break;
        }
        const char *n = archive_entry_pathname(en);
        bool dir;
        if (!n || !import_name_ok(n, &dir) ||
            archive_entry_filetype(en) != (dir ? AE_IFDIR : AE_IFREG)) {
            r = hk_error_set(err, -EINVAL,
                             "--import '%s': '%s' is not part of a hako "
                             "checkpoint export",
                             path, n ? n : "?");
            break;
        }
        if (dir)
            continue;
        _cleanup_close_ int fd =
            openat(dirfd, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            r = hk_error_errno(err, -errno, "--import '%s': '%s'", path, n);
            break;
        }
        ssize_t got;
        while (r == 0 && (got = archive_read_data(a, buf, sizeof(buf))) != 0) {
            if (got < 0)
                r = hk_error_set(err, -EINVAL, "--import '%s': '%s': %s", path, n,
                                 archive_error_string(a));
            else if (write(fd, buf, (size_t)got) != got)
                r = hk_error_errno(err, -errno, "import: write '%s'", n);
        }
    }
    archive_read_free(a);
    if (r == 0 && (faccessat(dirfd, RECORD, F_OK, 0) < 0 || faccessat(dirfd, DIFF, F_OK, 0) < 0 ||
                   faccessat(dirfd, IMAGES "/inventory.img", F_OK, 0) < 0))
        r = hk_error_set(err, -EINVAL,
                         "--import '%s': not a checkpoint export (it needs " RECORD ", " DIFF
                         " and " IMAGES "/inventory.img)",
                         path);
    return r;
}

/* A new container as the exported record describes it (its image from the store). */
static int import_create(const struct engine *e, struct store *s, int dirfd, const char *name,
                         char **ret_id, bool *ret_tcp, struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    int r = read_file_at(dirfd, RECORD, 1u << 24, &text, NULL, err);
    if (r < 0)
        return r;
    json_error_t jerr;
    _cleanup_json_ json_t *j = json_loads(text, 0, &jerr);
    const char *image = jstr(json_object_get(j, "Hako"), "ImageRef");
    if (!json_is_object(j) || !image[0] || !json_is_object(json_object_get(j, "Config")))
        return hk_error_set(err, -EINVAL, "import: " RECORD " is not a container record");
    const char *old = jstr(j, "Name");
    struct create_request req = {
        .image = image,
        .name = name ? name : (old[0] == '/' ? old + 1 : old),
        .config = json_object_get(j, "Config"),
        .host_config = json_object_get(j, "HostConfig"),
    };
    *ret_tcp = json_is_true(json_object_get(json_object_get(j, "Hako"), TCP_KEY));
    r = check_config(req.config, req.host_config, jstr(j, "Id"), err);
    _cleanup_json_ json_t *warnings = json_array();
    if (r == 0)
        r = engine_create(e, s, &req, ret_id, warnings, err);
    return r;
}

/* Put the exported changes onto the new container's root filesystem (its overlay, or its
 * copy), whiteouts as deletions. */
static int import_diff(const struct engine *e, const char *id, int dirfd, struct hk_error *err)
{
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
    _cleanup_close_ int rfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int diff = openat(dirfd, DIFF, O_RDONLY | O_CLOEXEC);
    if (rfd < 0)
        return hk_error_errno(err, -errno, "import: '%s'", rootfs);
    if (diff < 0)
        return hk_error_errno(err, -errno, "import: " DIFF);
    struct layer_unpack_opts lo = {.name = DIFF, .deletions = true, .owners = true};
    return layer_unpack(diff, rfd, &lo, NULL, err);
}

/* The imported images become the container's, and its record says checkpointed. */
static int import_images(const struct engine *e, const char *id, const char *stage, bool tcp,
                         struct hk_error *err)
{
    _cleanup_free_ char *dir = engine_dir(e, id);
    _cleanup_free_ char *from = xasprintf("%s/" IMAGES, stage);
    _cleanup_free_ char *images = xasprintf("%s/" IMAGES, dir);
    if (rename(from, images) < 0)
        return hk_error_errno(err, -errno, "import: move the images to '%s'", images);
    struct record *rec = NULL;
    int r = record_open(e, id, true, &rec, err);
    if (r < 0)
        return r;
    record_set_exited(rec->j, 0, false, NULL);
    json_t *st = json_object_get(rec->j, "State");
    json_object_set_new(st, "Checkpointed", json_true());
    json_object_set_new(st, "CheckpointPath", json_string(images));
    json_object_set_new(json_object_get(rec->j, "Hako"), TCP_KEY, json_boolean(tcp));
    r = record_save(rec, err);
    record_free(rec);
    return r;
}

int engine_restore_import(const struct engine *e, struct store *s, const char *path,
                          const char *name, char **ret_id, struct hk_error *err)
{
    /* Staged next to the container directories (the same filesystem: the images move), held
     * (flock) until it is removed; made and locked under the names lock, which a scan takes
     * to remove a killed import's (engine_sweep). */
    _cleanup_free_ char *stage = xasprintf("%s/.import-XXXXXX", e->containers);
    _cleanup_free_ char *id = NULL;
    bool tcp = false;
    int names = -1, fd = -1;
    int r = record_names_lock(e, &names, err);
    if (r < 0)
        return r;
    if (!mkdtemp(stage))
        r = hk_error_errno(err, -errno, "import: mkdtemp in '%s'", e->containers);
    else if ((fd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || flock(fd, LOCK_EX) < 0)
        r = hk_error_errno(err, -errno, "import: '%s'", stage);
    close(names);
    if (r == 0)
        r = import_unpack(path, fd, err);
    failpoint("import-staged");
    if (r == 0)
        r = import_create(e, s, fd, name, &id, &tcp, err);
    if (r == 0)
        r = import_diff(e, id, fd, err);
    if (r == 0)
        r = import_images(e, id, stage, tcp, err);
    if (r == 0)
        r = engine_restore(e, s, id, err);
    if (fd >= 0)
        close(fd);
    rm_rf(stage);
    if (r < 0 && id)
        engine_remove(e, id, true, NULL);
    if (r == 0)
        *ret_id = TAKE_PTR(id);
    return r;
}
