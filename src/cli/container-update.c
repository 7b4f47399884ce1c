/* container-update.c — `hako update`: docker's update flags onto engine_update. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/container.h"
#include "engine/options.h"
#include "engine/restart.h"
#include "engine/update.h"
#include "util/fs.h"
#include "util/json.h"

enum {
    U_CPUS = 1000, U_CPUSET, U_CPU_PERIOD, U_CPU_QUOTA, U_MEMORY_RES, U_MEMORY_SWAP, U_PIDS,
    U_RESTART,
};

static void usage(void)
{
    printf("Usage: hako update [OPTIONS] CONTAINER [CONTAINER...]\n\n"
           "Update configuration of one or more containers\n\n"
           "Options:\n"
           "  -c, --cpu-shares N            CPU shares (relative weight)\n"
           "      --cpu-period N            Limit CPU CFS period (microseconds)\n"
           "      --cpu-quota N             Limit CPU CFS quota (microseconds)\n"
           "      --cpus N                  Number of CPUs (1.5)\n"
           "      --cpuset-cpus LIST        CPUs in which to allow execution (0-3, 0,1)\n"
           "  -m, --memory BYTES            Memory limit\n"
           "      --memory-reservation BYTES  Memory soft limit\n"
           "      --memory-swap BYTES       Memory plus swap; -1: unlimited swap\n"
           "      --pids-limit N            Tune container pids limit (-1: unlimited)\n"
           "      --restart POLICY          Restart policy (no, on-failure[:N], always, "
           "unless-stopped)\n");
}

static int bad_value(const char *flag, const char *v, const char *why)
{
    return cli_usage_error("update", "invalid argument \"%s\" for \"%s\" flag: %s", v, flag, why);
}

/* One flag into changes (HostConfig keys); 0 or the exit status. */
static int set_flag(json_t *changes, int c, const char *v)
{
    static const struct {
        int c;
        const char *flag, *key;
    } ints[] = {{'c', "-c, --cpu-shares", "CpuShares"}, {U_CPU_PERIOD, "--cpu-period", "CpuPeriod"},
                {U_CPU_QUOTA, "--cpu-quota", "CpuQuota"}, {U_PIDS, "--pids-limit", "PidsLimit"}};
    static const struct {
        int c;
        const char *flag, *key;
    } sizes[] = {{'m', "-m, --memory", "Memory"},
                 {U_MEMORY_RES, "--memory-reservation", "MemoryReservation"},
                 {U_MEMORY_SWAP, "--memory-swap", "MemorySwap"}};
    struct hk_error err = {0};
    int64_t n;
    json_t *j = NULL;
    for (size_t i = 0; i < ELEMENTSOF(ints); i++)
        if (ints[i].c == c) {
            char *end;
            long long x = strtoll(v, &end, 10);
            if (!v[0] || *end) {
                _cleanup_free_ char *why = xasprintf("strconv.ParseInt: parsing \"%s\": invalid "
                                                     "syntax", v);
                return bad_value(ints[i].flag, v, why);
            }
            json_object_set_new(changes, ints[i].key, json_integer(x));
            return 0;
        }
    for (size_t i = 0; i < ELEMENTSOF(sizes); i++)
        if (sizes[i].c == c) {
            if (c == U_MEMORY_SWAP && strcmp(v, "-1") == 0)
                n = -1;
            else if (opt_parse_bytes(v, &n, &err) < 0)
                return bad_value(sizes[i].flag, v, hk_error_msg(&err));
            json_object_set_new(changes, sizes[i].key, json_integer(n));
            return 0;
        }
    switch (c) {
    case U_CPUS:
        if (opt_parse_cpus(v, &n, &err) < 0)
            return bad_value("--cpus", v, hk_error_msg(&err));
        json_object_set_new(changes, "NanoCpus", json_integer(n));
        return 0;
    case U_CPUSET: json_object_set_new(changes, "CpusetCpus", json_string(v)); return 0;
    case U_RESTART:
        if (restart_parse(v, &j, &err) < 0)
            return bad_value("--restart", v, hk_error_msg(&err));
        json_object_set_new(changes, "RestartPolicy", j);
        return 0;
    }
    return 125;
}

int cmd_update(int argc, char **argv)
{
    static const struct option opts[] = {
        {"cpu-shares", required_argument, NULL, 'c'},
        {"cpu-period", required_argument, NULL, U_CPU_PERIOD},
        {"cpu-quota", required_argument, NULL, U_CPU_QUOTA},
        {"cpus", required_argument, NULL, U_CPUS},
        {"cpuset-cpus", required_argument, NULL, U_CPUSET},
        {"memory", required_argument, NULL, 'm'},
        {"memory-reservation", required_argument, NULL, U_MEMORY_RES},
        {"memory-swap", required_argument, NULL, U_MEMORY_SWAP},
        {"pids-limit", required_argument, NULL, U_PIDS},
        {"restart", required_argument, NULL, U_RESTART},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    _cleanup_json_ json_t *changes = json_object();
    int c, rc;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+c:m:", opts)) != -1) {
        if (c == 'h')
            return usage(), 0;
        if (c == '?' || c == ':')
            return cli_unknown_flag("update", argc, argv);
        if ((rc = set_flag(changes, c, optarg)))
            return rc;
    }
    if (optind >= argc)
        return cli_usage_error("update", "\"hako update\" requires at least 1 argument.");
    if (!json_object_size(changes)) {
        cli_error("you must provide one or more flags when using this command");
        return cli_op_error();
    }
    struct engine *e = NULL;
    if ((rc = cli_engine_open(&e)))
        return rc;
    for (int i = optind; i < argc; i++) {
        struct hk_error err = {0};
        if (engine_update(e, argv[i], changes, &err) < 0) {
            cli_error("%s", hk_error_msg(&err));
            rc = cli_op_error();
        } else {
            printf("%s\n", argv[i]);
        }
    }
    engine_free(e);
    return rc;
}
