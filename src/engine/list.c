/* list.c — what `ps` and the API's container list share: docker's status text and filters. */
#include <stdlib.h>
#include <string.h>

#include "engine/list.h"
#include "util/fs.h"
#include "util/human.h"
#include "util/json.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* "Up 5 seconds", "Exited (0) 3 minutes ago", "Created", "Restarting (1) 2 seconds ago". */
char *engine_status_text(const json_t *st, int64_t now)
{
    const char *s = jstr(st, "Status");
    char d[64];
    int code = (int)json_integer_value(json_object_get(st, "ExitCode"));
    if (strcmp(s, "running") == 0 || strcmp(s, "paused") == 0) {
        /* docker's State.String(): "(Paused)", else the health: "(health: starting)" */
        const char *h = jstr(json_object_get(st, "Health"), "Status");
        _cleanup_free_ char *tail = strcmp(s, "paused") == 0 ? xstrdup(" (Paused)")
                                    : !h[0]                  ? xstrdup("")
                                    : strcmp(h, "starting") == 0
                                        ? xstrdup(" (health: starting)")
                                        : xasprintf(" (%s)", h);
        return xasprintf("Up %s%s",
                         human_duration(now - human_parse_time(jstr(st, "StartedAt")), d, sizeof(d)),
                         tail);
    }
    if (strcmp(s, "exited") == 0 || strcmp(s, "restarting") == 0)
        return xasprintf(
            "%s (%d) %s ago", strcmp(s, "exited") == 0 ? "Exited" : "Restarting", code,
            human_duration(now - human_parse_time(jstr(st, "FinishedAt")), d, sizeof(d)));
    return xstrdup(strcmp(s, "created") == 0 ? "Created" : s);
}
