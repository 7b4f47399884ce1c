/* fuzz-engine-options.c — the values of hako's docker-style flags (engine/options.c):
 * --memory and --shm-size sizes, --cpus, --ulimit, -v, --tmpfs, --stop-signal and kill -s,
 * --uidmap/--gidmap, logs --since/--until, and -p (engine/net/ports.c). Input: the value,
 * given to each parser. */
#include <signal.h>
#include <sys/resource.h>

#include "engine/mountspec.h"
#include "engine/net/ports.h"
#include "engine/options.h"
#include "fuzz.h"

/* An arbitrary "now" for durations before now: 2023-11-14T22:13:20Z. */
#define NOW_NS (1700000000LL * 1000000000LL)

static void check_ulimit(const char *s)
{
    json_t *u = NULL;
    if (opt_parse_ulimit(s, &u, NULL) < 0)
        return;
    const char *name = json_string_value(json_object_get(u, "Name"));
    json_int_t soft = json_integer_value(json_object_get(u, "Soft"));
    json_int_t hard = json_integer_value(json_object_get(u, "Hard"));
    FUZZ_CHECK(name && opt_rlimit_resource(name) >= 0);
    FUZZ_CHECK(soft >= -1 && hard >= -1 && (soft == -1 || hard == -1 || soft <= hard));
    json_decref(u);
}

static void check_signal(const char *s)
{
    int sig = 0;
    if (opt_parse_signal(s, &sig, NULL) < 0)
        return;
    FUZZ_CHECK(sig > 0 && sig <= SIGRTMAX);
    const char *name = opt_signal_name(sig);
    int again = 0;
    FUZZ_CHECK(!name || (opt_parse_signal(name, &again, NULL) == 0 && again == sig));
}

/* -p: on success every binding's key is a valid "port/proto" and every host port a number,
 * a range or empty, and ports_wanted takes them back. */
static void check_publish(const char *s)
{
    json_t *pb = json_object(), *ex = json_object();
    if (ports_parse(s, pb, ex, NULL) == 0) {
        FUZZ_CHECK(json_object_size(pb) > 0 && json_object_size(pb) == json_object_size(ex));
        const char *key;
        json_t *v;
        json_object_foreach(pb, key, v)
        {
            int port;
            char proto[4];
            FUZZ_CHECK(ports_key(key, &port, proto) == 0 && port > 0 && port <= 65535);
        }
        json_t *hc = json_pack("{s:O}", "PortBindings", pb);
        struct fw_port *w = NULL;
        size_t n = 0;
        FUZZ_CHECK(ports_wanted(hc, ex, &w, &n, NULL) == 0 && n >= json_object_size(pb));
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(w[i].host_port >= 0 && w[i].host_port <= 65535);
        free(w);
        json_decref(hc);
    }
    json_decref(pb);
    json_decref(ex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    struct hk_error err = {0};
    int64_t v = 0;
    if (opt_parse_bytes(s, &v, &err) == 0)
        FUZZ_CHECK(v >= 0);
    else
        FUZZ_CHECK(err.code < 0 && err.msg[0]);
    if (opt_parse_cpus(s, &v, NULL) == 0)
        FUZZ_CHECK(v >= 0 && v <= 1000000LL * 1000000000LL);
    check_ulimit(s);
    json_t *m = NULL;
    char *mode = NULL;
    if (mountspec_parse_bind(s, &m, &mode, NULL) == 0) {
        FUZZ_CHECK(json_string_value(json_object_get(m, "Target"))[0] == '/' && mode);
        json_decref(m);
        free(mode);
    }
    if (mountspec_parse_csv(s, &m, NULL) == 0) {
        FUZZ_CHECK(json_string_length(json_object_get(m, "Target")) > 0);
        (void)mountspec_validate(m, false, NULL);
        json_decref(m);
    }
    json_t *tmpfs = json_object();
    if (opt_parse_tmpfs(s, tmpfs, NULL) == 0)
        FUZZ_CHECK(json_object_size(tmpfs) == 1);
    json_decref(tmpfs);
    check_signal(s);
    json_t *map = NULL;
    if (opt_parse_idmap(s, &map, NULL) == 0) {
        FUZZ_CHECK(json_integer_value(json_object_get(map, "Size")) > 0);
        json_decref(map);
    }
    (void)opt_parse_time(s, NOW_NS, &v, NULL);
    check_publish(s);
    free(s);
    return 0;
}
