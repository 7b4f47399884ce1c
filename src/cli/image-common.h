/* image-common.h — helpers the image command files share. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/store.h"

/* Open the store at --root, printing the error; returns 0 or the exit status (125). */
int cli_store_open(struct store **ret);

/* "busybox:latest" for "docker.io/library/busybox:latest" (tags and repo digests). */
char *cli_familiar(const char *ref);

/* The registry flags pull and push share, as getopt returns them: 't' (--tls-verify, with an
 * optional true|false in optarg) and 'a' (--authfile). True when c was one of them and valid. */
bool cli_registry_opt(int c, bool *tls_verify, const char **authfile);

/* `hako image mount` / `hako image unmount` (image-mount.c). */
int cmd_image_mount(int argc, char **argv);
int cmd_image_unmount(int argc, char **argv);

/* A REPOSITORY[:TAG] argument of cmd as a normalized tag (allocated); prints the error and
 * returns 125 when it is not one (a digest reference is not a tag). */
int cli_tag_arg(const char *cmd, const char *arg, char **ret);

/* Apply each `--change` of changes (a JSON array of strings) to config's "config" object. */
int cli_apply_changes(json_t *changes, json_t *config, struct hk_error *err);
