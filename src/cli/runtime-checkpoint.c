/* runtime-checkpoint.c — `hako-runtime checkpoint` and `restore`, runc's flags. */
#include <getopt.h>
#include <stdio.h>

#include "cli/runtime-cmds.h"
#include "runtime/checkpoint.h"

#define COMMON_OPTIONS                                                                             \
    {"image-path", required_argument, NULL, 'i'}, {"work-path", required_argument, NULL, 'w'},     \
        {"tcp-established", no_argument, NULL, 't'}, {"ext-unix-sk", no_argument, NULL, 'x'},      \
        {"file-locks", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}
#define COMMON_USAGE                                                                               \
    "[--image-path DIR] [--work-path DIR] [--tcp-established] [--ext-unix-sk] [--file-locks]"

/* The options both commands take; false for any other. */
static bool common_option(int c, struct criu_common_opts *o)
{
    switch (c) {
    case 'i':
        o->image_path = optarg;
        return true;
    case 'w':
        o->work_path = optarg;
        return true;
    case 't':
        o->tcp_established = true;
        return true;
    case 'x':
        o->ext_unix_sk = true;
        return true;
    case 'f':
        o->file_locks = true;
        return true;
    }
    return false;
}

int rt_cmd_checkpoint(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_OPTIONS,
        {"parent-path", required_argument, NULL, 'P'},
        {"leave-running", no_argument, NULL, 'l'},
        {"pre-dump", no_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    struct checkpoint_opts o = {0};
    int c;
    while ((c = getopt_long_only(argc, argv, "", opts, NULL)) != -1) {
        if (common_option(c, &o.c))
            continue;
        if (c == 'P')
            o.parent_path = optarg;
        else if (c == 'l')
            o.leave_running = true;
        else if (c == 'p')
            o.pre_dump = true;
        else if (c == 'h') {
            puts("Usage: hako-runtime checkpoint " COMMON_USAGE
                 " [--parent-path DIR] [--leave-running] [--pre-dump] ID");
            return 0;
        } else
            return rt_usage_error("checkpoint", "unknown option");
    }
    int r = rt_need_id(argc, argv, 0, "checkpoint");
    if (r)
        return r;
    struct hk_error err = {0};
    if (container_checkpoint(&rt_opts, argv[optind], &o, &err) < 0)
        return rt_fail(&err);
    return 0;
}

int rt_cmd_restore(int argc, char **argv)
{
    static const struct option opts[] = {
        COMMON_OPTIONS,
        {"bundle", required_argument, NULL, 'b'},
        {"pid-file", required_argument, NULL, 'p'},
        {"detach", no_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    struct restore_opts o = {0};
    int c;
    while ((c = getopt_long_only(argc, argv, "b:d", opts, NULL)) != -1) {
        if (common_option(c, &o.c))
            continue;
        if (c == 'b')
            o.bundle = optarg;
        else if (c == 'p')
            o.pid_file = optarg;
        else if (c == 'd')
            o.detach = true;
        else if (c == 'h') {
            puts("Usage: hako-runtime restore " COMMON_USAGE
                 " [-b|--bundle DIR] [--pid-file FILE] [-d|--detach] ID");
            return 0;
        } else
            return rt_usage_error("restore", "unknown option");
    }
    int r = rt_need_id(argc, argv, 0, "restore");
    if (r)
        return r;
    struct hk_error err = {0};
    int code = 0;
    if (container_restore(&rt_opts, argv[optind], &o, &code, &err) < 0)
        return rt_fail(&err);
    return code;
}
