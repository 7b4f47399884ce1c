/* features.c — the OCI features document (runtime-spec features.md): what this runtime can
 * do, for `hako-runtime features`. */
#include <jansson.h>
#include <stdio.h>
#include <seccomp.h>
#include <sys/capability.h>

#include "oci/spec.h"
#include "runtime/features.h"
#include "util/json.h"

json_t *runtime_features_json(void)
{
    static const char *const mount_options[] = {
        "async",   "atime",      "bind",     "defaults",    "dev",         "diratime",
        "dirsync", "exec",       "idmap",    "iversion",    "lazytime",    "loud",   "mand",
        "noatime", "nodev",      "nodiratime", "noexec",    "noiversion",  "nolazytime",
        "nomand",  "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private",
        "ratime",  "rbind",      "rdev",     "rdiratime",   "relatime",    "remount",
        "rexec",   "ridmap",     "rnoatime", "rnodev",      "rnodiratime", "rnoexec", "rnorelatime",
        "rnostrictatime", "rnosuid", "rnosymfollow", "ro",  "rprivate",    "rrelatime",
        "rro",     "rrw",        "rshared",  "rslave",      "rstrictatime", "rsuid",
        "rsymfollow", "runbindable", "rw",   "shared",      "silent",      "slave",
        "strictatime", "suid",   "symfollow", "sync",       "tmpcopyup",   "unbindable",
    };
    json_t *opts = json_array();
    for (size_t i = 0; i < sizeof(mount_options) / sizeof(mount_options[0]); i++)
        json_array_append_new(opts, json_string(mount_options[i]));
    json_t *hooks = json_array();
    for (int k = 0; k < OCI_HOOK_COUNT; k++)
        json_array_append_new(hooks, json_string(oci_hook_name((enum oci_hook_kind)k)));
    json_t *ns = json_array();
    for (int t = 0; t < OCI_NS_COUNT; t++)
        json_array_append_new(ns, json_string(oci_ns_name((enum oci_ns_type)t)));
    json_t *caps = json_array();
    for (int c = 0; c <= oci_cap_last(); c++) {
        char *name = cap_to_name(c);
        if (name) {
            char upper[64];
            size_t n = 0;
            for (; name[n] && n < sizeof(upper) - 1; n++)
                upper[n] = (char)(name[n] >= 'a' && name[n] <= 'z' ? name[n] - 32 : name[n]);
            upper[n] = '\0';
            json_array_append_new(caps, json_string(upper));
            cap_free(name);
        }
    }
    const struct scmp_version *v = seccomp_version();
    char libver[32];
    snprintf(libver, sizeof(libver), "%u.%u.%u", v->major, v->minor, v->micro);
    json_t *f = json_pack(
        "{s:s,s:s,s:o,s:o,s:{s:o,s:o,s:{s:b,s:b,s:b,s:b},s:{s:b,s:[sssssssss],s:[sssssss],"
        "s:[sss]},s:{s:b},s:{s:b},s:{s:b},s:{s:{s:b}}},s:{s:s,s:s}}",
        "ociVersionMin", "1.0.0", "ociVersionMax", OCI_VERSION, "hooks", hooks, "mountOptions",
        opts, "linux", "namespaces", ns, "capabilities", caps, "cgroup", "v1", 1, "v2", 1,
        "systemd", 0, "systemdUser", 0, "seccomp", "enabled", 1, "actions", "SCMP_ACT_ALLOW",
        "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
        "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", "operators",
        "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
        "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", "archs", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
        "SCMP_ARCH_X32", "apparmor", "enabled", 0, "selinux", "enabled", 0, "intelRdt",
        "enabled", 0, "mountExtensions", "idmap", "enabled", 1, "annotations",
        "org.opencontainers.runc.checkpoint.enabled", "false", "io.github.seccomp.libseccomp.version",
        libver);
    _cleanup_json_ json_t *sched = oci_sched_features();
    json_object_update(json_object_get(f, "linux"), sched);
    return f;
}
