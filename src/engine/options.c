/* options.c — parsing docker's flag values. */
#include "engine/options.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

#include "runtime/lsm.h"
#include "util/fs.h"
#include "util/json.h"

/* v as an int64_t when it is one: converting a double that is NaN, infinite or outside
 * [-2^63, 2^63) is undefined, and (double)INT64_MAX rounds up to 2^63, so a
 * "> INT64_MAX" test lets 2^63 itself through. */
static bool double_to_i64(double v, int64_t *ret)
{
    if (!(v >= -0x1p63 && v < 0x1p63))
        return false;
    *ret = (int64_t)v;
    return true;
}

int opt_parse_bytes(const char *s, int64_t *ret, struct hk_error *err)
{
    char *end;
    if (!s[0] || !(isdigit((unsigned char)s[0])))
        return hk_error_set(err, -EINVAL, "invalid size: '%s'", s);
    double v = strtod(s, &end);
    if (*end == ' ')
        end++;
    static const char units[] = "kmgtp";
    double mult = 1;
    const char *u = *end ? strchr(units, tolower((unsigned char)*end)) : NULL;
    if (u) {
        for (const char *k = units; k <= u; k++)
            mult *= 1024;
        end++;
        if (*end == 'i' || *end == 'I')
            end++;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end || !double_to_i64(v * mult, ret))
        return hk_error_set(err, -EINVAL, "invalid size: '%s'", s);
    return 0;
}

int opt_parse_cpus(const char *s, int64_t *ret, struct hk_error *err)
{
    char *end;
    double v = strtod(s, &end);
    if (!s[0] || *end || v < 0 || v > 1e6 || v != v)
        return hk_error_set(err, -EINVAL, "failed to parse %s as a rational number", s);
    *ret = (int64_t)(v * 1e9 + 0.5);
    return 0;
}

static const struct {
    const char *name;
    int resource;
} rlimits[] = {
    {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},     {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},       {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},         {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK},
    {"as", RLIMIT_AS},
};

int opt_rlimit_resource(const char *name)
{
    for (size_t i = 0; i < ELEMENTSOF(rlimits); i++)
        if (strcmp(rlimits[i].name, name) == 0)
            return rlimits[i].resource;
    return -EINVAL;
}

static bool parse_limit(const char *s, int64_t *ret)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v < -1)
        return false;
    *ret = v;
    return true;
}

int opt_parse_ulimit(const char *s, json_t **ret, struct hk_error *err)
{
    const char *eq = strchr(s, '=');
    if (!eq)
        return hk_error_set(err, -EINVAL, "invalid ulimit argument: %s", s);
    _cleanup_free_ char *name = strndup(s, (size_t)(eq - s));
    if (opt_rlimit_resource(name) < 0)
        return hk_error_set(err, -EINVAL, "invalid ulimit type: %s", name);
    _cleanup_free_ char *vals = xstrdup(eq + 1);
    char *colon = strchr(vals, ':');
    if (colon)
        *colon = '\0';
    int64_t soft, hard;
    if (!parse_limit(vals, &soft) || !parse_limit(colon ? colon + 1 : vals, &hard))
        return hk_error_set(err, -EINVAL, "invalid ulimit argument: %s", s);
    if (soft != -1 && (hard == -1 ? false : soft > hard))
        return hk_error_set(err, -EINVAL,
                            "ulimit soft limit must be less than or equal to hard limit: %lld > "
                            "%lld",
                            (long long)soft, (long long)hard);
    *ret = json_pack("{s:s,s:I,s:I}", "Name", name, "Soft", (json_int_t)soft, "Hard",
                     (json_int_t)hard);
    return 0;
}

int opt_parse_tmpfs(const char *s, json_t *tmpfs, struct hk_error *err)
{
    const char *colon = strchr(s, ':');
    _cleanup_free_ char *path = colon ? strndup(s, (size_t)(colon - s)) : xstrdup(s);
    if (path[0] != '/')
        return hk_error_set(err, -EINVAL, "invalid mount path for tmpfs: '%s': must be absolute",
                            path);
    /* jansson refuses keys and strings that are not UTF-8: the mount would vanish unseen. */
    if (json_object_set_new(tmpfs, path, json_string(colon ? colon + 1 : "")) < 0)
        return hk_error_set(err, -EINVAL, "invalid tmpfs '%s': not UTF-8", s);
    return 0;
}

