/* network.c — `hako network create|ls|inspect|rm|prune` and `hako port`. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/container-table.h"
#include "cli/container.h"
#include "engine/net/attach.h"
#include "engine/net/dns.h"
#include "engine/net/later.h"
#include "engine/net/network.h"
#include "util/fs.h"
#include "util/json.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The flags of a command that takes only --help (and, for prune, docker's -f): 0 to go on
 * with argv[optind...], else the exit status. */
static int help_only(int argc, char **argv, const char *cmd, const char *help, bool force)
{
    static const struct option with_force[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, force ? "+f" : "+", with_force + (force ? 0 : 1))) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return -1;
        }
        if (c != 'f' || !force)
            return cli_unknown_flag(cmd, argc, argv);
    }
    return 0;
}

static int net_create(int argc, char **argv)
{
    static const struct option opts[] = {
        {"subnet", required_argument, NULL, 's'}, {"gateway", required_argument, NULL, 'g'},
        {"internal", no_argument, NULL, 'i'},     {"driver", required_argument, NULL, 'd'},
        {"label", required_argument, NULL, 'l'},  {"help", no_argument, NULL, 'h'},
        {"ipv6", no_argument, NULL, '6'},         {NULL, 0, NULL, 0},
    };
    struct network_req req = {0};
    _cleanup_json_ json_t *labels = json_object();
    req.labels = labels;
    int c;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+d:", opts)) != -1) {
        switch (c) {
        case 's': /* once for IPv4, once for IPv6, as docker */
            if (strchr(optarg, ':') ? req.subnet6 : req.subnet)
                return cli_usage_error("network create", "--subnet %s: one IPv4 and one IPv6 "
                                                         "subnet at most", optarg);
            *(strchr(optarg, ':') ? &req.subnet6 : &req.subnet) = optarg;
            break;
        case '6': req.ipv6 = true; break;
        case 'g': req.gateway = optarg; break;
        case 'i': req.internal = true; break;
        case 'd':
            if (strcmp(optarg, "bridge") != 0)
                return cli_usage_error("network create", "driver %s: only \"bridge\" is "
                                                         "supported", optarg);
            break;
        case 'l': {
            const char *eq = strchr(optarg, '=');
            _cleanup_free_ char *k = eq ? strndup(optarg, (size_t)(eq - optarg))
                                        : xstrdup(optarg);
            json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
            break;
        }
        case 'h':
            printf("Usage: hako network create [OPTIONS] NAME\n\n"
                   "Create a network\n\n"
                   "Options:\n"
                   "  -d, --driver bridge   Network driver (only bridge)\n"
                   "      --gateway IP      The bridge's address (needs --subnet)\n"
                   "      --internal        No route out of the network\n"
                   "      --ipv6            Also an IPv6 subnet (default: a free fdXX::/64)\n"
                   "      --label K=V       Set metadata\n"
                   "      --subnet CIDR     The network's subnet (default: a free /24); "
                   "once more for IPv6\n");
            return 0;
        default: return cli_unknown_flag("network create", argc, argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("network create", "\"hako network create\" requires exactly 1 "
                                                 "argument.");
    if (req.gateway && !req.subnet)
        return cli_usage_error("network create", "--gateway needs --subnet");
    req.name = argv[optind];
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    if (rc)
        return rc;
    struct network n;
    struct hk_error err = {0};
    int r = network_create(e, &req, &n, &err);
    engine_free(e);
    if (r < 0) {
        fprintf(stderr, "Error response from daemon: %s\n", hk_error_msg(&err));
        return 1;
    }
    printf("%s\n", n.id);
    return 0;
}

static int net_ls(int argc, char **argv)
{
    const char *format = NULL;
    bool quiet = false;
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"no-trunc", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    bool no_trunc = false;
    opterr = 0;
    while ((c = cli_getopt(argc, argv, "+qf:", opts)) != -1) {
        if (c == 'h') {
            printf("Usage: hako network ls [OPTIONS]\n\n"
                   "List networks\n\n"
                   "Options:\n"
                   "  -f, --format FMT   table (default), json or a Go template\n"
                   "      --no-trunc     Do not truncate network IDs\n"
                   "  -q, --quiet        Only show network IDs\n");
            return 0;
        } else if (c == 'f')
            format = optarg;
        else if (c == 'q')
            quiet = true;
        else if (c == 'n')
            no_trunc = true;
        else
            return cli_unknown_flag("network ls", argc, argv);
    }
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    if (rc)
        return rc;
    struct network def;
    struct hk_error err = {0};
    _cleanup_json_ json_t *all = NULL;
    if (network_get(e, "bridge", &def, &err) < 0 || network_list(e, &all, &err) < 0) {
        engine_free(e);
        return cli_fail(&err, 1);
    }
    engine_free(e);
    _cleanup_json_ json_t *rows = json_array();
    size_t i;
    json_t *j;
    json_array_foreach(all, i, j)
    {
        _cleanup_free_ char *id = xasprintf("%.*s", no_trunc ? 64 : 12, jstr(j, "Id"));
        json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:b}", "ID", id, "Name",
                                              jstr(j, "Name"), "Driver", "bridge", "Scope",
                                              "local", "Internal",
                                              json_is_true(json_object_get(j, "Internal"))));
    }
    if (quiet)
        format = "{{.ID}}";
    _cleanup_json_ json_t *header = json_pack("{s:s,s:s,s:s,s:s,s:s}", "ID", "NETWORK ID",
                                              "Name", "NAME", "Driver", "DRIVER", "Scope",
                                              "SCOPE", "Internal", "INTERNAL");
    return format_print(format ? format : "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
                        rows, header);
}

