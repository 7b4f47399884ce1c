/* container-stats.c — `hako stats [--no-stream] [--format F] [-a] [CONTAINER...]` and
 * `hako top CONTAINER` (host PID beside container PID for every process). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/container-table.h"
#include "cli/container.h"
#include "engine/lifecycle.h"
#include "engine/stats.h"
#include "engine/top.h"
#include "runtime/control.h"
#include "util/fs.h"
#include "util/json.h"

struct target {
    char *id, *name;
    int pid;
    struct stats_sample prev, cur;
    bool ok;
};

static int collect_targets(const struct engine *e, char **refs, int n, bool all,
                           struct target **ret, size_t *ret_n)
{
    _cleanup_json_ json_t *recs = NULL;
    struct hk_error err = {0};
    if (record_list(e, &recs, &err) < 0)
        return cli_fail(&err, 125);
    struct target *t = xcalloc(json_array_size(recs) + 1, sizeof(*t));
    size_t k = 0;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char *id = NULL;
        if (cli_resolve(e, refs[i], &id)) {
            rc = 125;
            continue;
        }
        t[k++].id = id;
    }
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "Id"));
        const char *st = json_string_value(json_object_get(json_object_get(rec, "State"),
                                                           "Status"));
        bool listed = false;
        for (size_t j = 0; j < k; j++)
            listed |= t[j].id && strcmp(t[j].id, id) == 0;
        if (n == 0 && (all || engine_status_live(st)))
            t[k++].id = xstrdup(id);
        for (size_t j = 0; j < k; j++)
            if (strcmp(t[j].id, id) == 0 && !t[j].name) {
                const char *nm = json_string_value(json_object_get(rec, "Name"));
                t[j].name = xstrdup(nm && nm[0] == '/' ? nm + 1 : nm ? nm : "");
                t[j].pid = (int)json_integer_value(json_object_get(json_object_get(rec, "State"),
                                                                   "Pid"));
            }
        (void)listed;
    }
    *ret = t;
    *ret_n = k;
    return rc;
}

static void sample_all(const struct engine *e, struct target *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        t[i].prev = t[i].cur;
        t[i].ok = t[i].pid > 0 && stats_sample(e, t[i].id, t[i].pid, &t[i].cur, NULL) == 0;
    }
}

static bool stats_no_trunc; /* --no-trunc: full container IDs */

static json_t *stats_row(const struct target *t)
{
    char cpu[32] = "--", memp[32] = "--", mem[64] = "-- / --", net[64] = "--", blk[64] = "--";
    char a[32], b[32], pids[32] = "--";
    if (t->ok) {
        const struct stats_sample *s = &t->cur;
        snprintf(cpu, sizeof(cpu), "%.2f%%", stats_cpu_percent(&t->prev, s));
        snprintf(memp, sizeof(memp), "%.2f%%", stats_mem_percent(s));
        snprintf(mem, sizeof(mem), "%s / %s", stats_binary_size(s->mem_usage, a, sizeof(a)),
                 stats_binary_size(s->mem_limit, b, sizeof(b)));
        snprintf(net, sizeof(net), "%s / %s", stats_decimal_size(s->net_rx, a, sizeof(a)),
                 stats_decimal_size(s->net_tx, b, sizeof(b)));
        snprintf(blk, sizeof(blk), "%s / %s", stats_decimal_size(s->blk_read, a, sizeof(a)),
                 stats_decimal_size(s->blk_write, b, sizeof(b)));
        snprintf(pids, sizeof(pids), "%llu", (unsigned long long)s->pids);
    }
    char id[65];
    snprintf(id, sizeof(id), "%.*s", stats_no_trunc ? 64 : 12, t->id);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", id, "Container", id, "Name",
                     t->name ? t->name : "", "CPUPerc", cpu, "MemUsage", mem, "MemPerc", memp,
                     "NetIO", net, "BlockIO", blk, "PIDs", pids);
}

static int print_stats(const char *format, const struct target *t, size_t n)
{
    _cleanup_json_ json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(rows, stats_row(&t[i]));
    if (format && strcmp(format, "json") == 0) {
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r)
        {
            _cleanup_free_ char *s = json_dumps(r, JSON_COMPACT);
            printf("%s\n", s);
        }
        return 0;
    }
    _cleanup_json_ json_t *header = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", "CONTAINER ID", "Container", "CONTAINER",
        "Name", "NAME", "CPUPerc", "CPU %", "MemUsage", "MEM USAGE / LIMIT", "MemPerc", "MEM %",
        "NetIO", "NET I/O", "BlockIO", "BLOCK I/O", "PIDs", "PIDS");
    const char *fmt = format && strcmp(format, "table") != 0
                          ? format
                          : "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t"
                            "{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
    return format_print(fmt, rows, header);
}

