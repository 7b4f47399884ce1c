/* Unit tests for a container's changes carried as a layer (engine checkpoint export/import):
 * layer_write of a tree and layer_unpack's deletions mode onto a root filesystem view. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/layer-create.h"
#include "image/layer.h"
#include "util/fs.h"
#include "util/lazy.h"

static char *tmp_dir(const char *what)
{
    char *p = xasprintf("/tmp/hako-unit-%s-XXXXXX", what);
    assert_non_null(mkdtemp(p));
    return p;
}

static void put(const char *dir, const char *name, const char *text)
{
    char *p = xasprintf("%s/%s", dir, name);
    struct hk_error err = {0};
    assert_int_equal(write_file_replace(p, text, strlen(text), 0644, &err), 0);
    free(p);
}

static bool has(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    bool r = path_exists(p);
    free(p);
    return r;
}

static void unpack_deletions(int fd, const char *dest)
{
    int dfd = open(dest, O_RDONLY | O_DIRECTORY);
    struct layer_unpack_opts lo = {.name = "diff", .deletions = true};
    struct hk_error err = {0};
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    if (layer_unpack(fd, dfd, &lo, NULL, &err) < 0)
        fail_msg("unpack: %s", err.msg);
    close(dfd);
}

/* A whole tree with an opaque root replaces what the destination held. */
static void test_opaque_root_replaces_everything(void **state)
{
    (void)state;
    char *src = tmp_dir("src"), *dst = tmp_dir("dst");
    char *sd = xasprintf("%s/d", src), *dd = xasprintf("%s/d", dst);
    assert_int_equal(mkdir(sd, 0755), 0);
    assert_int_equal(mkdir(dd, 0755), 0);
    put(src, "a.txt", "new a\n");
    put(src, "d/b.txt", "b\n");
    put(dst, "a.txt", "old a\n");
    put(dst, "old.txt", "gone\n");
    put(dst, "d/stale.txt", "gone\n");
    int sfd = open(src, O_RDONLY | O_DIRECTORY);
    int out = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    struct layer_create_opts o = {.compression = LAYER_UNCOMPRESSED, .opaque_root = true};
    struct hk_error err = {0};
    if (layer_write(sfd, &o, out, &err) < 0)
        fail_msg("write: %s", err.msg);
    unpack_deletions(out, dst);
    char *text = NULL, *a = xasprintf("%s/a.txt", dst);
    assert_int_equal(read_file(a, 100, &text, NULL, NULL), 0);
    assert_string_equal(text, "new a\n");
    assert_true(has(dst, "d/b.txt"));
    assert_false(has(dst, "old.txt"));
    assert_false(has(dst, "d/stale.txt"));
    close(sfd);
    close(out);
    rm_rf(src);
    rm_rf(dst);
    free(text), free(a), free(sd), free(dd), free(src), free(dst);
}

static void add_entry(struct archive *a, const char *name, const char *text, unsigned type)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e, text ? (la_int64_t)strlen(text) : 0);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (text)
        assert_int_equal(archive_write_data(a, text, strlen(text)), (la_ssize_t)strlen(text));
    archive_entry_free(e);
}

/* ".wh.NAME" removes NAME; ".wh..wh..opq" empties its directory before what follows. */
static void test_whiteouts_are_deletions(void **state)
{
    (void)state;
    struct hk_error err = {0};
    assert_int_equal(lazy_require(LAZY_ARCHIVE, &err), 0);
    char *dst = tmp_dir("wh");
    char *sub = xasprintf("%s/sub", dst), *keep = xasprintf("%s/keep", dst);
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(mkdir(keep, 0755), 0);
    put(dst, "vi", "x");
    put(dst, "sub/old", "x");
    put(dst, "keep/stays", "x");
    int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
    add_entry(a, ".wh.vi", "", AE_IFREG);
    add_entry(a, "sub/", NULL, AE_IFDIR);
    add_entry(a, "sub/.wh..wh..opq", "", AE_IFREG);
    add_entry(a, "sub/new", "n", AE_IFREG);
    add_entry(a, "added", "a", AE_IFREG);
    archive_write_close(a);
    archive_write_free(a);
    unpack_deletions(fd, dst);
    assert_false(has(dst, "vi"));
    assert_false(has(dst, ".wh.vi"));
    assert_false(has(dst, "sub/old"));
    assert_true(has(dst, "sub/new"));
    assert_false(has(dst, "sub/.wh..wh..opq"));
    assert_true(has(dst, "keep/stays"));
    assert_true(has(dst, "added"));
    close(fd);
    rm_rf(dst);
    free(sub), free(keep), free(dst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opaque_root_replaces_everything),
        cmocka_unit_test(test_whiteouts_are_deletions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
