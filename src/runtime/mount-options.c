#include "runtime/mount-options.h"

#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "util/fs.h"

static const struct {
    const char *name;
    unsigned long set, clear;
} flag_opts[] = {
    {"async", 0, MS_SYNCHRONOUS},
    {"atime", 0, MS_NOATIME},
    {"defaults", 0, 0},
    {"dev", 0, MS_NODEV},
    {"diratime", 0, MS_NODIRATIME},
    {"dirsync", MS_DIRSYNC, 0},
    {"exec", 0, MS_NOEXEC},
    {"iversion", MS_I_VERSION, 0},
    {"lazytime", MS_LAZYTIME, 0},
    {"loud", 0, MS_SILENT},
    {"mand", MS_MANDLOCK, 0},
    {"noatime", MS_NOATIME, 0},
    {"nodev", MS_NODEV, 0},
    {"nodiratime", MS_NODIRATIME, 0},
    {"noexec", MS_NOEXEC, 0},
    {"noiversion", 0, MS_I_VERSION},
    {"nolazytime", 0, MS_LAZYTIME},
    {"nomand", 0, MS_MANDLOCK},
    {"norelatime", 0, MS_RELATIME},
    {"nostrictatime", 0, MS_STRICTATIME},
    {"nosuid", MS_NOSUID, 0},
    {"nosymfollow", MS_NOSYMFOLLOW, 0},
    {"relatime", MS_RELATIME, 0},
    {"remount", MS_REMOUNT, 0},
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"silent", MS_SILENT, 0},
    {"strictatime", MS_STRICTATIME, 0},
    {"suid", 0, MS_NOSUID},
    {"sync", MS_SYNCHRONOUS, 0},
};

static const struct {
    const char *name;
    unsigned long flags;
} propagation_opts[] = {
    {"private", MS_PRIVATE},
    {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},
    {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE},
    {"runbindable", MS_UNBINDABLE | MS_REC},
};

static const struct {
    const char *name;
    uint64_t set, clear;
} attr_opts[] = {
    {"rro", MOUNT_ATTR_RDONLY, 0},
    {"rrw", 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOUNT_ATTR_NOSUID, 0},
    {"rsuid", 0, MOUNT_ATTR_NOSUID},
    {"rnodev", MOUNT_ATTR_NODEV, 0},
    {"rdev", 0, MOUNT_ATTR_NODEV},
    {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
    {"rexec", 0, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
    {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rnorelatime", 0, MOUNT_ATTR_RELATIME},
    {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"ratime", 0, MOUNT_ATTR_NOATIME},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"rnostrictatime", 0, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
};

static bool match_flag(const char *o, struct mount_opts *m)
{
    for (size_t i = 0; i < ELEMENTSOF(flag_opts); i++)
        if (strcmp(o, flag_opts[i].name) == 0) {
            m->flags = (m->flags & ~flag_opts[i].clear) | flag_opts[i].set;
            m->clear = (m->clear & ~flag_opts[i].set) | flag_opts[i].clear;
            return true;
        }
    for (size_t i = 0; i < ELEMENTSOF(propagation_opts); i++)
        if (strcmp(o, propagation_opts[i].name) == 0) {
            m->propagation = propagation_opts[i].flags;
            return true;
        }
    for (size_t i = 0; i < ELEMENTSOF(attr_opts); i++)
        if (strcmp(o, attr_opts[i].name) == 0) {
            m->attr_set = (m->attr_set & ~attr_opts[i].clear) | attr_opts[i].set;
            m->attr_clr = (m->attr_clr & ~attr_opts[i].set) | attr_opts[i].clear;
            return true;
        }
    return false;
}

void mount_opts_parse(char *const *options, struct mount_opts *m)
{
    memset(m, 0, sizeof(*m));
    size_t cap = 1;
    for (size_t i = 0; options && options[i]; i++)
        cap += strlen(options[i]) + 1;
    char *data = xcalloc(1, cap);
    size_t n = 0;
    for (size_t i = 0; options && options[i]; i++) {
        const char *o = options[i];
        if (strcmp(o, "bind") == 0) {
            m->bind = true;
        } else if (strcmp(o, "rbind") == 0) {
            m->bind = m->rec = true;
        } else if (strcmp(o, "idmap") == 0) {
            m->idmap = true;
        } else if (strcmp(o, "ridmap") == 0) {
            m->idmap = m->rec = true;
        } else if (strcmp(o, "tmpcopyup") == 0) {
            m->tmpcopyup = true;
        } else if (!match_flag(o, m)) {
            if (n)
                data[n++] = ',';
            size_t l = strlen(o);
            memcpy(data + n, o, l);
            n += l;
        }
    }
    data[n] = '\0';
    if (n == 0) {
        free(data);
        data = NULL;
    }
    m->data = data;
}

void mount_opts_done(struct mount_opts *o)
{
    free(o->data);
    o->data = NULL;
}
