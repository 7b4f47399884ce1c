/* Unit tests for image/store: blobs verified on write, nothing published on a mismatch,
 * records updated atomically. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "image/image.h"
#include "image/store.h"
#include "util/fs.h"

#define ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static size_t count(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static int setup(void **state)
{
    char *dir = strdup("/tmp/hako-test-store-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    struct store *s = NULL;
    if (store_open(dir, &s, NULL) < 0)
        return -1;
    free(dir);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct store *s = *state;
    rm_rf(s->root);
    store_free(s);
    return 0;
}

static void test_blobs(void **state)
{
    struct store *s = *state;
    struct hk_error err = {0};
    char d[DIGEST_STR_SIZE];
    assert_int_equal(store_put_blob(s, "abc", 3, ABC, d, &err), 0);
    assert_string_equal(d, ABC);
    assert_true(store_has_blob(s, ABC));
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(store_read_blob(s, ABC, 100, &buf, &len, &err), 0);
    assert_memory_equal(buf, "abc", 3);
    free(buf);
    /* wrong content for the expected digest: refused, nothing stored */
    assert_int_equal(store_put_blob(s, "abd", 3,
                                    "sha256:"
                                    "00000000000000000000000000000000"
                                    "00000000000000000000000000000000",
                                    NULL, &err),
                     -EBADMSG);
    char *blobs = xasprintf("%s/blobs/sha256", s->root);
    assert_int_equal(count(blobs), 1);
    /* a streamed blob: too long, and the wrong size */
    struct blob_writer *w = NULL;
    assert_int_equal(blob_writer_new(s, ABC, 3, 3, &w, &err), 0);
    assert_int_equal(blob_writer_write(w, "abcd", 4, &err), -EFBIG);
    blob_writer_free(w);
    assert_int_equal(blob_writer_new(s, ABC, 3, 3, &w, &err), 0);
    assert_int_equal(blob_writer_write(w, "ab", 2, &err), 0);
    assert_int_equal(blob_writer_commit(w, NULL, &err), -EBADMSG);
    assert_non_null(strstr(err.msg, "size mismatch"));
    char *tmp = xasprintf("%s/tmp", s->root);
    assert_int_equal(count(tmp), 0); /* no temporary file left */
    assert_int_equal(count(blobs), 1);
    free(tmp);
    free(blobs);
}

static int add_tag(json_t *records, void *ud, struct hk_error *err)
{
    (void)err;
    json_object_set_new(json_object_get(records, "tags"), ud, json_string(ABC));
    return 0;
}

static int refuse(json_t *records, void *ud, struct hk_error *err)
{
    (void)ud;
    json_object_clear(records);
    return hk_error_set(err, -EPERM, "no");
}

static void test_records(void **state)
{
    struct store *s = *state;
    struct hk_error err = {0};
    json_t *r = NULL;
    assert_int_equal(store_records_load(s, &r, &err), 0);
    assert_int_equal(json_object_size(json_object_get(r, "tags")), 0);
    json_decref(r);
    assert_int_equal(store_records_update(s, add_tag, "x:1", &err), 0);
    assert_int_equal(store_records_update(s, refuse, NULL, &err), -EPERM);
    assert_int_equal(store_records_load(s, &r, &err), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "tags"), "x:1")), ABC);
    json_decref(r);
}

static int add_image(json_t *records, void *ud, struct hk_error *err)
{
    (void)ud;
    (void)err;
    json_object_set_new(json_object_get(records, "images"), ABC,
                        json_pack("{s:[], s:[]}", "layers", "repo_digests"));
    json_object_set_new(json_object_get(records, "tags"), "docker.io/library/x:1",
                        json_string(ABC));
    return 0;
}

static int held_by_web(const char *id, void *ud, char **ret_holder)
{
    (*(int *)ud)++;
    assert_string_equal(id, ABC);
    *ret_holder = xstrdup("container 'web'");
    return 1;
}

/* rmi refuses an image a container uses; forced, it only untags it. */
static void test_remove_holders(void **state)
{
    struct store *s = *state;
    struct hk_error err = {0};
    int calls = 0;
    struct image_removal res = {0};
    assert_int_equal(store_records_update(s, add_image, NULL, &err), 0);
    store_set_holders(s, held_by_web, &calls);
    assert_int_equal(image_remove(s, "x:1", false, &res, &err), -EBUSY);
    assert_non_null(strstr(err.msg, "container 'web' is using it"));
    assert_int_equal(calls, 1);
    assert_int_equal(image_remove(s, "x:1", true, &res, &err), 0);
    assert_int_equal(json_array_size(res.untagged), 1);
    assert_null(res.deleted); /* the container keeps its image */
    image_removal_clear(&res);
    json_t *r = NULL;
    assert_int_equal(store_records_load(s, &r, &err), 0);
    assert_non_null(json_object_get(json_object_get(r, "images"), ABC));
    json_decref(r);
    /* without users it goes */
    store_set_holders(s, NULL, NULL);
    assert_int_equal(image_remove(s, &ABC[7], false, &res, &err), 0);
    assert_string_equal(res.deleted, ABC);
    image_removal_clear(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_holders, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
