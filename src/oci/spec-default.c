/* spec-default.c — the config.json that `hako-runtime spec` writes: runc's defaults. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/spec.h"

static const char default_spec[] =
    "{\n"
    "  \"ociVersion\": \"" OCI_VERSION "\",\n"
    "  \"process\": {\n"
    "    \"terminal\": true,\n"
    "    \"user\": {\"uid\": 0, \"gid\": 0},\n"
    "    \"args\": [\"sh\"],\n"
    "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
    "            \"TERM=xterm\"],\n"
    "    \"cwd\": \"/\",\n"
    "    \"capabilities\": {\n"
    "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]\n"
    "    },\n"
    "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
    "    \"noNewPrivileges\": true\n"
    "  },\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"hostname\": \"hako\",\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\",\n"
    "                 \"gid=5\"]},\n"
    "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
    "    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},\n"
    "    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
    "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}\n"
    "  ],\n"
    "  \"linux\": {\n"
    "    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},\n"
    "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},\n"
    "                   {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],\n"
    "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\",\n"
    "                    \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\",\n"
    "                    \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\"],\n"
    "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\",\n"
    "                      \"/proc/sysrq-trigger\"]\n"
    "  }\n"
    "}\n";

/* Turn the default spec into runc's rootless one: a user namespace mapping the caller, no
 * network namespace or cgroup mount, /sys bound from the host, devpts without gid=5. */
static void make_rootless(json_t *spec)
{
    json_t *lx = json_object_get(spec, "linux");
    json_t *ns = json_object_get(lx, "namespaces");
    size_t i;
    json_t *v;
    json_array_foreach(ns, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "type")), "network") == 0) {
            json_array_remove(ns, i);
            break;
        }
    }
    json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
    json_object_set_new(lx, "uidMappings",
                        json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID", (int)getuid(),
                                  "size", 1));
    json_object_set_new(lx, "gidMappings",
                        json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID", (int)getgid(),
                                  "size", 1));
    json_object_del(lx, "resources");

    json_t *mounts = json_object_get(spec, "mounts");
    json_t *out = json_array();
    json_array_foreach(mounts, i, v)
    {
        const char *dst = json_string_value(json_object_get(v, "destination"));
        if (strcmp(dst, "/sys/fs/cgroup") == 0)
            continue;
        if (strcmp(dst, "/sys") == 0) {
            json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s]}", "destination",
                                                 "/sys", "type", "none", "source", "/sys",
                                                 "options", "rbind", "nosuid", "noexec", "nodev",
                                                 "ro"));
            continue;
        }
        if (strcmp(dst, "/dev/pts") == 0) {
            json_t *opts = json_object_get(v, "options");
            size_t k;
            json_t *o;
            json_array_foreach(opts, k, o)
            {
                if (strcmp(json_string_value(o), "gid=5") == 0) {
                    json_array_remove(opts, k);
                    break;
                }
            }
        }
        json_array_append(out, v);
    }
    json_object_set_new(spec, "mounts", out);
}

json_t *spec_default_json(bool rootless)
{
    json_error_t jerr;
    json_t *spec = json_loads(default_spec, 0, &jerr);
    if (!spec)
        abort(); /* the literal above is valid JSON; a unit test parses it */
    if (rootless)
        make_rootless(spec);
    return spec;
}
