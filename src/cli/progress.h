/* progress.h — docker's per-layer progress for pull and push: a live line per layer on a
 * terminal ("a1b2c3d4e5f6: Downloading [==>   ]  1.2MB/3.4MB"), plain lines otherwise. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "image/image.h"

struct progress_line {
    char id[13];
    enum progress_state state;
    uint64_t done, total;
    char *from; /* PROGRESS_MOUNTED: the repository it came from */
};

struct progress_view {
    bool quiet, tty;
    bool push; /* a push's words ("Layer already exists") */
    struct progress_line *lines;
    size_t n;
    size_t drawn; /* lines on screen (tty) */
    int width;    /* terminal columns: longer lines would wrap and break the redraw */
    struct timespec last;
};

/* quiet: draw nothing; push: a push's words. Looks at stdout for a terminal and its width. */
void progress_view_init(struct progress_view *v, bool quiet, bool push);
/* n layers are coming (lines appear as each is first reported). */
void progress_view_start(struct progress_view *v, size_t n);
/* A struct progress callback (ud: the view). */
void progress_view_layer(void *ud, size_t index, const char *digest, enum progress_state st,
                         uint64_t done, uint64_t total);
/* Redraw every line now (tty), e.g. before the summary. */
void progress_view_flush(struct progress_view *v);
void progress_view_clear(struct progress_view *v);
