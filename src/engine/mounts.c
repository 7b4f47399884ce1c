/* mounts.c — -v, --mount, --volumes-from and image VOLUMEs into docker's Mounts and OCI mounts. */
#include "engine/mounts.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/mountspec.h"
#include "engine/volume.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/path.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static json_t *bind_oci(const char *dest, const char *src, bool ro, const char *prop, bool rec)
{
    json_t *o = json_pack("[s,s]", rec ? "rbind" : "bind", prop[0] ? prop : "rprivate");
    if (ro)
        json_array_append_new(o, json_string("ro"));
    return json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", "bind", "source", src,
                     "options", o);
}

/* --mount type=tmpfs: docker's defaults (noexec, nosuid, nodev) plus size and mode. */
static json_t *tmpfs_oci(const char *dest, const json_t *m)
{
    const json_t *t = json_object_get(m, "TmpfsOptions");
    json_t *o = json_pack("[s,s,s]", "noexec", "nosuid", "nodev");
    json_int_t size = json_integer_value(json_object_get(t, "SizeBytes"));
    if (size > 0) {
        char s[64];
        snprintf(s, sizeof(s), "size=%lldk", (long long)((size + 1023) / 1024));
        json_array_append_new(o, json_string(s));
    }
    if (json_object_get(t, "Mode")) {
        char s[64];
        snprintf(s, sizeof(s), "mode=%llo", (long long)json_integer_value(json_object_get(t, "Mode")));
        json_array_append_new(o, json_string(s));
    }
    if (json_is_true(json_object_get(m, "ReadOnly")))
        json_array_append_new(o, json_string("ro"));
    return json_pack("{s:s,s:s,s:s,s:o}", "destination", dest, "type", "tmpfs", "source", "tmpfs",
                     "options", o);
}

static json_t *docker_mount(const char *type, const char *name, const char *src,
                            const char *dest, const char *mode, bool rw, const char *prop)
{
    json_t *j = json_pack("{s:s}", "Type", type);
    if (name)
        json_object_set_new(j, "Name", json_string(name));
    json_object_set_new(j, "Source", json_string(src));
    json_object_set_new(j, "Destination", json_string(dest));
    if (name)
        json_object_set_new(j, "Driver", json_string("local"));
    json_object_set_new(j, "Mode", json_string(mode));
    json_object_set_new(j, "RW", json_boolean(rw));
    json_object_set_new(j, "Propagation", json_string(prop));
    return j;
}

/* One volume mount (named, or anonymous when name is ""): made when missing. */
static int add_volume(const struct engine *e, struct mount_plan *p, const json_t *m,
                      const char *dest, const char *mode, struct hk_error *err)
{
    const char *name = jstr(m, "Source");
    const json_t *vo = json_object_get(m, "VolumeOptions");
    const json_t *dc = json_object_get(vo, "DriverConfig");
    const char *driver = jstr(dc, "Name");
    if (driver[0] && strcmp(driver, "local") != 0)
        return hk_error_set(err, -ENOENT, "create %s: error looking up volume plugin %s: plugin "
                                          "\"%s\" not found", name, driver, driver);
    _cleanup_json_ json_t *vol = NULL;
    bool created = false;
    int r = volume_create_locked(e, name[0] ? name : NULL, json_object_get(vo, "Labels"),
                                 json_object_get(dc, "Options"), &vol, &created, err);
    if (r < 0)
        return r;
    const char *vname = jstr(vol, "Name");
    if (created)
        json_array_append_new(p->created, json_string(vname));
    bool ro = json_is_true(json_object_get(m, "ReadOnly"));
    json_array_append_new(p->mounts, docker_mount("volume", vname, jstr(vol, "Mountpoint"), dest,
                                                  mode, !ro, ""));
    json_array_append_new(p->oci, volume_oci_mount(vol, dest, ro, NULL));
    if (!json_is_true(json_object_get(vo, "NoCopy")))
        json_array_append_new(p->copy_up, json_pack("{s:s,s:s}", "Name", vname, "Destination",
                                                    dest));
    return 0;
}

/* A Mount (from -v when mode, else --mount) at its cleaned destination. */
static int add_mount(const struct engine *e, struct mount_plan *p, const json_t *m,
                     const char *mode, json_t *seen, struct hk_error *err)
{
    _cleanup_free_ char *dest = path_clean(jstr(m, "Target"));
    if (json_object_get(seen, dest))
        return hk_error_set(err, -EINVAL, "Duplicate mount point: %s", dest);
    json_object_set_new(seen, dest, json_true());
    const char *type = jstr(m, "Type");
    bool ro = json_is_true(json_object_get(m, "ReadOnly"));
    if (strcmp(type, "volume") == 0)
        return add_volume(e, p, m, dest, mode ? mode : "", err);
    if (strcmp(type, "tmpfs") == 0) {
        json_array_append_new(p->mounts, docker_mount("tmpfs", NULL, "", dest, "", !ro, ""));
        json_array_append_new(p->oci, tmpfs_oci(dest, m));
        return 0;
    }
    const json_t *bo = json_object_get(m, "BindOptions");
    const char *src = jstr(m, "Source"), *prop = jstr(bo, "Propagation");
    struct stat st;
    /* -v makes a missing host directory, as docker does (--mount refused it already). */
    if (stat(src, &st) < 0 && mkdir_p(src, 0755) < 0)
        return hk_error_errno(err, -errno, "invalid mount config for type \"bind\": create "
                                           "bind source '%s'", src);
    json_array_append_new(p->mounts, docker_mount("bind", NULL, src, dest, mode ? mode : "", !ro,
                                                  prop[0] ? prop : "rprivate"));
    json_array_append_new(p->oci, bind_oci(dest, src, ro, prop,
                                           !json_is_true(json_object_get(bo, "NonRecursive"))));
    return 0;
}

