/* containers.c — /containers/...: list, create, start, stop, restart, kill, pause, unpause,
 * rename, delete, inspect, prune, resize. Each a translation onto the engine call `hako` makes;
 * start runs in a spawned helper (api/helper.c) because it forks the container's monitor. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/internal.h"
#include "engine/create.h"
#include "engine/net/later.h"
#include "engine/net/ports.h"
#include "engine/psfilter.h"
#include "engine/inspect.h"
#include "engine/lifecycle.h"
#include "engine/list.h"
#include "engine/options.h"
#include "engine/top.h"
#include "runtime/control.h"
#include "image/image.h"
#include "oci/parse.h"
#include "util/fs.h"
#include "util/json.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static long long unix_time(const char *rfc3339)
{
    struct tm tm = {0};
    if (!rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    return (long long)timegm(&tm);
}

/* docker's list Ports: [{"IP", "PrivatePort", "PublicPort", "Type"}] of NetworkSettings.Ports
 * (an exposed port not published has no IP and PublicPort). */
static json_t *list_ports(const json_t *ns)
{
    json_t *out = json_array();
    const char *key;
    json_t *binds;
    json_object_foreach((json_t *)json_object_get(ns, "Ports"), key, binds)
    {
        int port;
        char proto[4];
        if (ports_key(key, &port, proto) < 0)
            continue;
        if (!json_array_size(binds))
            json_array_append_new(out, json_pack("{s:i,s:s}", "PrivatePort", port, "Type", proto));
        size_t i;
        json_t *b;
        json_array_foreach(binds, i, b)
        {
            json_array_append_new(out, json_pack("{s:s,s:i,s:i,s:s}", "IP", jstr(b, "HostIp"),
                                                 "PrivatePort", port, "PublicPort",
                                                 atoi(jstr(b, "HostPort")), "Type", proto));
        }
    }
    return out;
}

/* docker's list entry for a record. */
static json_t *list_entry(const json_t *rec)
{
    const json_t *st = json_object_get(rec, "State"), *cfg = json_object_get(rec, "Config");
    _cleanup_free_ char *cmd = xstrdup(jstr(rec, "Path"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(rec, "Args"), i, v)
    {
        char *n = xasprintf("%s %s", cmd, json_string_value(v));
        free(cmd);
        cmd = n;
    }
    _cleanup_free_ char *status = engine_status_text(st, time(NULL));
    const json_t *labels = json_object_get(cfg, "Labels");
    const json_t *ns = json_object_get(rec, "NetworkSettings");
    const json_t *nets = json_object_get(ns, "Networks");
    return json_pack(
        "{s:s,s:[s],s:s,s:s,s:s,s:I,s:o,s:O,s:s,s:s,s:{s:s},s:{s:o},s:[]}", "Id", jstr(rec, "Id"),
        "Names", jstr(rec, "Name"), "Image", jstr(cfg, "Image"), "ImageID", jstr(rec, "Image"),
        "Command", cmd, "Created", (json_int_t)unix_time(jstr(rec, "Created")), "Ports",
        list_ports(ns), "Labels", labels ? labels : json_object(), "State", jstr(st, "Status"),
        "Status", status, "HostConfig", "NetworkMode",
        jstr(json_object_get(rec, "HostConfig"), "NetworkMode"), "NetworkSettings", "Networks",
        json_is_object(nets) ? json_deep_copy(nets) : json_object(), "Mounts");
}

static enum MHD_Result list(struct api_call *c)
{
    char **filters = NULL;
    struct hk_error err = {0};
    int st = api_filters(&c->req, &filters, &err);
    if (st) {
        strv_free(filters);
        return api_reply_msg(c, (unsigned)st, "%s", hk_error_msg(&err));
    }
    bool all = api_query_bool(&c->req, "all");
    const char *lim = api_query(&c->req, "limit");
    long limit = lim && lim[0] ? atol(lim) : -1;
    _cleanup_json_ json_t *fj = json_array();
    for (size_t k = 0; filters[k]; k++)
        json_array_append_new(fj, json_string(filters[k]));
    strv_free(filters);
    json_t *recs = NULL;
    if (record_list(c->ctx->e, &recs, &err) < 0)
        return api_reply_error(c, &err, 500);
    /* the filters `hako ps` takes (ancestor= needs the store) */
    struct store *store = NULL;
    if (json_array_size(fj))
        store_open(c->ctx->root, &store, NULL);
    struct psfilter pf = {0};
    int r = psfilter_parse(fj, recs, store, &pf, &err);
    store_free(store);
    if (r < 0) {
        json_decref(recs);
        return api_reply_msg(c, err.code == -ENOENT ? 404 : 400, "%s", hk_error_msg(&err));
    }
    json_t *out = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        if (limit >= 0 && (long)json_array_size(out) >= limit)
            break;
        if (!all && limit < 0 && !psfilter_wants_stopped(&pf) &&
            !engine_status_live(record_status(rec)))
            continue;
        if (!psfilter_match(&pf, rec))
            continue;
        json_array_append_new(out, list_entry(rec));
    }
    psfilter_clear(&pf);
    json_decref(recs);
    return api_reply_json(c, 200, out);
}

