/* sysctl.c — which namespace holds a linux.sysctl key, and whether the config gives the
 * container one of its own: a sysctl written without one changes the host (runc's rules,
 * libcontainer/configs/validate). */
#include <string.h>

#include "oci/spec.h"
#include "util/macro.h"

static const char *const ipc_keys[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shm_rmid_forced", "kernel.shmmni",
};

enum oci_ns_type spec_sysctl_namespace(const char *key)
{
    for (size_t i = 0; i < ELEMENTSOF(ipc_keys); i++)
        if (strcmp(key, ipc_keys[i]) == 0)
            return OCI_NS_IPC;
    if (strncmp(key, "fs.mqueue.", 10) == 0)
        return OCI_NS_IPC;
    if (strncmp(key, "net.", 4) == 0)
        return OCI_NS_NETWORK;
    if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
        return OCI_NS_UTS;
    return OCI_NS_COUNT;
}

static int check_one(const struct oci_spec *s, const struct oci_kv *kv, struct hk_error *err)
{
    char jp[JPATH_MAX];
    jpath_key(jp, sizeof(jp), "linux.sysctl", kv->key);
    enum oci_ns_type t = spec_sysctl_namespace(kv->key);
    if (t == OCI_NS_COUNT)
        return parse_error(&s->ctx, err, jp, "sysctl \"%s\" is not in a separate kernel namespace",
                           kv->key);
    if (strcmp(kv->key, "kernel.hostname") == 0)
        return parse_error(&s->ctx, err, jp,
                           "sysctl \"%s\" is not allowed as it conflicts with the OCI "
                           "\"hostname\" field",
                           kv->key);
    if (!spec_namespace(s, t))
        return parse_error(&s->ctx, err, jp, "sysctl \"%s\" is not allowed in the hosts %s namespace",
                           kv->key, oci_ns_name(t));
    if (strcmp(kv->key, "kernel.domainname") == 0 && s->domainname &&
        strcmp(s->domainname, kv->value) != 0)
        return parse_error(&s->ctx, err, jp,
                           "sysctl \"%s\" (\"%s\") conflicts with the OCI \"domainname\" field "
                           "(\"%s\")",
                           kv->key, kv->value, s->domainname);
    return 0;
}

int spec_check_namespaced(const struct oci_spec *s, struct hk_error *err)
{
    if (s->domainname && s->domainname[0] && !spec_namespace(s, OCI_NS_UTS))
        return parse_error(&s->ctx, err, "domainname",
                           "setting a domainname needs a uts namespace");
    for (size_t i = 0; i < s->linux_.n_sysctl; i++) {
        int r = check_one(s, &s->linux_.sysctl[i], err);
        if (r < 0)
            return r;
    }
    return 0;
}
