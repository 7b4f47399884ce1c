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

/* --filter status=|name=|label=|id=: same keys OR, different keys AND. */
bool engine_list_matches(const json_t *rec, const char *const *filters)
{
    static const char *const keys[] = {"status", "name", "label", "id"};
    for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
        bool seen = false, ok = false;
        size_t kl = strlen(keys[k]);
        for (size_t i = 0; filters && filters[i]; i++) {
            if (strncmp(filters[i], keys[k], kl) != 0 || filters[i][kl] != '=')
                continue;
            seen = true;
            const char *v = filters[i] + kl + 1;
            if (k == 0)
                ok |= strcmp(jstr(json_object_get(rec, "State"), "Status"), v) == 0;
            else if (k == 1)
                ok |= strstr(jstr(rec, "Name"), v) != NULL;
            else if (k == 3)
                ok |= strncmp(jstr(rec, "Id"), v, strlen(v)) == 0;
            else {
                const json_t *labels = json_object_get(json_object_get(rec, "Config"), "Labels");
                const char *eq = strchr(v, '=');
                _cleanup_free_ char *key = eq ? strndup(v, (size_t)(eq - v)) : xstrdup(v);
                const char *have = json_string_value(json_object_get(labels, key));
                ok |= have && (!eq || strcmp(have, eq + 1) == 0);
            }
        }
        if (seen && !ok)
            return false;
    }
    return true;
}
