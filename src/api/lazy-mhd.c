/* lazy-mhd.c — libmicrohttpd and GnuTLS forwarders (see util/lazy.h): only `hako system
 * service` loads them (with p11-kit, nettle, gmp, idn2, ...), never the OCI runtime or the CLI.
 * api_serve() calls lazy_require() for both first. */
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdarg.h>

#include "util/lazy.h"

#define L LAZY_MHD

/* clang-format off */
LAZY_FN(L, enum MHD_Result, MHD_add_response_header,
        (struct MHD_Response *r, const char *h, const char *v), (r, h, v))
LAZY_FN(L, struct MHD_Response *, MHD_create_response_from_buffer,
        (size_t size, void *buf, enum MHD_ResponseMemoryMode mode), (size, buf, mode))
LAZY_FN(L, struct MHD_Response *, MHD_create_response_from_callback,
        (uint64_t size, size_t block, MHD_ContentReaderCallback crc, void *cls,
         MHD_ContentReaderFreeCallback crfc), (size, block, crc, cls, crfc))
LAZY_FN(L, struct MHD_Response *, MHD_create_response_for_upgrade,
        (MHD_UpgradeHandler h, void *cls), (h, cls))
LAZY_FN(L, enum MHD_Result, MHD_queue_response,
        (struct MHD_Connection *c, unsigned int status, struct MHD_Response *r), (c, status, r))
LAZY_VOID(L, MHD_destroy_response, (struct MHD_Response *r), (r))
LAZY_FN(L, const char *, MHD_lookup_connection_value,
        (struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key), (c, kind, key))
LAZY_FN(L, int, MHD_get_connection_values,
        (struct MHD_Connection *c, enum MHD_ValueKind kind, MHD_KeyValueIterator it, void *cls),
        (c, kind, it, cls))
LAZY_FN(L, MHD_socket, MHD_quiesce_daemon, (struct MHD_Daemon *d), (d))
LAZY_FN(LAZY_GNUTLS, int, gnutls_certificate_verify_peers2,
        (gnutls_session_t s, unsigned int *status), (s, status))
/* clang-format on */

/* The variadic ones. MHD_start_daemon goes through its va_list form; the two below are called
 * by hako only with information types and actions that take no further arguments
 * (MHD_CONNECTION_INFO_GNUTLS_SESSION, MHD_UPGRADE_ACTION_CLOSE), so none are passed on. */
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
                                    void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls,
                                    ...)
{
    static struct MHD_Daemon *(*real)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *,
                                      MHD_AccessHandlerCallback, void *, va_list);
    if (!real)
        *(void **)&real = lazy_sym(L, "MHD_start_daemon_va");
    va_list ap;
    va_start(ap, dh_cls);
    struct MHD_Daemon *d = real(flags, port, apc, apc_cls, dh, dh_cls, ap);
    va_end(ap);
    return d;
}

const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *c,
                                                        enum MHD_ConnectionInfoType type, ...)
{
    static const union MHD_ConnectionInfo *(*real)(struct MHD_Connection *,
                                                   enum MHD_ConnectionInfoType, ...);
    if (!real)
        *(void **)&real = lazy_sym(L, "MHD_get_connection_info");
    return real(c, type);
}

enum MHD_Result MHD_upgrade_action(struct MHD_UpgradeResponseHandle *urh,
                                   enum MHD_UpgradeAction action, ...)
{
    static enum MHD_Result (*real)(struct MHD_UpgradeResponseHandle *, enum MHD_UpgradeAction,
                                   ...);
    if (!real)
        *(void **)&real = lazy_sym(L, "MHD_upgrade_action");
    return real(urh, action);
}
