/* service.c — `hako system service [--time S] [-H URL]... [--insecure-tcp]`, the Docker
 * Engine API (src/api), and the hidden `hako service-helper` it spawns. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/container.h"
#include "util/log.h"
#include "util/macro.h"

static void usage(FILE *f)
{
    fprintf(f, "Usage: hako system service [OPTIONS]\n\n"
               "Serve the Docker Engine API (docker, docker-py, ... with DOCKER_HOST)\n\n"
               "Options:\n"
               "  -H, --host URL      unix:///PATH or tcp://HOST:PORT (repeatable; default\n"
               "                      unix://<runroot>/hako.sock, or the LISTEN_FDS sockets)\n"
               "  -t, --time SECONDS  exit after SECONDS without a client (0: never; default 5);\n"
               "                      also --timeout SECONDS\n"
               "      --tlsverify --tlscacert CA --tlscert CERT --tlskey KEY\n"
               "                      serve tcp:// with TLS, only to clients whose certificate\n"
               "                      CA signed (docker --tlsverify)\n"
               "      --insecure-tcp  serve tcp:// without TLS (loopback addresses only)\n"
               "      --config-file F daemon.json with dockerd's keys (default\n"
               "                      /etc/hako/daemon.json, when it exists)\n"
               "      --data-root DIR the store (default: hako's --root)\n"
               "      --exec-root DIR the run directory (default: hako's --runroot)\n"
               "  -l, --log-level L   debug, info, warn, error or fatal (debug logs each\n"
               "                      request's method, path, status and duration)\n"
               "  -D, --debug         the same as --log-level debug\n"
               "      --log-file F    log there instead of stderr\n"
               "      --log-format F  text or json (one JSON object per line)\n");
}

/* What was given as a flag (NULL/false: not given), to merge with daemon.json. */
struct service_flags {
    const char *hosts[16];
    size_t n_hosts;
    const char *config_file, *data_root, *exec_root, *log_level, *log_file, *log_format;
    bool debug, tlsverify;
    const char *tls_ca, *tls_cert, *tls_key;
};

static void join_hosts(char *buf, size_t size, const char *const *h, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? " " : "", h[i]);
}

/* dockerd's rule: a directive both in the file and as a flag is an error naming it. */
static int conflicts(const struct service_flags *f, const struct api_config *c)
{
    char flag[512] = "", file[512] = "";
    const char *name = NULL;
    if (f->n_hosts && c->n_hosts) {
        name = "hosts";
        join_hosts(flag, sizeof(flag), f->hosts, f->n_hosts);
        join_hosts(file, sizeof(file), c->hosts, c->n_hosts);
    }
    const struct {
        const char *key, *flag, *file;
    } s[] = {
        {"data-root", f->data_root, c->data_root},
        {"exec-root", f->exec_root, c->exec_root},
        {"tlscacert", f->tls_ca, c->tlscacert},
        {"tlscert", f->tls_cert, c->tlscert},
        {"tlskey", f->tls_key, c->tlskey},
        {"log-level", f->log_level, c->has_log_level ? "(set)" : NULL},
    };
    for (size_t i = 0; !name && i < ELEMENTSOF(s); i++)
        if (s[i].flag && s[i].file) {
            name = s[i].key;
            snprintf(flag, sizeof(flag), "%s", s[i].flag);
            snprintf(file, sizeof(file), "%s", s[i].file);
        }
    if (!name && f->debug && c->has_debug) {
        name = "debug";
        snprintf(flag, sizeof(flag), "true");
        snprintf(file, sizeof(file), "%s", c->debug ? "true" : "false");
    }
    if (!name && f->tlsverify && c->has_tlsverify) {
        name = "tlsverify";
        snprintf(flag, sizeof(flag), "true");
        snprintf(file, sizeof(file), "%s", c->tlsverify ? "true" : "false");
    }
    if (!name)
        return 0;
    cli_error("unable to configure the service with file %s: the following directives are "
              "specified both as a flag and in the configuration file: %s: (from flag: [%s], "
              "from file: [%s])",
              c->path, name, flag, file);
    return -1;
}

