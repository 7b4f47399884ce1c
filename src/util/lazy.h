/* lazy.h — load libcurl, libarchive and libcrypto (and libapparmor, libselinux for a
 * container that asks for them) on first use instead of at process start.
 *
 * hako is also the OCI runtime, whose start time matters: linking these three libraries costs
 * ~6 ms of dynamic loading in every process, although only image commands use them. So hako
 * compiles against their headers only and src/util/lazy-{curl,archive,crypto}.c define each
 * library function it calls, under the library's own name and signature, as a forwarder that
 * dlopen()s the library once (RTLD_NOW|RTLD_LOCAL) and calls the real function.
 *
 * Call lazy_require() before the first use of a library: a missing library then becomes an
 * ordinary error ("libcurl.so.4 not found: install libcurl4"). A forwarder reached without it
 * on a machine that lacks the library prints that message and aborts. */
#pragma once

#include "util/error.h"

#define LAZY_CURL "libcurl.so.4"
#define LAZY_ARCHIVE "libarchive.so.13"
#define LAZY_CRYPTO "libcrypto.so.3"
#define LAZY_CRIU "libcriu.so.2"
#define LAZY_NFT "libnftables.so.1"
#define LAZY_APPARMOR "libapparmor.so.1"
#define LAZY_SELINUX "libselinux.so.1"
#define LAZY_MHD "libmicrohttpd.so.12"
#define LAZY_GNUTLS "libgnutls.so.30"

/* Load the shared library lib (a soname such as LAZY_CURL) if it is not loaded yet. Returns 0,
 * or -ENOENT with a message naming the library and the Debian package that provides it. */
int lazy_require(const char *lib, struct hk_error *err);

/* The address of symbol name in lib, loading lib when needed. Never returns NULL: a missing
 * library or symbol is reported on stderr and the process aborts (a packaging bug). */
void *lazy_sym(const char *lib, const char *name);

/* Define `ret name params` as a forwarder to the real name in lib. params is the parenthesized
 * parameter list with names, args the parenthesized argument list. */
#define LAZY_FN(lib, ret, name, params, args)                                                      \
    ret name params                                                                                \
    {                                                                                              \
        static ret(*real) params;                                                                  \
        if (!real)                                                                                 \
            *(void **)&real = lazy_sym(lib, #name);                                                \
        return real args;                                                                          \
    }

/* The same for functions returning void. */
#define LAZY_VOID(lib, name, params, args)                                                         \
    void name params                                                                               \
    {                                                                                              \
        static void(*real) params;                                                                 \
        if (!real)                                                                                 \
            *(void **)&real = lazy_sym(lib, #name);                                                \
        real args;                                                                                 \
    }