/* The create request's other networks (EndpointsConfig but the network mode's), joined at
 * the container's starts as a connect would; on failure the new container is removed. */
static int connect_more(struct api_call *c, const char *id, const json_t *host,
                        struct hk_error *err)
{
    const json_t *eps = json_object_get(json_object_get(c->req.body, "NetworkingConfig"),
                                        "EndpointsConfig");
    const char *mode = jstr(host, "NetworkMode"), *net;
    json_t *ep;
    json_object_foreach((json_t *)eps, net, ep)
    {
        if (!api_endpoint_extra(net, mode))
            continue;
        const char *ip = jstr(json_object_get(ep, "IPAMConfig"), "IPv4Address");
        int r = net_connect_later(c->ctx->e, id, net, ip[0] ? ip : NULL,
                                  json_object_get(ep, "Aliases"), err);
        if (r < 0) {
            engine_remove(c->ctx->e, id, true, NULL);
            /* not a 404: docker's CLI would take it for a missing image and pull */
            return err->code == -ENOENT ? (err->code = -EINVAL) : r;
        }
    }
    return 0;
}

static enum MHD_Result create(struct api_call *c)
{
    json_t *config = NULL, *host = NULL;
    struct hk_error err = {0};
    int st = api_create_request(&c->req, &config, &host, &err);
    if (st)
        return api_reply_msg(c, (unsigned)st, "%s", hk_error_msg(&err));
    api_config_apply_ulimits(c->ctx->config, host);
    const char *image = json_string_value(json_object_get(config, "Image"));
    struct store *s = NULL;
    struct image *img = NULL;
    enum MHD_Result ret;
    if (store_open(c->ctx->root, &s, &err) < 0) {
        ret = api_reply_error(c, &err, 500);
    } else if (image_lookup(s, image, &img, &err) < 0) {
        /* docker's CLI pulls on exactly this answer and creates again */
        ret = err.code == -ENOENT ? api_reply_msg(c, 404, "No such image: %s", image)
                                  : api_reply_error(c, &err, 500);
    } else {
        struct create_request req = {.image = image,
                                     .img = img,
                                     .name = api_query(&c->req, "name"),
                                     .config = config,
                                     .host_config = host};
        if (req.name && !req.name[0])
            req.name = NULL;
        json_t *warnings = json_array();
        char *id = NULL;
        if (engine_create(c->ctx->e, s, &req, &id, warnings, &err) < 0 ||
            connect_more(c, id, host, &err) < 0) {
            json_decref(warnings);
            ret = api_reply_error(c, &err, 500);
        } else {
            ret = api_reply_json(c, 201, json_pack("{s:s,s:o}", "Id", id, "Warnings", warnings));
        }
        free(id);
    }
    image_free(img);
    store_free(s);
    json_decref(config);
    json_decref(host);
    return ret;
}

