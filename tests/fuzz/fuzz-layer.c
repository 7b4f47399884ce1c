/* fuzz-layer.c — layer_unpack(): a layer archive (tar, possibly compressed) unpacked for real,
 * with owners and whiteouts, into a fresh directory. Input: the archive's bytes.
 *
 * The destination sits in a scratch directory next to a canary file and an empty directory;
 * after each input the scratch directory must hold exactly those, unchanged (no entry written,
 * linked or removed outside the layer), and the layer is removed. Device nodes an archive asks
 * for are created (hako runs as root) but never opened. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "image/layer.h"
#include "util/fs.h"

static int scratch = -1;
static char scratch_path[64];

static void cleanup(void)
{
    if (scratch_path[0])
        rm_rf(scratch_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(scratch_path, sizeof(scratch_path), "%s/hako-fuzz-layer.XXXXXX", base);
    FUZZ_CHECK(mkdtemp(scratch_path));
    atexit(cleanup);
    scratch = open(scratch_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    FUZZ_CHECK(scratch >= 0);
    int fd = openat(scratch, "canary", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    FUZZ_CHECK(fd >= 0 && write(fd, "canary", 6) == 6);
    close(fd);
    FUZZ_CHECK(mkdirat(scratch, "empty", 0755) == 0);
    return 0;
}

/* The scratch directory holds canary (as written, one link) and empty (still empty). */
static void check_scratch(void)
{
    struct stat st;
    FUZZ_CHECK(fstatat(scratch, "canary", &st, AT_SYMLINK_NOFOLLOW) == 0);
    FUZZ_CHECK(S_ISREG(st.st_mode) && st.st_size == 6 && st.st_nlink == 1 &&
               (st.st_mode & 07777) == 0644 && st.st_uid == geteuid());
    FUZZ_CHECK(fstatat(scratch, "empty", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode));
    FUZZ_CHECK(st.st_nlink == 2);
    DIR *d = fdopendir(dup(scratch));
    FUZZ_CHECK(d);
    rewinddir(d);
    size_t n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (strcmp(de->d_name, "canary") != 0 && strcmp(de->d_name, "empty") != 0) {
            fprintf(stderr, "layer: '%s' appeared outside the layer\n", de->d_name);
            abort();
        }
        n++;
    }
    closedir(d);
    FUZZ_CHECK(n == 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (scratch < 0)
        LLVMFuzzerInitialize(NULL, NULL);
    int in = memfd_create("fuzz-layer", MFD_CLOEXEC);
    FUZZ_CHECK(in >= 0 && write(in, data, size) == (ssize_t)size && lseek(in, 0, SEEK_SET) == 0);
    FUZZ_CHECK(mkdirat(scratch, "layer", 0755) == 0);
    int dest = openat(scratch, "layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    FUZZ_CHECK(dest >= 0);
    struct layer_unpack_opts o = {.name = "layer", .whiteouts = true, .owners = true};
    struct layer_stats st;
    struct hk_error err = {0};
    if (layer_unpack(in, dest, &o, &st, &err) < 0)
        FUZZ_CHECK(err.code < 0 && err.msg[0]);
    close(dest);
    close(in);
    FUZZ_CHECK(rm_rf_at(scratch, "layer") == 0);
    check_scratch();
    return 0;
}
