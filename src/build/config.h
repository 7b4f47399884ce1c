/* config.h — the Dockerfile instructions that only change the image config (CMD, ENTRYPOINT,
 * ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR, HEALTHCHECK, SHELL,
 * MAINTAINER), applied to an image config's "config" object as docker's dispatchers do. Used by
 * `build` for each such step and by `commit`/`import --change`. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "build/dockerfile.h"

struct df_config_ctx {
    char escape;
    df_lookup_fn lookup; /* variables for ENV, LABEL, EXPOSE, ...: the build's scope */
    void *ud;
    const char *name; /* "Dockerfile" for messages */
    bool cmd_set;     /* a CMD was given in this stage (ENTRYPOINT then keeps it) */
    char *author;     /* MAINTAINER's value (allocated) */
};

/* Whether cmd (upper case) is one of the config-only instructions. */
bool df_is_config_instr(const char *cmd);

/* Apply in to config (the "config" object). Errors name the line. */
int df_apply_config(const struct df_instr *in, json_t *config, struct df_config_ctx *ctx,
                    struct hk_error *err);

/* Parse and apply a `--change` value ("CMD [\"sh\"]", "ENV A=b"): docker's set of CMD,
 * ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR; variables are
 * expanded from config's Env. */
int df_apply_change(const char *change, json_t *config, struct hk_error *err);

/* The shell-form command: config's Shell (or /bin/sh -c) plus the text (allocated JSON). */
json_t *df_shell_command(const json_t *config, const char *text);
