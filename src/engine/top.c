/* top.c — the processes of a running container as `top` shows them (`hako top`,
 * GET /containers/{id}/top). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/top.h"
#include "util/fs.h"

json_t *engine_top_process(int pid, const pid_t *pids, size_t n)
{
    _cleanup_free_ char *spath = xasprintf("/proc/%d/status", pid);
    _cleanup_free_ char *status = NULL, *cmd = NULL, *stat = NULL;
    size_t len = 0;
    if (read_file(spath, 1 << 16, &status, &len, NULL) < 0)
        return NULL;
    long cpid = pid, ppid = 0, uid = 0;
    char *l;
    if ((l = strstr(status, "\nNSpid:")))
        for (char *p = l + 7, *end;; p = end) {
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            cpid = v;
        }
    if ((l = strstr(status, "\nPPid:")))
        ppid = strtol(l + 6, NULL, 10);
    if ((l = strstr(status, "\nUid:")))
        uid = strtol(l + 5, NULL, 10);
    long cppid = 0; /* the parent's pid inside, when the parent is in the container */
    for (size_t i = 0; i < n; i++)
        if (pids[i] == ppid) {
            json_t *pr = engine_top_process((int)ppid, NULL, 0);
            cppid = pr ? (long)json_integer_value(json_object_get(pr, "PID")) : 0;
            json_decref(pr);
        }
    _cleanup_free_ char *cpath = xasprintf("/proc/%d/cmdline", pid);
    if (read_file(cpath, 1 << 16, &cmd, &len, NULL) == 0)
        for (size_t i = 0; i + 1 < len; i++)
            if (cmd[i] == '\0')
                cmd[i] = ' ';
    _cleanup_free_ char *tpath = xasprintf("/proc/%d/stat", pid);
    unsigned long long ticks = 0;
    if (read_file(tpath, 1 << 16, &stat, &len, NULL) == 0 && strrchr(stat, ')')) {
        unsigned long long ut = 0, st = 0;
        sscanf(strrchr(stat, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
               &st);
        ticks = ut + st;
    }
    long hz = sysconf(_SC_CLK_TCK);
    unsigned long long secs = ticks / (unsigned long long)(hz > 0 ? hz : 100);
    char time[32];
    snprintf(time, sizeof(time), "%02llu:%02llu:%02llu", secs / 3600, secs / 60 % 60, secs % 60);
    return json_pack("{s:i,s:i,s:i,s:i,s:i,s:s,s:s}", "HostPID", pid, "HostPPID", (int)ppid, "PID",
                     (int)cpid, "PPID", (int)cppid, "UID", (int)uid, "TIME", time, "CMD",
                     cmd ? cmd : "");
}
