/* Study scripts: every malformed script in tests/scripts/bad is refused
 * with its file, the expected line and the expected words (each file says
 * what it expects in its first two lines); good scripts load with the
 * labels, config and positions they should have. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sample.h"
#include "script.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void expect_of(const char *path, int *line, char *text, size_t n)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char buf[512];
    CHECK(fgets(buf, sizeof buf, f) && sscanf(buf, "-- expect-line: %d", line) == 1);
    CHECK(fgets(buf, sizeof buf, f) && strncmp(buf, "-- expect: ", 11) == 0);
    buf[strcspn(buf, "\n")] = '\0';
    snprintf(text, n, "%s", buf + 11);
    fclose(f);
}

static int check_bad_scripts(const char *src)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/scripts/bad", src);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".lua") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    for (size_t i = 0; i < n; i++) {
        char path[1400], want[512], where[1500], text[PZ_ERRMSG_MAX + PZ_WHERE_MAX + 4];
        int line;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        expect_of(path, &line, want, sizeof want);
        pz_script *s = (pz_script *)1;
        pz_error err;
        pz_error_clear(&err);
        int rc = pz_script_load(&s, path, &err);
        printf("%-24s -> %s\n", names[i], pz_error_format(&err, text, sizeof text));
        CHECK(rc < 0);
        CHECK(s == NULL);
        CHECK_EQ(err.code, rc);
        if (line > 0)
            snprintf(where, sizeof where, "%s:%d", path, line);
        else
            snprintf(where, sizeof where, "%s", path);
        CHECK_STR(err.where, where);
        CHECK_CONTAINS(err.msg, want);
        free(names[i]);
    }
    return (int)n;
}

static void check_cifar_space(const char *src)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/spaces/cifar100_resnet.lua", src);
    pz_script *s;
    pz_error err;
    pz_error_clear(&err);
    CHECK_OK(pz_script_load(&s, path, &err));
    CHECK_STR(pz_script_name(s), "cifar100-resnet");
    const pz_space *sp = pz_script_space(s);
    /* 19 parameters, three of which hold a nested label. */
    CHECK_EQ(pz_space_nlabels(sp), 22);
    CHECK_EQ(pz_space_root(sp)->kind, PZ_NODE_MAP);
    CHECK_EQ(pz_space_root(sp)->n, 19);
    int i = pz_space_find(sp, "batch_size");
    CHECK(i >= 0);
    const pz_node *bs = pz_space_label(sp, (size_t)i);
    CHECK_EQ(bs->kind, PZ_NODE_QUNIFORM);
    CHECK_NEAR(bs->low, 100, 0);
    CHECK_NEAR(bs->high, 450, 0);
    CHECK_NEAR(bs->q, 5, 0);
    char where[1100];
    snprintf(where, sizeof where, "%s:16", path);
    CHECK_STR(bs->where, where);
    const pz_node *ru = pz_space_label(sp, (size_t)pz_space_find(sp, "residual_units"));
    CHECK_NEAR(ru->low, 0.501, 1e-15);
    CHECK_NEAR(ru->high, 4.499, 1e-15);
    const pz_value *cfg = pz_script_config(s);
    CHECK_STR(pz_map_get(cfg, "objective")->u.s.ptr, "resnet");
    CHECK_EQ(pz_map_get(cfg, "max_evals")->u.i, 100);
    CHECK_EQ(pz_map_get(pz_map_get(cfg, "trainer"), "epochs")->type, PZ_INT);
    CHECK(pz_map_get(cfg, "space") == NULL);
    CHECK(!pz_script_has_lua_objective(s));
    pz_script_free(s);
}

static void check_shared(const char *src)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/scripts/good/shared.lua", src);
    pz_script *s;
    pz_error err;
    pz_error_clear(&err);
    CHECK_OK(pz_script_load(&s, path, &err));
    CHECK_STR(pz_script_name(s), "shared");
    const pz_space *sp = pz_script_space(s);
    CHECK_EQ(pz_space_nlabels(sp), 2); /* width once, depth */
    gsl_rng *r = pz_rng_new(11, 0);
    for (int k = 0; k < 50; k++) {
        pz_value *vals, *params;
        CHECK_OK(pz_space_sample(sp, r, &vals, &err));
        CHECK_OK(pz_space_eval(sp, vals, &params, &err));
        const pz_value *we = pz_map_get(pz_map_get(params, "encoder"), "width");
        const pz_value *wd = pz_map_get(pz_map_get(params, "decoder"), "width");
        CHECK(pz_value_equal(we, wd));
        const pz_value *tags = pz_map_get(params, "tags");
        CHECK_EQ(tags->type, PZ_LIST);
        CHECK_EQ(tags->u.list.len, 5);
        CHECK_EQ(tags->u.list.items[1]->type, PZ_INT);
        CHECK_EQ(tags->u.list.items[2]->type, PZ_DOUBLE);
        CHECK_EQ(tags->u.list.items[4]->type, PZ_NONE);
        int64_t depth = pz_map_get(pz_map_get(params, "encoder"), "depth")->u.i;
        CHECK(depth >= 1 && depth < 4);
        pz_value_free(vals);
        pz_value_free(params);
    }
    gsl_rng_free(r);
    const pz_value *tr = pz_map_get(pz_script_config(s), "trainer");
    CHECK_EQ(pz_map_get(tr, "sizes")->type, PZ_LIST);
    CHECK_EQ(pz_map_get(pz_script_config(s), "seed")->u.i, 11);
    pz_script_free(s);
}

static void check_missing_file(void)
{
    pz_script *s;
    pz_error err;
    pz_error_clear(&err);
    CHECK_EQ(pz_script_load(&s, "/nonexistent/study.lua", &err), PZ_EIO);
    CHECK_CONTAINS(err.msg, "/nonexistent/study.lua");
}

int main(void)
{
    const char *src = getenv("PZ_SOURCE_DIR");
    if (!src)
        src = ".";
    int n = check_bad_scripts(src);
    CHECK_GE(n, 15);
    check_cifar_space(src);
    check_shared(src);
    check_missing_file();
    printf("%d malformed scripts refused with file, line and reason\n", n);
    return 0;
}