static const char *const signames[] = {
    [SIGHUP] = "HUP",   [SIGINT] = "INT",       [SIGQUIT] = "QUIT", [SIGILL] = "ILL",
    [SIGTRAP] = "TRAP", [SIGABRT] = "ABRT",     [SIGBUS] = "BUS",   [SIGFPE] = "FPE",
    [SIGKILL] = "KILL", [SIGUSR1] = "USR1",     [SIGSEGV] = "SEGV", [SIGUSR2] = "USR2",
    [SIGPIPE] = "PIPE", [SIGALRM] = "ALRM",     [SIGTERM] = "TERM", [SIGSTKFLT] = "STKFLT",
    [SIGCHLD] = "CHLD", [SIGCONT] = "CONT",     [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
    [SIGTTIN] = "TTIN", [SIGTTOU] = "TTOU",     [SIGURG] = "URG",   [SIGXCPU] = "XCPU",
    [SIGXFSZ] = "XFSZ", [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH",
    [SIGIO] = "IO",     [SIGPWR] = "PWR",       [SIGSYS] = "SYS",
};

const char *opt_signal_name(int sig)
{
    static char buf[16];
    if (sig <= 0 || (size_t)sig >= ELEMENTSOF(signames) || !signames[sig])
        return NULL;
    snprintf(buf, sizeof(buf), "SIG%s", signames[sig]);
    return buf;
}

int opt_parse_signal(const char *s, int *ret, struct hk_error *err)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (s[0] && !*end) {
        if (n <= 0 || n > SIGRTMAX)
            return hk_error_set(err, -EINVAL, "invalid signal: %s", s);
        *ret = (int)n;
        return 0;
    }
    const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    for (size_t i = 1; i < ELEMENTSOF(signames); i++)
        if (signames[i] && strcasecmp(signames[i], name) == 0) {
            *ret = (int)i;
            return 0;
        }
    /* the real-time ones: RTMIN, RTMIN+n, RTMAX-n, RTMAX */
    if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
        bool min = toupper((unsigned char)name[3]) == 'I';
        long k = 0;
        if (name[5]) {
            /* k is bounded before any arithmetic: "RTMIN+2147483647" must not overflow */
            if (name[5] != (min ? '+' : '-') || !isdigit((unsigned char)name[6]))
                return hk_error_set(err, -EINVAL, "invalid signal: %s", s);
            k = strtol(name + 6, &end, 10);
            if (*end || k > SIGRTMAX - SIGRTMIN)
                return hk_error_set(err, -EINVAL, "invalid signal: %s", s);
        }
        *ret = min ? SIGRTMIN + (int)k : SIGRTMAX - (int)k;
        return 0;
    }
    return hk_error_set(err, -EINVAL, "invalid signal: %s", s);
}

int opt_read_env_file(const char *path, json_t *env, struct hk_error *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = read_file(path, 1 << 20, &text, &len, err);
    if (r < 0)
        return hk_error_prefix(err, r, "--env-file");
    for (char *save = NULL, *p = text, *line; (line = strtok_r(p, "\n", &save)); p = NULL) {
        while (isspace((unsigned char)*line))
            line++;
        size_t l = strlen(line);
        while (l && isspace((unsigned char)line[l - 1]))
            line[--l] = '\0';
        if (!*line || *line == '#')
            continue;
        if (strchr(line, '=')) {
            json_array_append_new(env, json_string(line));
        } else if (getenv(line)) {
            _cleanup_free_ char *kv = xasprintf("%s=%s", line, getenv(line));
            json_array_append_new(env, json_string(kv));
        }
    }
    return 0;
}

int opt_parse_idmap(const char *s, json_t **ret, struct hk_error *err)
{
    unsigned long c, h, n;
    char tail;
    if (sscanf(s, "%lu:%lu:%lu%c", &c, &h, &n, &tail) != 3 || n == 0 || c > UINT32_MAX ||
        h > UINT32_MAX || n > UINT32_MAX)
        return hk_error_set(err, -EINVAL, "invalid id mapping '%s': expected CTR:HOST:SIZE", s);
    *ret = json_pack("{s:I,s:I,s:I}", "ContainerID", (json_int_t)c, "HostID", (json_int_t)h,
                     "Size", (json_int_t)n);
    return 0;
}

bool opt_parse_duration(const char *s, int64_t *ret)
{
    double total = 0;
    const char *p = s;
    if (!*p)
        return false;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            return false;
        double unit;
        if (strncmp(end, "ms", 2) == 0) {
            unit = 1e6;
            end += 2;
        } else if (*end == 'h' || *end == 'm' || *end == 's') {
            unit = *end == 'h' ? 3600e9 : *end == 'm' ? 60e9 : 1e9;
            end++;
        } else {
            return false;
        }
        total += v * unit;
        p = end;
    }
    return double_to_i64(total, ret);
}