static int set_logging(const struct service_flags *f, const struct api_config *c)
{
    if (f->log_file && log_set_file(f->log_file) < 0) {
        cli_error("system service: --log-file: cannot open '%s'", f->log_file);
        return -1;
    }
    if (f->log_format) {
        if (strcmp(f->log_format, "json") != 0 && strcmp(f->log_format, "text") != 0) {
            cli_error("system service: --log-format: '%s' is not text or json", f->log_format);
            return -1;
        }
        log_set_json(strcmp(f->log_format, "json") == 0);
    }
    if (c->has_log_level)
        log_set_level((enum log_level)c->log_level);
    if (f->log_level) {
        enum log_level lvl;
        const char *l = strcmp(f->log_level, "fatal") == 0 ? "error" : f->log_level;
        if (log_level_from_string(l, &lvl) < 0) {
            cli_error("system service: --log-level: '%s' is not one of debug, info, warn, "
                      "error, fatal",
                      f->log_level);
            return -1;
        }
        log_set_level(lvl);
    }
    if (f->debug || (c->has_debug && c->debug))
        log_set_level(LOG_DEBUG);
    return 0;
}

static int service(int argc, char **argv)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'H'},
        {"time", required_argument, NULL, 't'},
        {"timeout", required_argument, NULL, 't'},
        {"insecure-tcp", no_argument, NULL, 'I'},
        {"tlsverify", no_argument, NULL, 'V'},
        {"tlscacert", required_argument, NULL, 'A'},
        {"tlscert", required_argument, NULL, 'C'},
        {"tlskey", required_argument, NULL, 'K'},
        {"config-file", required_argument, NULL, 'c'},
        {"data-root", required_argument, NULL, 'g'},
        {"exec-root", required_argument, NULL, 'x'},
        {"log-level", required_argument, NULL, 'l'},
        {"debug", no_argument, NULL, 'D'},
        {"log-file", required_argument, NULL, 'L'},
        {"log-format", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct service_flags f = {0};
    struct api_opts o = {.idle_seconds = 5};
    int c;
    while ((c = cli_getopt(argc, argv, "H:t:l:Dh", opts)) != -1) {
        char *end;
        switch (c) {
        case 'H':
            if (f.n_hosts == ELEMENTSOF(f.hosts)) {
                cli_error("system service: at most %zu -H", ELEMENTSOF(f.hosts));
                return 125;
            }
            f.hosts[f.n_hosts++] = optarg;
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
            f.tlsverify = true;
            break;
        case 'A':
            f.tls_ca = optarg;
            break;
        case 'C':
            f.tls_cert = optarg;
            break;
        case 'K':
            f.tls_key = optarg;
            break;
        case 'c':
            f.config_file = optarg;
            break;
        case 'g':
            f.data_root = optarg;
            break;
        case 'x':
            f.exec_root = optarg;
            break;
        case 'l':
            f.log_level = optarg;
            break;
        case 'D':
            f.debug = true;
            break;
        case 'L':
            f.log_file = optarg;
            break;
        case 'F':
            f.log_format = optarg;
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
    struct api_config cfg;
    struct hk_error err = {0};
    if (api_config_load(f.config_file ? f.config_file : "/etc/hako/daemon.json",
                        f.config_file != NULL, &cfg, &err) < 0) {
        api_config_clear(&cfg);
        return cli_fail(&err, 125);
    }
    if (conflicts(&f, &cfg) < 0) {
        api_config_clear(&cfg);
        return cli_op_error(); /* the file's fault: dockerd's 1 */
    }
    if (set_logging(&f, &cfg) < 0) {
        api_config_clear(&cfg);
        return 125;
    }
    o.hosts = f.n_hosts ? f.hosts : cfg.hosts;
    o.n_hosts = f.n_hosts ? f.n_hosts : cfg.n_hosts;
    o.root = f.data_root ? f.data_root : cfg.data_root ? cfg.data_root : engine_opts.root;
    o.runroot = f.exec_root ? f.exec_root : cfg.exec_root ? cfg.exec_root : engine_opts.runroot;
    o.tlsverify = f.tlsverify || (cfg.has_tlsverify && cfg.tlsverify);
    o.tls_ca = f.tls_ca ? f.tls_ca : cfg.tlscacert;
    o.tls_cert = f.tls_cert ? f.tls_cert : cfg.tlscert;
    o.tls_key = f.tls_key ? f.tls_key : cfg.tlskey;
    o.config = &cfg;
    if (cfg.loaded)
        log_info("api: configuration from %s", cfg.path);
    int r = api_serve(&o, &err);
    api_config_clear(&cfg);
    if (r < 0)
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