static int net_inspect(int argc, char **argv)
{
    const char *format = NULL;
    int c;
    opterr = 0;
    static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    while ((c = cli_getopt(argc, argv, "+f:", opts)) != -1) {
        if (c == 'h') {
            printf("Usage: hako network inspect [OPTIONS] NETWORK [NETWORK...]\n\n"
                   "Display detailed information on one or more networks\n\n"
                   "Options:\n"
                   "  -f, --format TEMPLATE   Format the output with a Go template\n");
            return 0;
        }
        if (c != 'f')
            return cli_unknown_flag("network inspect", argc, argv);
        format = optarg;
    }
    if (optind >= argc)
        return cli_usage_error("network inspect", "\"hako network inspect\" requires at least "
                                                  "1 argument.");
    struct engine *e = NULL;
    int rc = cli_engine_open(&e);
    if (rc)
        return rc;
    _cleanup_json_ json_t *all = json_array();
    for (int i = optind; i < argc; i++) {
        struct network n;
        struct hk_error err = {0};
        if (network_get(e, argv[i], &n, &err) < 0) {
            fprintf(stderr, "Error: %s\n", hk_error_msg(&err));
            rc = 1;
            continue;
        }
        json_array_append_new(all, network_inspect(e, &n));
    }
    engine_free(e);
    return format_inspect(format, all, rc, 1);
}

static int net_rm(int argc, char **argv)
{
    int rc = help_only(argc, argv, "network rm",
                       "Usage: hako network rm NETWORK [NETWORK...]\n\n"
                       "Remove one or more networks\n",
                       false);
    if (rc)
        return rc < 0 ? 0 : rc;
    argc -= optind - 1;
    argv += optind - 1;
    if (argc < 2)
        return cli_usage_error("network rm", "\"hako network rm\" requires at least 1 "
                                             "argument.");
    struct engine *e = NULL;
    rc = cli_engine_open(&e);
    if (rc)
        return rc;
    for (int i = 1; i < argc; i++) {
        struct hk_error err = {0};
        if (network_remove(e, argv[i], &err) < 0) {
            fprintf(stderr, "Error response from daemon: %s\n", hk_error_msg(&err));
            rc = 1;
        } else {
            printf("%s\n", argv[i]);
        }
    }
    engine_free(e);
    return rc;
}

