/* service.c — `hako system service [--time S] [-H URL]... [--insecure-tcp]`, the Docker
 * Engine API (src/api), and the hidden `hako service-helper` it spawns. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/container.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: hako system service [OPTIONS]\n\n"
               "Serve the Docker Engine API (docker, docker-py, ... with DOCKER_HOST)\n\n"
               "Options:\n"
               "  -H, --host URL      unix:///PATH or tcp://HOST:PORT (repeatable; default\n"
               "                      unix://<runroot>/hako.sock, or the LISTEN_FDS sockets)\n"
               "  -t, --time SECONDS  exit after SECONDS without a client (0: never; default 5)\n"
               "      --tlsverify --tlscacert CA --tlscert CERT --tlskey KEY\n"
               "                      serve tcp:// with TLS, only to clients whose certificate\n"
               "                      CA signed (docker --tlsverify)\n"
               "      --insecure-tcp  serve tcp:// without TLS (loopback addresses only)\n");
}

static int service(int argc, char **argv)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'H'},    {"time", required_argument, NULL, 't'},
        {"timeout", required_argument, NULL, 't'}, {"insecure-tcp", no_argument, NULL, 'I'},
        {"tlsverify", no_argument, NULL, 'V'},     {"tlscacert", required_argument, NULL, 'A'},
        {"tlscert", required_argument, NULL, 'C'}, {"tlskey", required_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *hosts[16];
    struct api_opts o = {.root = engine_opts.root,
                         .runroot = engine_opts.runroot,
                         .hosts = hosts,
                         .idle_seconds = 5};
    int c;
    while ((c = cli_getopt(argc, argv, "H:t:h", opts)) != -1) {
        char *end;
        switch (c) {
        case 'H':
            if (o.n_hosts == ELEMENTSOF(hosts)) {
                cli_error("system service: at most %zu -H", ELEMENTSOF(hosts));
                return 125;
            }
            hosts[o.n_hosts++] = optarg;
            break;
        case 't':
            o.idle_seconds = strtol(optarg, &end, 10);
            if (*end || o.idle_seconds < 0) {
                cli_error("system service: --time: '%s' is not a number of seconds", optarg);
                return 125;
            }
            break;
        case 'I':
            o.insecure_tcp = true;
            break;
        case 'V':
            o.tlsverify = true;
            break;
        case 'A':
            o.tls_ca = optarg;
            break;
        case 'C':
            o.tls_cert = optarg;
            break;
        case 'K':
            o.tls_key = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 125;
        }
    }
    if (optind != argc) {
        cli_error("system service: unexpected argument '%s' (use -H unix:///PATH)", argv[optind]);
        return 125;
    }
    struct hk_error err = {0};
    if (api_serve(&o, &err) < 0)
        return cli_fail(&err, 125);
    return 0;
}

static int service_cmd(int argc, char **argv)
{
    optind = 1;
    return service(argc, argv);
}

int cmd_system(int argc, char **argv)
{
    static const struct cli_command subs[] = {
        {"df", cmd_system_disk, "Show disk usage"},
        {"events", cmd_events, "Get real time events from the engine"},
        {"info", cmd_info, "Display system-wide information"},
        {"prune", cmd_system_disk, "Remove unused data"},
        {"service", service_cmd, "Serve the Docker Engine API"},
    };
    return cli_subcommand("system", subs, ELEMENTSOF(subs), argc, argv, "Manage hako");
}

/* Hidden: `hako service-helper start ID [WANT]` (api/helper.c). */
int cmd_service_helper(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "start") != 0)
        return 125;
    return api_helper_start(engine_opts.root, engine_opts.runroot, argv[2],
                            argc > 3 ? atoi(argv[3]) & 7 : -1);
}