/* --volumes-from ID[:ro|:rw]: the other container's volumes and binds, at the same places. */
static int add_volumes_from(const struct engine *e, struct mount_plan *p, const char *spec,
                            json_t *seen, struct hk_error *err)
{
    const char *colon = strrchr(spec, ':');
    _cleanup_free_ char *ref = colon ? strndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
    const char *mode = colon ? colon + 1 : "";
    if (mode[0] && strcmp(mode, "ro") && strcmp(mode, "rw"))
        return hk_error_set(err, -EINVAL, "invalid mode: %s", mode);
    _cleanup_free_ char *id = NULL;
    struct record *rec = NULL;
    int r = record_resolve(e, ref, &id, err);
    if (r == 0)
        r = record_open(e, id, false, &rec, err);
    if (r < 0)
        return r;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(rec->j, "Mounts"), i, m)
    {
        const char *dest = jstr(m, "Destination"), *type = jstr(m, "Type");
        if (json_object_get(seen, dest) || strcmp(type, "tmpfs") == 0)
            continue;
        json_object_set_new(seen, dest, json_true());
        bool rw = mode[0] ? strcmp(mode, "rw") == 0 : json_is_true(json_object_get(m, "RW"));
        json_t *copy = json_deep_copy(m);
        json_object_set_new(copy, "RW", json_boolean(rw));
        json_array_append_new(p->mounts, copy);
        if (strcmp(type, "volume") == 0) {
            _cleanup_json_ json_t *vol = NULL;
            r = volume_get(e, jstr(m, "Name"), &vol, err);
            if (r < 0)
                break;
            json_array_append_new(p->oci, volume_oci_mount(vol, dest, !rw, NULL));
        } else {
            json_array_append_new(p->oci, bind_oci(dest, jstr(m, "Source"), !rw,
                                                   jstr(m, "Propagation"), true));
        }
    }
    record_free(rec);
    return r;
}

static int plan(const struct engine *e, const json_t *image_config, const json_t *hc,
                struct mount_plan *p, json_t *seen, struct hk_error *err)
{
    size_t i;
    json_t *v;
    int r = 0;
    json_array_foreach(json_object_get(hc, "Binds"), i, v)
    {
        json_t *m = NULL;
        _cleanup_free_ char *mode = NULL;
        r = mountspec_parse_bind(json_string_value(v), &m, &mode, err);
        if (r == 0)
            r = add_mount(e, p, m, mode, seen, err);
        json_decref(m);
        if (r < 0)
            return r;
    }
    json_array_foreach(json_object_get(hc, "Mounts"), i, v)
    {
        r = mountspec_validate(v, true, err);
        if (r == 0)
            r = add_mount(e, p, v, NULL, seen, err);
        if (r < 0)
            return r;
    }
    json_array_foreach(json_object_get(hc, "VolumesFrom"), i, v)
    {
        r = add_volumes_from(e, p, json_string_value(v), seen, err);
        if (r < 0)
            return r;
    }
    const char *k;
    json_object_foreach((json_t *)json_object_get(image_config, "Volumes"), k, v)
    {
        _cleanup_free_ char *dest = path_clean(k);
        if (json_object_get(seen, dest) || strcmp(dest, "/") == 0)
            continue;
        json_object_set_new(seen, dest, json_true());
        _cleanup_json_ json_t *m = json_pack("{s:s,s:s,s:s}", "Type", "volume", "Source", "",
                                             "Target", dest);
        r = add_volume(e, p, m, dest, "", err);
        if (r < 0)
            return r;
    }
    return 0;
}

int mounts_plan(const struct engine *e, const json_t *image_config, const json_t *hc,
                struct mount_plan *ret, struct hk_error *err)
{
    struct mount_plan p = {.mounts = json_array(), .oci = json_array(),
                           .copy_up = json_array(), .created = json_array()};
    _cleanup_json_ json_t *seen = json_object();
    int r = plan(e, image_config, hc, &p, seen, err);
    if (r < 0) {
        mount_plan_undo(e, &p);
        mount_plan_clear(&p);
        return r;
    }
    *ret = p;
    return 0;
}

void mount_plan_clear(struct mount_plan *p)
{
    json_decref(p->mounts);
    json_decref(p->oci);
    json_decref(p->copy_up);
    json_decref(p->created);
    *p = (struct mount_plan){0};
}

void mount_plan_undo(const struct engine *e, const struct mount_plan *p)
{
    size_t i;
    json_t *v;
    json_array_foreach(p->created, i, v)
        volume_remove(e, json_string_value(v), true, NULL);
}

int mounts_copy_up(const struct engine *e, const struct mount_plan *p, int rootfd,
                   struct hk_error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(p->copy_up, i, v)
    {
        _cleanup_json_ json_t *vol = NULL;
        int r = volume_get(e, jstr(v, "Name"), &vol, err);
        if (r == 0)
            r = volume_copy_up(vol, rootfd, jstr(v, "Destination"), err);
        if (r < 0)
            return r;
    }
    return 0;
}

void mounts_remove_anonymous(const struct engine *e, const json_t *mounts)
{
    _cleanup_close_ int lock = -1;
    if (!json_array_size(mounts) || volume_lock(e, &lock, NULL) < 0)
        return;
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        _cleanup_json_ json_t *vol = NULL;
        if (strcmp(jstr(m, "Type"), "volume") != 0 || volume_get(e, jstr(m, "Name"), &vol, NULL) < 0)
            continue;
        if (json_object_get(json_object_get(vol, "Labels"), "com.docker.volume.anonymous"))
            volume_remove(e, jstr(m, "Name"), true, NULL); /* in use elsewhere: kept */
    }
}
