/* apparmor.c — hako-default, the engine's AppArmor profile (see apparmor.h). The rules follow
 * what docker documents for docker-default: a container may use files, the network and its
 * capabilities, but it may not mount, may not write the kernel's knobs in /proc and /sys (the
 * ipc namespace's kernel.shm* and the cgroup tree excepted), may not read firmware or
 * securityfs, and is traced or signalled only by its own processes and the host. */
#include "engine/apparmor.h"

#include <stdio.h>
#include <string.h>

#include "runtime/lsm.h"
#include "util/fs.h"
#include "util/proc.h"

/* clang-format off */
static const char profile_text[] =
    "# hako-default: the AppArmor profile hako gives containers (written by hako; loaded with\n"
    "# apparmor_parser -Kr when the kernel does not have it).\n"
    "profile hako-default flags=(attach_disconnected,mediate_deleted) {\n"
    "  file,\n"
    "  network,\n"
    "  capability,\n"
    "  unix,\n"
    "  umount,\n"
    "  # a container mounts nothing (docker: deny mount)\n"
    "  deny mount,\n"
    "  # signals and ptrace stay among the container's own processes; the host may signal it\n"
    "  signal (send, receive) peer=hako-default,\n"
    "  signal (receive) peer=unconfined,\n"
    "  ptrace (trace, read, tracedby, readby) peer=hako-default,\n"
    "  # /proc: the per-process directories only; in /proc/sys just kernel/shm*\n"
    "  deny /proc/[^0-9]* wkl,\n"
    "  deny /proc/{[^0-9s]*,s[^y]*,sy[^s]*,sys?*}/** wkl,\n"
    "  deny /proc/sys/{[^k]*,k[^e]*,ke[^r]*,ker[^n]*,kern[^e]*,kerne[^l]*,kernel?*}/** wkl,\n"
    "  deny /proc/sys/{[^k]*,k[^e]*,ke[^r]*,ker[^n]*,kern[^e]*,kerne[^l]*,kernel?*} wkl,\n"
    "  deny /proc/sys/kernel/{[^s]*,s[^h]*,sh[^m]*} wkl,\n"
    "  deny /proc/sys/kernel/*/** wkl,\n"
    "  deny /proc/{sysrq-trigger,kcore} rwklx,\n"
    "  # /sys: read-only but for the cgroup tree; no firmware, no securityfs\n"
    "  deny /sys/{[^f]*,f[^s]*,fs/[^c]*,fs/c[^g]*,fs/cg[^r]*}/** wklx,\n"
    "  deny /sys/firmware/** rwklx,\n"
    "  deny /sys/kernel/security/** rwklx,\n"
    "}\n";
/* clang-format on */

const char *apparmor_default_text(void)
{
    return profile_text;
}

static bool loaded(const char *name)
{
    _cleanup_free_ char *text = NULL;
    if (read_file("/sys/kernel/security/apparmor/profiles", 1 << 24, &text, NULL, NULL) < 0)
        return false;
    size_t n = strlen(name);
    for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1
                                                                       : NULL)
        if (strncmp(line, name, n) == 0 && line[n] == ' ')
            return true;
    return false;
}

/* Load hako-default unless the kernel has it: once per boot, not per container. */
static int load_default(const char *dir, struct hk_error *err)
{
    if (loaded(APPARMOR_DEFAULT_PROFILE))
        return 0;
    _cleanup_free_ char *path = xasprintf("%s/apparmor-hako-default", dir);
    int r = write_file_replace(path, profile_text, strlen(profile_text), 0644, err);
    if (r < 0)
        return r;
    char *argv[] = {"apparmor_parser", "-Kr", path, NULL};
    _cleanup_free_ char *out = NULL;
    r = proc_run_capture(argv, 1 << 16, &out, err);
    if (r < 0)
        return hk_error_prefix(err, r, "load the AppArmor profile %s (is the apparmor package "
                                       "installed?)",
                               APPARMOR_DEFAULT_PROFILE);
    return 0;
}

/* --security-opt apparmor=NAME (docker also takes apparmor:NAME): NAME, or NULL. */
static const char *asked(const json_t *hc)
{
    size_t i;
    json_t *v;
    const char *name = NULL;
    json_array_foreach(json_object_get(hc, "SecurityOpt"), i, v)
    {
        const char *s = json_string_value(v);
        if (s && (strncmp(s, "apparmor=", 9) == 0 || strncmp(s, "apparmor:", 9) == 0))
            name = s + 9;
    }
    return name;
}

int apparmor_for(const json_t *hc, const char *dir, const char **ret_spec,
                 const char **ret_record, struct hk_error *err)
{
    const char *name = asked(hc);
    if (json_is_true(json_object_get(hc, "Privileged")))
        name = "unconfined";
    bool on = lsm_apparmor_enabled();
    *ret_spec = NULL;
    *ret_record = name ? name : "";
    if (!on)
        return 0;
    if (!name) {
        int r = load_default(dir, err);
        if (r < 0)
            return r;
        name = APPARMOR_DEFAULT_PROFILE;
    }
    *ret_spec = name;
    *ret_record = name;
    return 0;
}
