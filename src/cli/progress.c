/* progress.c — see progress.h. */
#include "cli/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/human.h"

static const char *state_text(const struct progress_view *v, const struct progress_line *l,
                              char *buf, size_t size)
{
    static const char *const t[] = {
        [PROGRESS_WAITING] = "Pulling fs layer",     [PROGRESS_EXISTS] = "Already exists",
        [PROGRESS_DOWNLOADING] = "Downloading",      [PROGRESS_VERIFYING] = "Verifying Checksum",
        [PROGRESS_DOWNLOADED] = "Download complete", [PROGRESS_EXTRACTING] = "Extracting",
        [PROGRESS_COMPLETE] = "Pull complete",       [PROGRESS_PREPARING] = "Preparing",
        [PROGRESS_PUSHING] = "Pushing",              [PROGRESS_PUSHED] = "Pushed",
    };
    if (l->state == PROGRESS_MOUNTED) {
        snprintf(buf, size, "Mounted from %s", l->from ? l->from : "another repository");
        return buf;
    }
    /* a push says "Layer already exists" where a pull says "Already exists" */
    if (l->state == PROGRESS_EXISTS && v->push)
        return "Layer already exists";
    return (unsigned)l->state < ELEMENTSOF(t) && t[l->state] ? t[l->state] : "Waiting";
}

/* "id: state", or for a transfer "id: Downloading [====>   ]  1.2MB/3.4MB" with a bar that
 * leaves room for the rest in width columns. */
static void format_line(const struct progress_view *v, const struct progress_line *l, char *buf,
                        size_t size)
{
    int width = v->width;
    char text[300];
    const char *what = state_text(v, l, text, sizeof(text));
    bool moving = l->state == PROGRESS_DOWNLOADING || l->state == PROGRESS_PUSHING;
    if (!moving || l->total == 0) {
        snprintf(buf, size, "%s: %s", l->id, what);
        return;
    }
    char bar[51], a[16], b[16];
    size_t w = width - 52 > 50 ? 50 : width - 52 < 10 ? 10 : (size_t)(width - 52);
    size_t fill = (size_t)(l->done * w / l->total);
    for (size_t i = 0; i < w; i++)
        bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    bar[w] = '\0';
    snprintf(buf, size, "%s: %s [%s]  %s/%s", l->id, what, bar, human_size(l->done, a, 16),
             human_size(l->total, b, 16));
}

/* Redraw every layer line in place (at most every 100 ms unless forced). */
static void redraw(struct progress_view *v, bool force)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - v->last.tv_sec) * 1000 + (now.tv_nsec - v->last.tv_nsec) / 1000000;
    if (!force && ms < 100)
        return;
    v->last = now;
    if (v->drawn)
        printf("\033[%zuA", v->drawn);
    v->drawn = 0;
    for (size_t i = 0; i < v->n; i++) {
        char buf[400];
        if (!v->lines[i].id[0])
            continue; /* not reported yet */
        format_line(v, &v->lines[i], buf, sizeof(buf));
        printf("\033[2K%.*s\n", v->width - 1, buf);
        v->drawn++;
    }
    fflush(stdout);
}

void progress_view_init(struct progress_view *v, bool quiet, bool push)
{
    *v = (struct progress_view){.quiet = quiet, .push = push, .tty = isatty(STDOUT_FILENO)};
    struct winsize ws;
    v->width =
        v->tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
}

void progress_view_start(struct progress_view *v, size_t n)
{
    v->lines = xcalloc(n ? n : 1, sizeof(*v->lines));
    v->n = n;
    for (size_t i = 0; i < n; i++)
        v->lines[i].state = (enum progress_state) - 1; /* nothing shown yet */
}

void progress_view_layer(void *ud, size_t index, const char *digest, enum progress_state st,
                         uint64_t done, uint64_t total)
{
    struct progress_view *v = ud;
    if (v->quiet || index >= v->n)
        return;
    struct progress_line *l = &v->lines[index];
    snprintf(l->id, sizeof(l->id), "%.12s", digest_hex(digest));
    bool changed = l->state != st;
    l->state = st;
    l->done = done;
    l->total = total;
    if (v->tty) {
        redraw(v, changed);
    } else if (changed && st != PROGRESS_DOWNLOADING && st != PROGRESS_PUSHING) {
        char text[300];
        printf("%s: %s\n", l->id, state_text(v, l, text, sizeof(text)));
        fflush(stdout);
    }
}

void progress_view_flush(struct progress_view *v)
{
    if (v->tty && !v->quiet)
        redraw(v, true);
}

void progress_view_clear(struct progress_view *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->lines[i].from);
    free(v->lines);
    v->lines = NULL;
    v->n = 0;
}
