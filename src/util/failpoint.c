/* failpoint.c — see failpoint.h. */
#include "util/failpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

void failpoint(const char *name)
{
    static const char *want;
    static int looked;
    if (!looked) {
        want = getenv("HAKO_FAILPOINT");
        looked = 1;
    }
    if (!want || !want[0])
        return;
    size_t n = strlen(name);
    if (strncmp(want, name, n) != 0)
        return;
    if (want[n] == '\0')
        raise(SIGKILL);
    else if (strcmp(want + n, ":stop") == 0)
        raise(SIGSTOP);
}
