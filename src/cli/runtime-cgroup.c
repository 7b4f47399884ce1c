/* runtime-cgroup.c — runc's commands that act on a live container's cgroup: update, pause,
 * resume, ps and events, with runc's flags and output. */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/runtime-cmds.h"
#include "runtime/cgroup.h"
#include "runtime/control.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/json.h"

/* The update flags: name, JSON section and key, and whether the value is a size. */
static const struct update_flag {
    const char *name, *section, *key;
    bool size, string;
} update_flags[] = {
    {"memory", "memory", "limit", true, false},
    {"memory-swap", "memory", "swap", true, false},
    {"memory-reservation", "memory", "reservation", true, false},
    {"kernel-memory", "memory", "kernel", true, false},
    {"kernel-memory-tcp", "memory", "kernelTCP", true, false},
    {"cpu-share", "cpu", "shares", false, false},
    {"cpu-quota", "cpu", "quota", false, false},
    {"cpu-period", "cpu", "period", false, false},
    {"cpu-rt-period", "cpu", "realtimePeriod", false, false},
    {"cpu-rt-runtime", "cpu", "realtimeRuntime", false, false},
    {"cpuset-cpus", "cpu", "cpus", false, true},
    {"cpuset-mems", "cpu", "mems", false, true},
    {"pids-limit", "pids", "limit", false, false},
    {"blkio-weight", "blockIO", "weight", false, false},
};

static int set_flag(json_t *res, const struct update_flag *f, const char *value)
{
    json_t *section = json_object_get(res, f->section);
    if (!json_is_object(section)) {
        section = json_object();
        json_object_set_new(res, f->section, section);
    }
    if (f->string)
        return json_object_set_new(section, f->key, json_string(value));
    int64_t v;
    if ((f->size ? rt_parse_size(value, &v) : rt_parse_i64(value, &v)) < 0)
        return rt_usage_error("update", "--%s: '%s' is not a %s", f->name, value,
                              f->size ? "size" : "number");
    return json_object_set_new(section, f->key, json_integer(v));
}

/* -r FILE (or "-" for stdin): the runc update document, kept with its text for located errors. */
static int load_resources(const char *path, json_t **ret, char **ret_text, struct hk_error *err)
{
    if (strcmp(path, "-") != 0)
        return json_load_file_text(path, 1 << 20, ret, ret_text, err);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    int r = read_file("/dev/stdin", 1 << 20, &text, &len, err);
    if (r < 0)
        return r;
    json_error_t jerr;
    *ret = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*ret)
        return hk_error_set(err, -EINVAL, "stdin:%d:%d: %s", jerr.line, jerr.column, jerr.text);
    *ret_text = TAKE_PTR(text);
    return 0;
}

static int update_usage(void)
{
    printf("Usage: hako-runtime update [-r FILE|-] [--memory N] [--memory-swap N] "
           "[--memory-reservation N] [--cpu-quota N] [--cpu-period N] [--cpu-share N]\n"
           "       [--cpu-rt-period N] [--cpu-rt-runtime N] [--cpuset-cpus LIST] "
           "[--cpuset-mems LIST] [--pids-limit N] [--blkio-weight N] ID\n");
    return 0;
}

int rt_cmd_update(int argc, char **argv)
{
    struct option opts[ELEMENTSOF(update_flags) + 3];
    for (size_t i = 0; i < ELEMENTSOF(update_flags); i++)
        opts[i] = (struct option){update_flags[i].name, required_argument, NULL, (int)(i + 1)};
    opts[ELEMENTSOF(update_flags)] = (struct option){"resources", required_argument, NULL, 'r'};
    opts[ELEMENTSOF(update_flags) + 1] = (struct option){"help", no_argument, NULL, 'h'};
    opts[ELEMENTSOF(update_flags) + 2] = (struct option){NULL, 0, NULL, 0};
    const char *file = NULL;
    const char *values[ELEMENTSOF(update_flags)] = {NULL};
    int c;
    while ((c = getopt_long_only(argc, argv, "r:", opts, NULL)) != -1) {
        if (c == 'r')
            file = optarg;
        else if (c == 'h')
            return update_usage();
        else if (c >= 1 && c <= (int)ELEMENTSOF(update_flags))
            values[c - 1] = optarg;
        else
            return rt_usage_error("update", "unknown option (see --help)");
    }
    int r = rt_need_id(argc, argv, 0, "update");
    if (r)
        return r;
    struct hk_error err = {0};
    _cleanup_free_ char *text = NULL;
    json_t *res = NULL;
    if (file && load_resources(file, &res, &text, &err) < 0)
        return rt_fail(&err);
    if (!res)
        res = json_object();
    for (size_t i = 0; i < ELEMENTSOF(update_flags) && json_is_object(res); i++)
        if (values[i] && (r = set_flag(res, &update_flags[i], values[i])) > 0) {
            json_decref(res);
            return r;
        }
    struct parse_ctx ctx = {.file = file ? (strcmp(file, "-") ? file : "stdin") : "flags",
                            .text = text};
    r = container_update(&rt_opts, argv[optind], res, &ctx, &err);
    json_decref(res);
    return r < 0 ? rt_fail(&err) : 0;
}

