/* Model-file headers (trainer.h): a round trip, and the damage a reader
 * must refuse with the file named. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "trainer.h"

static FILE *with_bytes(const void *p, size_t n)
{
    FILE *f = tmpfile();
    CHECK(f);
    CHECK_EQ(fwrite(p, 1, n, f), n);
    rewind(f);
    return f;
}

int main(void)
{
    pz_value *h = pz_value_map();
    pz_map_set(h, "trainer", pz_value_str("resnet"));
    pz_map_set(h, "format", pz_value_int(3));
    pz_value *params = pz_value_map();
    pz_map_set(params, "lr", pz_value_double(0.001));
    pz_map_set(h, "params", params);

    FILE *f = tmpfile();
    CHECK(f);
    pz_error err;
    CHECK_EQ(pz_model_header_write(f, h, &err), PZ_OK);
    fputs("payload", f);
    long size = ftell(f);
    rewind(f);
    pz_value *back = NULL;
    CHECK_EQ(pz_model_header_read(f, "m.pzm", &back, &err), PZ_OK);
    CHECK(pz_value_equal(h, back));
    char rest[16] = "";
    CHECK(fgets(rest, sizeof rest, f));
    CHECK(strcmp(rest, "payload") == 0);
    pz_value_free(back);

    /* Every truncation of the header is refused, naming the file. */
    char whole[4096];
    rewind(f);
    CHECK_EQ(fread(whole, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    size_t header_end = (size_t)size - strlen("payload");
    for (size_t cut = 0; cut < header_end; cut++) {
        FILE *t = with_bytes(whole, cut);
        CHECK_EQ(pz_model_header_read(t, "cut.pzm", &back, &err), PZ_EFORMAT);
        CHECK(back == NULL);
        CHECK(strstr(err.msg, "cut.pzm"));
        fclose(t);
    }
    /* Bad magic. */
    whole[0] = 'X';
    FILE *t = with_bytes(whole, (size_t)size);
    CHECK_EQ(pz_model_header_read(t, "bad.pzm", &back, &err), PZ_EFORMAT);
    CHECK(strstr(err.msg, "bad magic"));
    fclose(t);
    /* A header without a trainer name. */
    pz_map_del(h, "trainer");
    f = tmpfile();
    CHECK_EQ(pz_model_header_write(f, h, &err), PZ_OK);
    rewind(f);
    CHECK_EQ(pz_model_header_read(f, "anon.pzm", &back, &err), PZ_EFORMAT);
    CHECK(strstr(err.msg, "names no trainer"));
    fclose(f);
    pz_value_free(h);
    puts("test_model: ok");
    return 0;
}