int opt_parse_time(const char *s, int64_t now_ns, int64_t *ret_ns, struct hk_error *err)
{
    int64_t d, ns;
    if (opt_parse_duration(s, &d)) {
        if (__builtin_sub_overflow(now_ns, d, &ns))
            return hk_error_set(err, -ERANGE, "invalid time '%s': out of range", s);
        *ret_ns = ns;
        return 0;
    }
    char *end;
    double v = strtod(s, &end);
    if (s[0] && !*end) {
        if (!double_to_i64(v * 1e9, ret_ns))
            return hk_error_set(err, -ERANGE, "invalid time '%s': out of range", s);
        return 0;
    }
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p) {
        memset(&tm, 0, sizeof(tm));
        p = strptime(s, "%Y-%m-%d", &tm);
    }
    if (!p)
        return hk_error_set(err, -EINVAL, "invalid time '%s': expected RFC 3339, a unix time or a "
                                          "duration like 10m", s);
    ns = 0;
    if (*p == '.') {
        double frac = strtod(p, &end);
        if (!(frac >= 0 && frac < 1))
            return hk_error_set(err, -EINVAL, "invalid time '%s'", s);
        ns = (int64_t)(frac * 1e9);
        p = end;
    }
    int64_t t = (int64_t)timegm(&tm);
    if (*p == '+' || *p == '-') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return hk_error_set(err, -EINVAL, "invalid time '%s'", s);
        t += (*p == '+' ? -1 : 1) * (hh * 3600 + mm * 60);
    } else if (*p && *p != 'Z' && *p != 'z') {
        return hk_error_set(err, -EINVAL, "invalid time '%s'", s);
    }
    if (__builtin_mul_overflow(t, 1000000000LL, &t) || __builtin_add_overflow(t, ns, &ns))
        return hk_error_set(err, -ERANGE, "invalid time '%s': out of range", s);
    *ret_ns = ns;
    return 0;
}

int opt_parse_bool(const char *s, bool *ret)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
        if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
            *ret = strcmp(s, yes[i]) == 0;
            return 0;
        }
    }
    return -EINVAL;
}

int opt_parse_security_opt(const char *s, struct security_opt *ret, struct hk_error *err)
{
    *ret = (struct security_opt){.kind = SECOPT_NNP, .nnp = true, .value = ""};
    if (strcmp(s, "no-new-privileges") == 0)
        return 0;
    if (strcmp(s, "disable") == 0) {
        *ret = (struct security_opt){.kind = SECOPT_LABEL, .value = "disable"};
        return 0;
    }
    const char *sep = strchr(s, '=') ? strchr(s, '=') : strchr(s, ':');
    if (!sep)
        return hk_error_set(err, -EINVAL, "invalid --security-opt 1: \"%s\"", s);
    size_t kl = (size_t)(sep - s);
    const char *v = sep + 1;
    ret->value = v;
    if (kl == 17 && strncmp(s, "no-new-privileges", kl) == 0) {
        if (opt_parse_bool(v, &ret->nnp) < 0)
            return hk_error_set(err, -EINVAL, "invalid --security-opt 2: \"%s\"", s);
        return 0;
    }
    if (kl == 7 && strncmp(s, "seccomp", kl) == 0) {
        ret->kind = SECOPT_SECCOMP;
        return v[0] ? 0 : hk_error_set(err, -EINVAL, "invalid --security-opt 2: \"%s\"", s);
    }
    if (kl == 8 && strncmp(s, "apparmor", kl) == 0) {
        ret->kind = SECOPT_APPARMOR;
        if (strcmp(v, "unconfined") == 0 || (v[0] && lsm_apparmor_enabled()))
            return 0;
        if (!v[0])
            return hk_error_set(err, -EINVAL, "invalid --security-opt 2: \"%s\"", s);
        return hk_error_set(err, -EINVAL, "--security-opt %s: AppArmor is not enabled on this "
                                          "host", s);
    }
    if (kl == 5 && strncmp(s, "label", kl) == 0) {
        ret->kind = SECOPT_LABEL;
        if (strcmp(v, "disable") == 0)
            return 0;
        return hk_error_set(err, -EINVAL, "--security-opt %s: SELinux is not enabled on this "
                                          "host", s);
    }
    return hk_error_set(err, -EINVAL, "invalid --security-opt 2: \"%s\"", s);
}