static int recv_fd(int sock)
{
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    ssize_t n;
    while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&m) : NULL;
    if (!c || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

/* Start id through `hako service-helper start` (it forks the monitor: not in this threaded
 * process). A client attached before the start gets the attach connection. On failure
 * *ret_status and err say why (the helper's stderr). */
static int start_container(struct api_call *c, const char *id, unsigned *ret_status,
                           struct hk_error *err)
{
    unsigned char want = 0;
    bool attach = api_attach_waiting(id, &want);
    char want_arg[8];
    snprintf(want_arg, sizeof(want_arg), "%u", want);
    int errp[2], sp[2] = {-1, -1};
    if (attach && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
        api_attach_handoff(id, -1);
        attach = false;
    }
    if (pipe2(errp, O_CLOEXEC) < 0) {
        if (attach) {
            close(sp[0]);
            close(sp[1]);
            api_attach_handoff(id, -1);
        }
        return hk_error_errno(err, -errno, "pipe");
    }
    const char *args[] = {"service-helper", "start", id, attach ? want_arg : NULL, NULL};
    int fds[3] = {-1, -1, errp[1]};
    pid_t pid;
    int r = api_spawn(c->ctx, args, fds, attach ? sp[1] : -1, &pid, err);
    close(errp[1]);
    if (sp[1] >= 0)
        close(sp[1]);
    if (r < 0) {
        close(errp[0]);
        if (sp[0] >= 0)
            close(sp[0]);
        if (attach)
            api_attach_handoff(id, -1);
        return r;
    }
    char msg[2048];
    size_t n = 0;
    ssize_t k;
    while (n < sizeof(msg) - 1 &&
           ((k = read(errp[0], msg + n, sizeof(msg) - 1 - n)) > 0 || (k < 0 && errno == EINTR)))
        if (k > 0)
            n += (size_t)k;
    msg[n] = '\0';
    close(errp[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    int conn = sp[0] >= 0 ? recv_fd(sp[0]) : -1;
    if (sp[0] >= 0)
        close(sp[0]);
    /* the waiting clients learn the outcome either way */
    if (attach && !api_attach_handoff(id, conn) && conn >= 0)
        close(conn);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    msg[strcspn(msg, "\n")] = '\0';
    *ret_status = 400;
    /* docker's CLI picks its exit status (127, 126, 125) from these words in the message */
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 125;
    return hk_error_set(err, -EIO, "failed to create task for container: %s%s",
                        msg[0] ? msg : "start failed",
                        code == 127   ? ": no such file or directory"
                        : code == 126 ? ": permission denied"
                                      : "");
}

static bool is_running(const struct engine *e, const char *id)
{
    struct record *rec = NULL;
    if (record_open(e, id, true, &rec, NULL) < 0)
        return false;
    record_refresh(e, rec);
    bool live = engine_status_live(record_status(rec->j));
    record_free(rec);
    return live;
}

static enum MHD_Result start(struct api_call *c, const char *id)
{
    if (is_running(c->ctx->e, id))
        return api_reply_empty(c, 304);
    struct hk_error err = {0};
    unsigned st = 500;
    if (start_container(c, id, &st, &err) < 0) {
        /* as `hako run --rm`: a container that could not start is not kept (docker's CLI
         * waits for its removal) */
        struct record *rec = NULL;
        bool rm =
            record_open(c->ctx->e, id, false, &rec, NULL) == 0 &&
            json_is_true(json_object_get(json_object_get(rec->j, "HostConfig"), "AutoRemove"));
        record_free(rec);
        if (rm)
            engine_remove(c->ctx->e, id, true, NULL);
        return api_reply_msg(c, st, "%s", hk_error_msg(&err));
    }
    return api_reply_empty(c, 204);
}

static int timeout_of(struct api_call *c)
{
    const char *t = api_query(&c->req, "t");
    if (!t)
        t = api_query(&c->req, "timeout");
    return t && t[0] ? atoi(t) : -1;
}

static enum MHD_Result stop(struct api_call *c, const char *id, bool restart)
{
    struct hk_error err = {0};
    bool running = is_running(c->ctx->e, id);
    if (!running && !restart)
        return api_reply_empty(c, 304);
    if (running && engine_stop(c->ctx->e, id, timeout_of(c), &err) < 0)
        return api_reply_error(c, &err, 500);
    if (restart) {
        unsigned st = 500;
        if (start_container(c, id, &st, &err) < 0)
            return api_reply_msg(c, st, "%s", hk_error_msg(&err));
    }
    return api_reply_empty(c, 204);
}

static enum MHD_Result kill_ct(struct api_call *c, const char *id)
{
    int sig = SIGKILL;
    struct hk_error err = {0};
    const char *s = api_query(&c->req, "signal");
    if (s && s[0] && opt_parse_signal(s, &sig, &err) < 0)
        return api_reply_msg(c, 400, "%s", hk_error_msg(&err));
    if (!is_running(c->ctx->e, id))
        return api_reply_msg(c, 409, "Cannot kill container: %s: container %s is not running",
                             c->req.object, id);
    if (engine_kill(c->ctx->e, id, sig, &err) < 0)
        return api_reply_error(c, &err, 500);
    return api_reply_empty(c, 204);
}

static enum MHD_Result pause_ct(struct api_call *c, const char *id, bool pause)
{
    struct hk_error err = {0};
    if (engine_pause(c->ctx->e, id, pause, &err) < 0)
        return api_reply_msg(c, err.code == -ENOENT ? 404 : 409, "%s", hk_error_msg(&err));
    return api_reply_empty(c, 204);
}

static enum MHD_Result rename_ct(struct api_call *c, const char *id)
{
    const char *name = api_query(&c->req, "name");
    struct hk_error err = {0};
    if (!name || !name[0])
        return api_reply_msg(c, 400, "Neither old nor new names may be empty");
    if (engine_rename(c->ctx->e, id, name[0] == '/' ? name + 1 : name, &err) < 0)
        return api_reply_error(c, &err, 500);
    return api_reply_empty(c, 204);
}

static enum MHD_Result delete (struct api_call *c, const char *id) {
    struct hk_error err = {0}; if (engine_remove(c->ctx->e, id, api_query_bool(&c->req, "force"),
                                                 &err) < 0) return api_reply_error(c, &err, 500);
    return api_reply_empty(c, 204);
}

static enum MHD_Result inspect(struct api_call *c, const char *id)
{
    json_t *j = NULL;
    struct hk_error err = {0};
    if (inspect_container(c->ctx->e, id, &j, &err) < 0)
        return api_reply_error(c, &err, 500);
    /* docker's clients read these; the record keeps what hako knows */
    if (!json_object_get(j, "NetworkSettings"))
        json_object_set_new(j, "NetworkSettings",
                            json_pack("{s:{},s:{},s:s}", "Networks", "Ports", "IPAddress", ""));
    json_t *cfg = json_object_get(j, "Config");
    static const char *const bools[] = {"AttachStdin", "AttachStdout", "AttachStderr"};
    for (size_t i = 0; json_is_object(cfg) && i < ELEMENTSOF(bools); i++)
        if (!json_object_get(cfg, bools[i]))
            json_object_set_new(cfg, bools[i], json_false());
    return api_reply_json(c, 200, j);
}

/* docker's top answer: Titles and one row of strings per process (host pids, as docker). */
static enum MHD_Result top(struct api_call *c, const char *id)
{
    pid_t *pids = NULL;
    size_t n = 0;
    struct hk_error err = {0};
    if (!is_running(c->ctx->e, id) || container_pids(&c->ctx->e->rt, id, &pids, &n, &err) < 0) {
        free(pids);
        return api_reply_msg(c, 409, "container %s is not running", c->req.object);
    }
    json_t *procs = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *r = engine_top_process(pids[i], pids, n);
        if (!r)
            continue;
        char v[3][24];
        const char *keys[] = {"UID", "HostPID", "HostPPID"};
        for (int k = 0; k < 3; k++)
            snprintf(v[k], sizeof(v[k]), "%lld",
                     (long long)json_integer_value(json_object_get(r, keys[k])));
        json_array_append_new(
            procs, json_pack("[s,s,s,s,s]", v[0], v[1], v[2], jstr(r, "TIME"), jstr(r, "CMD")));
        json_decref(r);
    }
    free(pids);
    return api_reply_json(c, 200,
                          json_pack("{s:[s,s,s,s,s],s:o}", "Titles", "UID", "PID", "PPID", "TIME",
                                    "CMD", "Processes", procs));
}

static enum MHD_Result prune(struct api_call *c)
{
    json_t *recs = NULL, *deleted = json_array();
    struct hk_error err = {0};
    if (record_list(c->ctx->e, &recs, &err) < 0) {
        json_decref(deleted);
        return api_reply_error(c, &err, 500);
    }
    size_t i;
    json_t *rec;
    json_array_foreach(recs, i, rec)
    {
        if (engine_status_live(record_status(rec)))
            continue;
        const char *id = jstr(rec, "Id");
        if (engine_remove(c->ctx->e, id, false, NULL) == 0)
            json_array_append_new(deleted, json_string(id));
    }
    json_decref(recs);
    return api_reply_json(
        c, 200, json_pack("{s:o,s:i}", "ContainersDeleted", deleted, "SpaceReclaimed", 0));
}

enum MHD_Result api_containers(struct api_call *c)
{
    if (c->req.op == OP_CT_LIST)
        return list(c);
    if (c->req.op == OP_CT_CREATE)
        return create(c);
    if (c->req.op == OP_CT_PRUNE)
        return prune(c);
    _cleanup_free_ char *id = NULL;
    if (!api_resolve(c, &id))
        return MHD_YES;
    switch (c->req.op) {
    case OP_CT_INSPECT:
        return inspect(c, id);
    case OP_CT_TOP:
        return top(c, id);
    case OP_CT_START:
        return start(c, id);
    case OP_CT_STOP:
        return stop(c, id, false);
    case OP_CT_RESTART:
        return stop(c, id, true);
    case OP_CT_KILL:
        return kill_ct(c, id);
    case OP_CT_PAUSE:
        return pause_ct(c, id, true);
    case OP_CT_UNPAUSE:
        return pause_ct(c, id, false);
    case OP_CT_RENAME:
        return rename_ct(c, id);
    case OP_CT_DELETE:
        return delete (c, id);
    case OP_CT_RESIZE:
        return api_attach_resize(c, id);
    default:
        return api_reply_msg(c, 501, "not implemented by hako yet");
    }
}