int rt_cmd_pause(int argc, char **argv)
{
    int r = rt_only_id(argc, argv, "pause", "pause ID");
    if (r)
        return r < 0 ? 0 : r;
    struct hk_error err = {0};
    return container_pause(&rt_opts, argv[optind], &err) < 0 ? rt_fail(&err) : 0;
}

int rt_cmd_resume(int argc, char **argv)
{
    int r = rt_only_id(argc, argv, "resume", "resume ID");
    if (r)
        return r < 0 ? 0 : r;
    struct hk_error err = {0};
    return container_resume(&rt_opts, argv[optind], &err) < 0 ? rt_fail(&err) : 0;
}

/* The output of `ps ARGS` (default -ef), run without a shell. */
static int run_ps(char **args, size_t n, char **ret, struct hk_error *err)
{
    char *argv[n + 3];
    argv[0] = "ps";
    if (n == 0)
        argv[1] = "-ef";
    for (size_t i = 0; i < n; i++)
        argv[1 + i] = args[i];
    argv[n ? n + 1 : 2] = NULL;
    return proc_run_capture(argv, 16 << 20, ret, err);
}

/* Print the header and the lines of a ps table whose PID column is one of pids. */
static int filter_ps(char *out, const pid_t *pids, size_t n, struct hk_error *err)
{
    char *save = NULL, *header = strtok_r(out, "\n", &save);
    if (!header)
        return hk_error_set(err, -EIO, "ps printed nothing");
    int col = -1, i = 0;
    _cleanup_free_ char *h = xstrdup(header);
    char *hs = NULL;
    for (char *f = strtok_r(h, " \t", &hs); f; f = strtok_r(NULL, " \t", &hs), i++)
        if (strcmp(f, "PID") == 0)
            col = i;
    if (col < 0)
        return hk_error_set(err, -EINVAL, "couldn't find PID field in ps output");
    puts(header);
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        _cleanup_free_ char *copy = xstrdup(line);
        char *fs = NULL, *f = strtok_r(copy, " \t", &fs);
        for (int k = 0; f && k < col; k++)
            f = strtok_r(NULL, " \t", &fs);
        long pid = f ? strtol(f, NULL, 10) : 0;
        for (size_t k = 0; k < n; k++)
            if (pids[k] == pid) {
                puts(line);
                break;
            }
    }
    return 0;
}

int rt_cmd_ps(int argc, char **argv)
{
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *format = "table";
    int c;
    /* "+": stop at the id, so ps's own options after it are left for ps. */
    while ((c = getopt_long_only(argc, argv, "+f:", opts, NULL)) != -1) {
        if (c == 'f')
            format = optarg;
        else if (c == 'h') {
            puts("Usage: hako-runtime ps [--format table|json] ID [ps options]");
            return 0;
        } else
            return rt_usage_error("ps", "unknown option (see --help)");
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return rt_usage_error("ps", "--format: '%s' is not table or json", format);
    int r = rt_need_id(argc, argv, strcmp(format, "table") == 0 ? argc : 0, "ps");
    if (r)
        return r;
    struct hk_error err = {0};
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (container_pids(&rt_opts, argv[optind], &pids, &n, &err) < 0)
        return rt_fail(&err);
    if (strcmp(format, "json") == 0) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_integer(pids[i]));
        _cleanup_free_ char *text = json_dump_compact(a);
        json_decref(a);
        puts(text);
        return 0;
    }
    _cleanup_free_ char *out = NULL;
    r = run_ps(argv + optind + 1, (size_t)(argc - optind - 1), &out, &err);
    if (r == 0)
        r = filter_ps(out, pids, n, &err);
    return r < 0 ? rt_fail(&err) : 0;
}