int cmd_stats(int argc, char **argv)
{
    static const struct option opts[] = {
        {"no-stream", no_argument, NULL, 'n'}, {"format", required_argument, NULL, 'f'},
        {"all", no_argument, NULL, 'a'},       {"no-trunc", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    bool no_stream = false, all = false;
    const char *format = NULL;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+a", opts)) != -1) {
        if (c == 'n')
            no_stream = true;
        else if (c == 'f')
            format = optarg;
        else if (c == 'a')
            all = true;
        else if (c == 'N')
            stats_no_trunc = true;
        else if (c == 'h') {
            printf("Usage: hako stats [OPTIONS] [CONTAINER...]\n\n"
                   "Display a live stream of container(s) resource usage statistics\n\n"
                   "Options:\n"
                   "  -a, --all             Show all containers (default shows just running)\n"
                   "      --format FMT      table, json or a Go template\n"
                   "      --no-stream       Disable streaming stats and only pull the first "
                   "result\n"
                   "      --no-trunc        Do not truncate output\n");
            return 0;
        } else
            return cli_unknown_flag("stats", argc, argv);
    }
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    struct target *t = NULL;
    size_t n = 0;
    if (rc == 0)
        rc = collect_targets(e, argv + optind, argc - optind, all, &t, &n);
    bool tty = isatty(STDOUT_FILENO);
    sample_all(e, t, n);
    for (int round = 0; rc == 0; round++) {
        usleep(no_stream ? 200 * 1000 : 1000 * 1000);
        sample_all(e, t, n);
        if (tty && !no_stream)
            printf("\033[2J\033[H");
        rc = print_stats(format, t, n);
        fflush(stdout);
        if (no_stream)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        free(t[i].id);
        free(t[i].name);
    }
    free(t);
    engine_free(e);
    return rc;
}


/* top CONTAINER PS_OPTIONS: the host's ps(1) with those options, its header and the lines
 * whose PID column is one of the container's processes, as docker's top does. */
static int top_ps(const pid_t *pids, size_t n, char **ps_args, int n_args)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return cli_error("top: pipe: %s", strerror(errno)), cli_op_error();
    char **argv = xcalloc((size_t)n_args + 2, sizeof(char *));
    argv[0] = (char *)"ps";
    for (int i = 0; i < n_args; i++)
        argv[i + 1] = ps_args[i];
    pid_t child = fork();
    if (child == 0) {
        dup2(fds[1], STDOUT_FILENO);
        execvp("ps", argv);
        _exit(127);
    }
    free(argv);
    close(fds[1]);
    FILE *f = child > 0 ? fdopen(fds[0], "re") : NULL;
    if (!f) {
        close(fds[0]);
        return cli_error("top: ps: %s", strerror(errno)), cli_op_error();
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long pid_col = -1;
    int rc = 0;
    _cleanup_free_ char *out = xstrdup("");
    for (bool header = true; (len = getline(&line, &cap, f)) > 0; header = false) {
        _cleanup_free_ char *copy = xstrdup(line);
        char *save = NULL, *w = strtok_r(copy, " \t\n", &save);
        bool keep = header;
        for (long col = 0; w; col++, w = strtok_r(NULL, " \t\n", &save)) {
            if (header && strcmp(w, "PID") == 0)
                pid_col = col;
            if (!header && col == pid_col)
                for (size_t i = 0; i < n; i++)
                    keep |= atol(w) == (long)pids[i];
        }
        if (header && pid_col < 0)
            break;
        if (keep) {
            char *next = xasprintf("%s%s", out, line);
            free(out);
            out = next;
        }
    }
    free(line);
    fclose(f);
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        cli_error("Error response from daemon: ps: exit status %d",
                  WIFEXITED(status) ? WEXITSTATUS(status) : 1);
        rc = cli_op_error();
    } else if (pid_col < 0) {
        cli_error("Error response from daemon: Couldn't find PID field in ps output");
        rc = cli_op_error();
    } else {
        fputs(out, stdout);
    }
    return rc;
}

int cmd_top(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+", opts)) != -1) {
        if (c != 'h')
            return cli_unknown_flag("top", argc, argv);
        printf("Usage: hako top CONTAINER [ps OPTIONS]\n\n"
               "Display the running processes of a container: its host and container pids, or\n"
               "with ps OPTIONS (-ef, aux, -o pid,comm, ...) what the host's ps prints for\n"
               "them\n");
        return 0;
    }
    if (argc - optind < 1)
        return cli_usage_error("top", "\"hako top\" requires at least 1 argument.");
    struct engine *e = NULL;
    _cleanup_free_ char *id = NULL;
    int rc = cli_engine_open(&e);
    if (rc == 0)
        rc = cli_resolve(e, argv[optind], &id);
    pid_t *pids = NULL;
    size_t n = 0;
    struct hk_error err = {0};
    if (rc == 0 && container_pids(&e->rt, id, &pids, &n, &err) < 0) {
        fprintf(stderr, "Error response from daemon: container %s is not running\n", id);
        rc = cli_op_error();
    }
    if (rc == 0 && argc - optind > 1) {
        rc = top_ps(pids, n, argv + optind + 1, argc - optind - 1);
        free(pids);
        engine_free(e);
        return rc;
    }
    struct table *t = table_new(6);
    static const char *const head[] = {"HOST PID", "PID", "PPID", "UID", "TIME", "CMD"};
    table_add(t, head);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *r = engine_top_process(pids[i], pids, n);
        if (!r)
            continue;
        char cells[4][16];
        const char *keys[] = {"HostPID", "PID", "PPID", "UID"};
        for (int k = 0; k < 4; k++)
            snprintf(cells[k], sizeof(cells[k]), "%lld",
                     (long long)json_integer_value(json_object_get(r, keys[k])));
        const char *row[] = {cells[0], cells[1], cells[2], cells[3],
                             json_string_value(json_object_get(r, "TIME")),
                             json_string_value(json_object_get(r, "CMD"))};
        table_add(t, row);
        json_decref(r);
    }
    if (rc == 0)
        table_print(stdout, t);
    table_free(t);
    free(pids);
    engine_free(e);
    return rc;
}
