/* image.h — hako's images: the API the engine and the CLI use.
 *
 * An image is identified by its config digest (the image ID, "sha256:<hex>") and named by
 * tags ("docker.io/library/busybox:latest") and repo digests ("...@sha256:<manifest>"). Its
 * layers are unpacked once each under <root>/layers/<chain-id>/diff and shared by every image
 * that has them. A container's root filesystem is an overlay of those directories:
 *
 *     struct store *s;  struct image *img;  char *rootfs;
 *     store_open(root, &s, err);                         // image/store.h
 *     image_lookup(s, "busybox", &img, err);             // name, name:tag, name@digest, ID
 *     image_rootfs_mount(s, img, "/var/lib/hako/containers/ID", &rootfs, err);
 *     ... run the container with rootfs ...
 *     image_rootfs_unmount("/var/lib/hako/containers/ID", err);
 *
 * Before removing images, the engine installs store_set_holders() so that `rmi` refuses (or,
 * forced, only untags) an image that a container uses. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/manifest.h"
#include "image/store.h"
#include "util/error.h"

struct image {
    char *id;              /* "sha256:<hex of the config digest>" */
    char *manifest_digest; /* the platform manifest in the store */
    json_t *config;        /* the image config (Env, Cmd, Entrypoint, WorkingDir, User, ...) */
    json_t *record;        /* the store's record: layers, size, repo_digests, ... */
    json_t *tags;          /* array of the tags naming it */
    size_t n_layers;
    char **layer_dirs; /* absolute <root>/layers/<chain>/diff, bottom layer first */
};

/* Find an image by reference ("busybox", "host:5000/a/b:tag", "name@sha256:..."), by full ID
 * ("sha256:<hex>" or "<hex>") or by a unique ID prefix (at least 4 hex digits). -ENOENT when
 * absent; the message says "No such image: <name>". */
int image_lookup(struct store *s, const char *name, struct image **ret, struct hk_error *err);
struct image *image_free(struct image *img);

/* Point tag dst at the image src names. */
int image_tag(struct store *s, const char *src, const char *dst, struct hk_error *err);

/* What image_remove did, for the "Untagged:"/"Deleted:" lines. */
struct image_removal {
    json_t *untagged; /* array of tag strings */
    char *deleted;    /* the image ID when its record went, else NULL */
};
void image_removal_clear(struct image_removal *r);

/* Remove name: a tag when the image has other tags and name is a tag (untag only), else the
 * whole image with all its tags. An image a container uses (store_set_holders) is refused with
 * -EBUSY unless force, which then only untags it. Unreferenced blobs and layers are collected. */
int image_remove(struct store *s, const char *name, bool force, struct image_removal *ret,
                 struct hk_error *err);

/* --- adding images (pull, load, import, build-busybox) ------------------------------------- */

/* Progress of adding an image, reported per layer (short digest) for the CLI to draw. */
enum progress_state {
    PROGRESS_WAITING,
    PROGRESS_EXISTS,      /* "Already exists" */
    PROGRESS_DOWNLOADING, /* done/total bytes */
    PROGRESS_VERIFYING,
    PROGRESS_DOWNLOADED,
    PROGRESS_EXTRACTING,
    PROGRESS_COMPLETE, /* "Pull complete" */
    /* push */
    PROGRESS_PREPARING, /* "Preparing" */
    PROGRESS_PUSHING,   /* done/total bytes */
    PROGRESS_PUSHED,    /* "Pushed" */
    PROGRESS_MOUNTED,   /* "Mounted from <repo>" */
};
struct progress {
    void (*layer)(void *ud, size_t index, const char *digest, enum progress_state state,
                  uint64_t done, uint64_t total);
    void *ud;
};

/* An image whose blobs (manifest, config, layers) are all in the store: unpack its layers
 * (those not unpacked yet) and record it. tag (a normalized reference string, may be NULL)
 * is pointed at it; repo_digest (may be NULL) added to its repo digests. ret_id (may be NULL,
 * DIGEST_STR_SIZE bytes) gets the image ID. */
struct image_add {
    const char *manifest_digest; /* a manifest blob in the store */
    const char *index_digest;    /* the index it was chosen from, or NULL */
    const char *tag;
    const char *repo_digest;
    const struct progress *progress;
};
int image_add(struct store *s, const struct image_add *a, char *ret_id, struct hk_error *err);

/* The record of image id plus its tags, for `images` and `inspect`. */
int image_records(struct store *s, json_t **ret, struct hk_error *err);

/* --- root filesystems (rootfs.c) ------------------------------------------------------------ */

enum rootfs_driver { ROOTFS_AUTO, ROOTFS_OVERLAY, ROOTFS_COPY };

/* Make container_dir/rootfs the image's root filesystem: an overlay mount (lowerdir = the
 * image's layer directories, top first; upperdir/workdir = container_dir/upper, /work;
 * ephemeral: overlayfs's "volatile", no sync of the upper layer ever — for a container that
 * will not outlive its run, whose unmount then costs 0.2 ms instead of 1–10), or,
 * when overlayfs is unavailable (or driver is ROOTFS_COPY), a private copy of the layers with
 * whiteouts applied. container_dir is created when missing. *ret_rootfs (allocated) is the
 * path. Calling it again on a mounted container_dir is an error (-EBUSY). */
int image_rootfs_mount(struct store *s, const struct image *img, const char *container_dir,
                       enum rootfs_driver driver, bool ephemeral, char **ret_rootfs,
                       struct hk_error *err);
/* Unmount container_dir/rootfs when it is a mount (an overlay), keeping upper/ and work/: a
 * stopped container's changes stay, and image_rootfs_mount mounts them again. A copy stays. */
int image_rootfs_release(const char *container_dir, struct hk_error *err);
/* Unmount (or, for a copy, remove) container_dir/rootfs and remove upper/ and work/. Missing
 * pieces are fine: it can be called to clean up after a crash. */
int image_rootfs_unmount(const char *container_dir, struct hk_error *err);

/* Make an image from a config (its exact bytes; the ID is their digest) and layer blobs already
 * in the store (layers: [{"digest", "media_type", "size", "diff_id"}]): store the config and
 * an OCI manifest, then image_add(). */
int image_compose(struct store *s, const char *config, size_t config_len, json_t *layers,
                  const char *tag, const struct progress *progress, char *ret_id,
                  struct hk_error *err);
