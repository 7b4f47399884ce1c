/* lazy.c — dlopen() on first use; see lazy.h for why. */
#include "util/lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct lazy_lib {
    const char *soname;
    const char *package; /* the Debian package that ships it */
    void *handle;
};

static struct lazy_lib libs[] = {
    {LAZY_CURL, "libcurl4", NULL},
    {LAZY_ARCHIVE, "libarchive13", NULL},
    {LAZY_CRYPTO, "libssl3", NULL},
    {LAZY_CRIU, "criu", NULL},
    {LAZY_NFT, "libnftables1", NULL},
    {LAZY_APPARMOR, "libapparmor1", NULL},
    {LAZY_SELINUX, "libselinux1", NULL},
    {LAZY_MHD, "libmicrohttpd12", NULL},
    {LAZY_GNUTLS, "libgnutls30", NULL},
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct lazy_lib *find(const char *soname)
{
    for (size_t i = 0; i < ELEMENTSOF(libs); i++)
        if (strcmp(libs[i].soname, soname) == 0)
            return &libs[i];
    return NULL;
}

/* Load lib; on failure fill msg (when given) and return NULL. Only known sonames are cached;
 * others (used by tests to exercise the failure path) are opened and closed right away. */
static void *load(const char *soname, char *msg, size_t size)
{
    struct lazy_lib *l = find(soname);
    pthread_mutex_lock(&lock);
    void *h = l ? l->handle : NULL;
    if (!h) {
        h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!h && msg) {
            const char *why = dlerror();
            if (l)
                snprintf(msg, size, "%s not found: install %s (%s)", soname, l->package,
                         why ? why : "dlopen failed");
            else
                snprintf(msg, size, "%s not found (%s)", soname, why ? why : "dlopen failed");
        }
        if (h && l)
            l->handle = h;
    }
    pthread_mutex_unlock(&lock);
    if (h && !l) {
        dlclose(h);
        return (void *)1; /* loadable, but not ours to keep */
    }
    return h;
}

int lazy_require(const char *lib, struct hk_error *err)
{
    char msg[512];
    if (!load(lib, msg, sizeof(msg)))
        return hk_error_set(err, -ENOENT, "%s", msg);
    return 0;
}

void *lazy_sym(const char *lib, const char *name)
{
    char msg[512];
    void *h = load(lib, msg, sizeof(msg));
    if (!h) {
        fprintf(stderr, "hako: %s\n", msg);
        abort();
    }
    void *p = dlsym(h, name);
    if (!p) {
        fprintf(stderr, "hako: %s: symbol %s missing: %s\n", lib, name, dlerror());
        abort();
    }
    return p;
}
