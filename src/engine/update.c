/* update.c — a container's limits and restart policy changed in place (update.h). */
#include "engine/update.h"

#include <string.h>

#include "engine/create.h"
#include "engine/events.h"
#include "engine/specgen.h"
#include "runtime/control.h"
#include "util/fs.h"
#include "util/json.h"

static json_int_t jint(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* docker's rules for what an update may change, beyond create's checks. */
static int check_update(const json_t *old, const json_t *changes, const json_t *merged,
                        struct hk_error *err)
{
    const json_t *rp = json_object_get(changes, "RestartPolicy");
    const char *name = json_string_value(json_object_get(rp, "Name"));
    if (rp && name && strcmp(name, "no") != 0 &&
        json_is_true(json_object_get(old, "AutoRemove")))
        return hk_error_set(err, -EINVAL, "Restart policy cannot be updated because AutoRemove "
                                          "is enabled for the container");
    /* the swap allowance in force: --memory-swap, else twice the memory limit (none: -1) */
    json_int_t mem = jint(old, "Memory"), swap = jint(old, "MemorySwap");
    json_int_t in_force = swap != 0 ? swap : mem > 0 ? 2 * mem : -1;
    if (json_object_get(changes, "Memory") && !json_object_get(changes, "MemorySwap") &&
        in_force > 0 && jint(merged, "Memory") > in_force)
        return hk_error_set(err, -EINVAL, "Memory limit should be smaller than already set "
                                          "memoryswap limit, update the memoryswap at the same "
                                          "time");
    return 0;
}

int engine_update(const struct engine *e, const char *ref, const json_t *changes,
                  struct hk_error *err)
{
    _cleanup_free_ char *id = NULL;
    int r = record_resolve(e, ref, &id, err);
    struct record *rec = NULL;
    if (r == 0)
        r = record_open(e, id, true, &rec, err);
    if (r < 0)
        return r;
    record_refresh(e, rec);
    json_t *hc = json_object_get(rec->j, "HostConfig");
    _cleanup_json_ json_t *merged = json_deep_copy(hc);
    json_object_update(merged, (json_t *)changes);
    /* a new memory limit without --memory-swap keeps the swap allowance in force (docker
     * stores twice the first limit at create; hako computes it) */
    if (json_object_get(changes, "Memory") && !json_object_get(changes, "MemorySwap") &&
        jint(hc, "MemorySwap") == 0 && jint(hc, "Memory") > 0)
        json_object_set_new(merged, "MemorySwap", json_integer(2 * jint(hc, "Memory")));
    r = check_update(hc, changes, merged, err);
    if (r == 0)
        r = create_check_host_config(merged, err);
    _cleanup_json_ json_t *res = specgen_resources(merged);
    json_object_del(res, "devices"); /* device rules stay as they are */
    const json_t *pids = json_object_get(changes, "PidsLimit");
    bool pids_unlimited = pids && json_integer_value(pids) <= 0; /* docker: 0 or -1 */
    if (pids_unlimited) {
        json_object_set_new(res, "pids", json_pack("{s:i}", "limit", -1));
        json_object_del(merged, "PidsLimit");
    }
    const char *status = record_status(rec->j);
    if (r == 0 && (strcmp(status, "running") == 0 || strcmp(status, "paused") == 0)) {
        struct parse_ctx ctx = {.file = "update"};
        r = container_update(&e->rt, id, res, &ctx, err);
    }
    /* the next start reads config.json: its resources get the same values */
    _cleanup_free_ char *path = xasprintf("%s/config.json", rec->dir);
    json_error_t je;
    _cleanup_json_ json_t *spec = r == 0 ? json_load_file(path, 0, &je) : NULL;
    if (r == 0 && !spec)
        r = hk_error_set(err, -EINVAL, "%s: %s", path, je.text);
    if (r == 0) {
        json_t *lres = json_object_get(json_object_get(spec, "linux"), "resources");
        static const char *const keys[] = {"memory", "cpu", "pids"};
        for (size_t i = 0; i < ELEMENTSOF(keys) && json_is_object(lres); i++)
            if (json_object_get(res, keys[i]))
                json_object_set(lres, keys[i], json_object_get(res, keys[i]));
        if (pids_unlimited)
            json_object_del(lres, "pids");
        _cleanup_free_ char *text = json_dumps(spec, JSON_INDENT(2));
        r = write_file_replace(path, text, strlen(text), 0600, err);
    }
    if (r == 0) {
        json_object_set(rec->j, "HostConfig", merged);
        r = record_save(rec, err);
    }
    if (r == 0)
        engine_event(e, rec->j, "update", NULL);
    record_free(rec);
    if (r < 0)
        return hk_error_prefix(err, r, "Cannot update container %s", id);
    return 0;
}
