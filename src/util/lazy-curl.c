/* lazy-curl.c — libcurl forwarders (see lazy.h). Each function hako calls is listed once. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdarg.h>

#include "util/lazy.h"

#define L LAZY_CURL

/* clang-format off */
LAZY_FN(L, CURLcode, curl_global_init, (long flags), (flags))
LAZY_FN(L, CURL *, curl_easy_init, (void), ())
LAZY_FN(L, CURLcode, curl_easy_perform, (CURL *c), (c))
LAZY_VOID(L, curl_easy_cleanup, (CURL *c), (c))
LAZY_FN(L, const char *, curl_easy_strerror, (CURLcode code), (code))
LAZY_FN(L, char *, curl_easy_escape, (CURL *c, const char *s, int len), (c, s, len))
LAZY_VOID(L, curl_free, (void *p), (p))
LAZY_FN(L, struct curl_slist *, curl_slist_append, (struct curl_slist *l, const char *s), (l, s))
LAZY_VOID(L, curl_slist_free_all, (struct curl_slist *l), (l))
LAZY_FN(L, CURLM *, curl_multi_init, (void), ())
LAZY_FN(L, CURLMcode, curl_multi_cleanup, (CURLM *m), (m))
LAZY_FN(L, CURLMcode, curl_multi_add_handle, (CURLM *m, CURL *c), (m, c))
LAZY_FN(L, CURLMcode, curl_multi_remove_handle, (CURLM *m, CURL *c), (m, c))
LAZY_FN(L, CURLMcode, curl_multi_perform, (CURLM *m, int *running), (m, running))
LAZY_FN(L, CURLMcode, curl_multi_poll,
        (CURLM *m, struct curl_waitfd extra[], unsigned n, int timeout_ms, int *ret),
        (m, extra, n, timeout_ms, ret))
LAZY_FN(L, CURLMsg *, curl_multi_info_read, (CURLM *m, int *left), (m, left))
LAZY_FN(L, const char *, curl_multi_strerror, (CURLMcode code), (code))
LAZY_FN(L, CURLSH *, curl_share_init, (void), ())
/* clang-format on */

typedef void (*any_fn)(void);

/* curl_easy_setopt and curl_multi_setopt are variadic: the option number says the argument's
 * type, in bands of 10000 (CURLOPTTYPE_LONG, OBJECTPOINT, FUNCTIONPOINT, OFF_T, BLOB). Read
 * the right type and pass it on, so the real function's va_arg sees what the caller passed. */
#define FORWARD_BY_OPTION_TYPE(ret, real, handle, option, ap)                                      \
    switch (((option) / 10000) * 10000) {                                                          \
    case CURLOPTTYPE_LONG:                                                                         \
        ret = real(handle, option, va_arg(ap, long));                                              \
        break;                                                                                     \
    case CURLOPTTYPE_FUNCTIONPOINT:                                                                \
        ret = real(handle, option, va_arg(ap, any_fn));                                            \
        break;                                                                                     \
    case CURLOPTTYPE_OFF_T:                                                                        \
        ret = real(handle, option, va_arg(ap, curl_off_t));                                        \
        break;                                                                                     \
    default: /* OBJECTPOINT (strings, lists, callback data) and BLOB (struct curl_blob *) */       \
        ret = real(handle, option, va_arg(ap, void *));                                            \
        break;                                                                                     \
    }

CURLcode curl_easy_setopt(CURL *c, CURLoption option, ...)
{
    static CURLcode (*real)(CURL *, CURLoption, ...);
    if (!real)
        *(void **)&real = lazy_sym(L, "curl_easy_setopt");
    va_list ap;
    va_start(ap, option);
    CURLcode r;
    FORWARD_BY_OPTION_TYPE(r, real, c, option, ap)
    va_end(ap);
    return r;
}

/* Every CURLINFO type takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
    static CURLcode (*real)(CURL *, CURLINFO, ...);
    if (!real)
        *(void **)&real = lazy_sym(L, "curl_easy_getinfo");
    va_list ap;
    va_start(ap, info);
    CURLcode r = real(c, info, va_arg(ap, void *));
    va_end(ap);
    return r;
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption option, ...)
{
    static CURLMcode (*real)(CURLM *, CURLMoption, ...);
    if (!real)
        *(void **)&real = lazy_sym(L, "curl_multi_setopt");
    va_list ap;
    va_start(ap, option);
    CURLMcode r;
    FORWARD_BY_OPTION_TYPE(r, real, m, option, ap)
    va_end(ap);
    return r;
}

/* CURLSHOPT_SHARE and CURLSHOPT_UNSHARE take a curl_lock_data (an int through varargs); the
 * other options take pointers. */
CURLSHcode curl_share_setopt(CURLSH *sh, CURLSHoption option, ...)
{
    static CURLSHcode (*real)(CURLSH *, CURLSHoption, ...);
    if (!real)
        *(void **)&real = lazy_sym(L, "curl_share_setopt");
    va_list ap;
    va_start(ap, option);
    CURLSHcode r = option == CURLSHOPT_SHARE || option == CURLSHOPT_UNSHARE
                       ? real(sh, option, va_arg(ap, int))
                       : real(sh, option, va_arg(ap, void *));
    va_end(ap);
    return r;
}
