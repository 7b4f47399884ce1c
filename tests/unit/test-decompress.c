/* Unit tests for image/decompress: the bound on what a stream may expand to (a memfd of zeros
 * stands in for the archive). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image/decompress.h"

/* A memfd holding `size` plain bytes of zeros (libarchive detects "no compression"). */
static int zeros(size_t size)
{
    int fd = memfd_create("zeros", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    return fd;
}

/* Read everything; returns the total or the (negative) error. */
static long long drain(struct dstream *d, struct hk_error *err)
{
    static char buf[1 << 16];
    long long total = 0;
    for (;;) {
        ssize_t n = dstream_read(d, buf, sizeof(buf), err);
        if (n <= 0)
            return n < 0 ? n : total;
        total += n;
    }
}

static void test_maximum(void **state)
{
    (void)state;
    int fd = zeros(4 << 20);
    struct hk_error err = {0};
    struct dstream *d = NULL;
    assert_int_equal(dstream_open(fd, &d, &err), 0);
    struct expand_limit lim = {.max = 1 << 20, .fs_fd = -1};
    assert_int_equal(dstream_set_limit(d, &lim, &err), 0);
    assert_int_equal(drain(d, &err), -EFBIG);
    assert_non_null(strstr(err.msg, "expands to more than 1.05MB (1048576 bytes), the maximum"));
    assert_true(dstream_bytes(d) <= (1 << 20) + (1 << 16)); /* stopped early */
    dstream_free(d);
    close(fd);
}

static void test_within_bounds(void **state)
{
    (void)state;
    int fd = zeros(3 << 20);
    struct hk_error err = {0};
    struct dstream *d = NULL;
    assert_int_equal(dstream_open(fd, &d, &err), 0);
    struct expand_limit lim = {.max = 3 << 20, .fs_fd = -1}; /* exactly the size: allowed */
    assert_int_equal(dstream_set_limit(d, &lim, &err), 0);
    assert_int_equal(drain(d, &err), 3 << 20);
    dstream_free(d);
    close(fd);
    fd = zeros(1 << 20); /* no limit at all */
    assert_int_equal(dstream_open(fd, &d, &err), 0);
    assert_int_equal(dstream_set_limit(d, NULL, &err), 0);
    assert_int_equal(drain(d, &err), 1 << 20);
    dstream_free(d);
    close(fd);
}

static void test_free_space(void **state)
{
    (void)state;
    /* a memfd's filesystem reports no blocks at all: nothing may be written there */
    int fs = memfd_create("fs", MFD_CLOEXEC);
    int fd = zeros(1 << 20);
    struct hk_error err = {0};
    struct dstream *d = NULL;
    assert_int_equal(dstream_open(fd, &d, &err), 0);
    struct expand_limit lim = {.max = 0, .fs_fd = fs, .fs_name = "/the/store"};
    assert_int_equal(dstream_set_limit(d, &lim, &err), 0);
    assert_int_equal(drain(d, &err), -ENOSPC);
    assert_non_null(strstr(err.msg, "expands to more than the free space on '/the/store'"));
    dstream_free(d);
    close(fd);
    close(fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maximum),
        cmocka_unit_test(test_within_bounds),
        cmocka_unit_test(test_free_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