static int net_prune(int argc, char **argv)
{
    int rc = help_only(argc, argv, "network prune",
                       "Usage: hako network prune [OPTIONS]\n\n"
                       "Remove all unused networks\n\n"
                       "Options:\n"
                       "  -f, --force   Do not prompt (hako network prune never prompts)\n",
                       true);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind < argc)
        return cli_usage_error("network prune", "\"hako network prune\" accepts no arguments.");
    struct engine *e = NULL;
    rc = cli_engine_open(&e);
    if (rc)
        return rc;
    _cleanup_json_ json_t *all = NULL;
    struct hk_error err = {0};
    if (network_list(e, &all, &err) < 0) {
        engine_free(e);
        return cli_fail(&err, 1);
    }
    bool any = false;
    size_t i;
    json_t *j;
    json_array_foreach(all, i, j)
    {
        const char *name = jstr(j, "Name");
        hk_error_clear(&err);
        if (strcmp(name, "bridge") == 0 || network_remove(e, name, &err) < 0)
            continue;
        if (!any)
            printf("Deleted Networks:\n");
        any = true;
        printf("%s\n", name);
    }
    engine_free(e);
    return 0;
}

/* connect [--ip IP] [--alias NAME]... NETWORK CONTAINER, disconnect [-f] NETWORK CONTAINER */
static int net_connect_cmd(int argc, char **argv, bool connect)
{
    static const struct option opts[] = {
        {"ip", required_argument, NULL, 'i'},
        {"force", no_argument, NULL, 'f'},
        {"alias", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* disconnect takes -f only: --ip VALUE is an unknown flag, not one that eats VALUE */
    static const struct option disconnect_opts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *ip = NULL, *cmd = connect ? "network connect" : "network disconnect";
    int c;
    opterr = 0;
    json_t *aliases = json_array();
    while ((c = cli_getopt(argc, argv, "+f", connect ? opts : disconnect_opts)) != -1) {
        if (c == 'h') {
            if (connect)
                printf("Usage: hako network connect [OPTIONS] NETWORK CONTAINER\n\n"
                       "Connect a running container to a network\n\n"
                       "Options:\n"
                       "      --alias NAME   A name of the container on the network\n"
                       "  -f, --force        Refused (only disconnect takes it)\n"
                       "      --ip ADDR      The container's address on the network\n");
            else
                printf("Usage: hako network disconnect [OPTIONS] NETWORK CONTAINER\n\n"
                       "Disconnect a container from a network\n\n"
                       "Options:\n"
                       "  -f, --force        Accepted as docker's\n");
            json_decref(aliases);
            return 0;
        }
        if (c == 'i' && connect) {
            ip = optarg;
        } else if (c == 'a' && connect) {
            json_array_append_new(aliases, json_string(optarg));
        } else if (c != 'f' || connect) {
            json_decref(aliases);
            return cli_unknown_flag(cmd, argc, argv);
        }
    }
    struct engine *e = NULL;
    int rc = optind + 2 != argc
                 ? cli_usage_error(cmd, "\"hako %s\" requires exactly 2 arguments.", cmd)
                 : cli_engine_open(&e);
    if (rc) {
        json_decref(aliases);
        return rc;
    }
    _cleanup_free_ char *id = NULL;
    rc = cli_resolve(e, argv[optind + 1], &id);
    struct hk_error err = {0};
    if (rc == 0 && (connect ? net_connect_any(e, id, argv[optind], ip, aliases, &err)
                            : net_disconnect_any(e, id, argv[optind], &err)) < 0) {
        fprintf(stderr, "Error response from daemon: %s\n", hk_error_msg(&err));
        rc = 1;
    }
    json_decref(aliases);
    engine_free(e);
    return rc;
}

static int net_connect_main(int argc, char **argv)
{
    return net_connect_cmd(argc, argv, true);
}

static int net_disconnect_main(int argc, char **argv)
{
    return net_connect_cmd(argc, argv, false);
}

static const struct cli_command net_commands[] = {
    {"connect", net_connect_main, "Connect a running container to a network"},
    {"disconnect", net_disconnect_main, "Disconnect a container from a network"},
    {"create", net_create, "Create a network"},
    {"ls", net_ls, "List networks"},
    {"list", net_ls, NULL},
    {"inspect", net_inspect, "Display detailed information on one or more networks"},
    {"rm", net_rm, "Remove one or more networks"},
    {"remove", net_rm, NULL},
    {"prune", net_prune, "Remove all unused networks"},
};

int cmd_network(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "Usage: hako network COMMAND\n\nManage networks\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(net_commands); i++)
            if (net_commands[i].summary)
                fprintf(f, "  %-10s %s\n", net_commands[i].name, net_commands[i].summary);
        return argc < 2 ? 125 : 0;
    }
    for (size_t i = 0; i < ELEMENTSOF(net_commands); i++)
        if (strcmp(net_commands[i].name, argv[1]) == 0) {
            optind = 0;
            return net_commands[i].run(argc - 1, argv + 1);
        }
    cli_error("'%s' is not a hako network command. See 'hako network --help'", argv[1]);
    return 125;
}

/* `hako port CONTAINER [PORT[/PROTO]]`: docker's lines "80/tcp -> 0.0.0.0:8080". */
int cmd_port(int argc, char **argv)
{
    int rc = help_only(argc, argv, "port",
                       "Usage: hako port CONTAINER [PRIVATE_PORT[/PROTO]]\n\n"
                       "List a container's published ports\n",
                       false);
    if (rc)
        return rc < 0 ? 0 : rc;
    argc -= optind - 1;
    argv += optind - 1;
    if (argc < 2 || argc > 3)
        return cli_usage_error("port", "\"hako port\" requires at least 1 and at most 2 "
                                       "arguments.");
    struct engine *e = NULL;
    rc = cli_engine_open(&e);
    if (rc)
        return rc;
    _cleanup_free_ char *id = NULL;
    rc = cli_resolve(e, argv[1], &id);
    struct record *r = NULL;
    struct hk_error err = {0};
    if (rc == 0 && record_open(e, id, true, &r, &err) < 0)
        rc = cli_fail(&err, 1);
    engine_free(e);
    if (rc)
        return rc;
    _cleanup_free_ char *want = argc == 3 && !strchr(argv[2], '/') ? xasprintf("%s/tcp", argv[2])
                                                                   : NULL;
    const char *filter = argc == 3 ? (want ? want : argv[2]) : NULL;
    const char *key;
    json_t *list;
    bool found = false;
    json_object_foreach(json_object_get(json_object_get(r->j, "NetworkSettings"), "Ports"), key,
                        list)
    {
        if (filter && strcmp(filter, key) != 0)
            continue;
        size_t i;
        json_t *b;
        json_array_foreach(list, i, b)
        {
            found = true;
            const char *ip = jstr(b, "HostIp");
            _cleanup_free_ char *host = strchr(ip, ':') ? xasprintf("[%s]", ip) : xstrdup(ip);
            if (filter)
                printf("%s:%s\n", host, jstr(b, "HostPort"));
            else
                printf("%s -> %s:%s\n", key, host, jstr(b, "HostPort"));
        }
    }
    record_free(r);
    if (filter && !found) {
        fprintf(stderr, "Error: No public port '%s' published for %s\n", filter, argv[1]);
        return 1;
    }
    return 0;
}

/* Hidden: a user network's DNS responder (engine/net/dns.h), started by dns_up:
 * `hako dns-serve BRIDGE UDPFD TCPFD UPSTREAM|- INTERNAL`. */
int cmd_dns_serve(int argc, char **argv)
{
    if (argc != 6)
        return 125;
    int r = dns_serve(argv[1], atoi(argv[2]), atoi(argv[3]), strcmp(argv[4], "-") ? argv[4] : NULL,
                      strcmp(argv[5], "1") == 0);
    return r < 0 ? 1 : 0;
}
