/* parzen: loading trainer plugins (see plugin.h). */
#define _POSIX_C_SOURCE 200809L
#include "plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

struct pz_plugin {
    void *handle;
    char *path;
    const pz_trainer *trainer;
};

/* The ABI-1 table ends with evaluate: a plugin built against an older,
 * shorter struct cannot be called through it. */
#define ABI1_SIZE (offsetof(pz_trainer, evaluate) + sizeof(((pz_trainer *)0)->evaluate))

int pz_plugin_open(pz_plugin **out, const char *path, pz_error *err)
{
    *out = NULL;
    dlerror();
    /* NODELETE: a trainer's libraries (BLIS, OpenMP) keep thread pools and
     * allocations in their globals; unmapping them on dlclose would strand
     * both. The handle is still released; the code stays mapped. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        const char *why = dlerror();
        return pz_error_set(err, PZ_EPLUGIN, "cannot load trainer plugin %s: %s", path,
                            why ? why : "unknown dlopen error");
    }
    /* dlsym returns a data pointer; POSIX guarantees it converts. */
    union { void *obj; pz_trainer_entry_fn fn; } entry;
    dlerror();
    entry.obj = dlsym(h, PZ_TRAINER_ENTRY);
    if (!entry.obj) {
        dlclose(h);
        return pz_error_set(err, PZ_EPLUGIN, "trainer plugin %s does not export %s()", path,
                            PZ_TRAINER_ENTRY);
    }
    const pz_trainer *t = entry.fn();
    int rc = PZ_OK;
    if (!t)
        rc = pz_error_set(err, PZ_EPLUGIN, "trainer plugin %s: %s() returned NULL", path,
                          PZ_TRAINER_ENTRY);
    else if (t->abi != PZ_TRAINER_ABI)
        rc = pz_error_set(err, PZ_EPLUGIN,
                          "trainer plugin %s was built for trainer ABI %u; this parzen speaks ABI %d "
                          "(rebuild the plugin against this parzen's trainer.h)",
                          path, (unsigned)t->abi, PZ_TRAINER_ABI);
    else if (t->struct_size < ABI1_SIZE)
        rc = pz_error_set(err, PZ_EPLUGIN,
                          "trainer plugin %s: its pz_trainer table is %u bytes, smaller than ABI %d's "
                          "%zu (rebuild the plugin)",
                          path, (unsigned)t->struct_size, PZ_TRAINER_ABI, ABI1_SIZE);
    else if (!t->name || !t->name[0] || !t->train)
        rc = pz_error_set(err, PZ_EPLUGIN, "trainer plugin %s: its table has no %s", path,
                          !t->train ? "train function" : "name");
    if (rc) {
        dlclose(h);
        return rc;
    }
    pz_plugin *p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path))) {
        free(p);
        dlclose(h);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    p->handle = h;
    p->trainer = t;
    *out = p;
    return PZ_OK;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Folder of the running executable, or "" when /proc cannot tell. */
static void exe_dir(char *buf, size_t n)
{
    buf[0] = '\0';
    char tmp[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", tmp, sizeof tmp - 1);
    if (len <= 0)
        return;
    tmp[len] = '\0';
    char *slash = strrchr(tmp, '/');
    if (!slash)
        return;
    *slash = '\0';
    snprintf(buf, n, "%s", tmp);
}

int pz_plugin_load(pz_plugin **out, const char *name, pz_error *err)
{
    *out = NULL;
    if (strchr(name, '/'))
        return pz_plugin_open(out, name, err);
    for (const char *c = name; *c; c++)
        if (!(*c == '_' || *c == '-' || *c == '.' || (*c >= '0' && *c <= '9') ||
              (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
            return pz_error_set(err, PZ_EINVAL,
                                "trainer name '%s' may only hold letters, digits, '.', '_' and '-' "
                                "(use a path with '/' for a file)",
                                name);
    pz_buf dirs; /* the folders tried, NUL-separated, in order */
    pz_buf_init(&dirs);
    const char *env = getenv("PARZEN_TRAINER_PATH");
    if (env && *env) {
        const char *p = env;
        for (;;) {
            const char *colon = strchr(p, ':');
            size_t l = colon ? (size_t)(colon - p) : strlen(p);
            if (l > 0 && (pz_buf_append(&dirs, p, l) || pz_buf_append(&dirs, "", 1)))
                goto nomem;
            if (!colon)
                break;
            p = colon + 1;
        }
    }
    char ed[PATH_MAX];
    exe_dir(ed, sizeof ed);
    if (ed[0] && (pz_buf_printf(&dirs, "%s/trainers", ed) || pz_buf_append(&dirs, "", 1) ||
                  pz_buf_printf(&dirs, "%s/../lib/parzen/trainers", ed) || pz_buf_append(&dirs, "", 1)))
        goto nomem;
    pz_buf tried;
    pz_buf_init(&tried);
    for (size_t off = 0; off < dirs.len;) {
        const char *d = dirs.data + off;
        off += strlen(d) + 1;
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s.so", d, name);
        if (!is_file(path)) {
            pz_buf_printf(&tried, "%s%s", tried.len ? ", " : "", d);
            continue;
        }
        pz_buf_destroy(&tried);
        pz_buf_destroy(&dirs);
        int rc = pz_plugin_open(out, path, err);
        if (rc)
            return rc;
        if (strcmp((*out)->trainer->name, name) != 0) {
            rc = pz_error_set(err, PZ_EPLUGIN, "trainer plugin %s calls itself '%s', not '%s'", path,
                              (*out)->trainer->name, name);
            pz_plugin_free(*out);
            *out = NULL;
        }
        return rc;
    }
    pz_error_set(err, PZ_ENOENT,
                 "no trainer plugin '%s': %s.so is in none of %s (set PARZEN_TRAINER_PATH, or give "
                 "a path)",
                 name, name, tried.len ? tried.data : "(no folders)");
    pz_buf_destroy(&tried);
    pz_buf_destroy(&dirs);
    return PZ_ENOENT;
nomem:
    pz_buf_destroy(&dirs);
    return pz_error_set(err, PZ_ENOMEM, NULL);
}

const char *pz_plugin_path(const pz_plugin *p) { return p->path; }
const pz_trainer *pz_plugin_trainer(const pz_plugin *p) { return p->trainer; }

void pz_plugin_free(pz_plugin *p)
{
    if (!p)
        return;
    dlclose(p->handle);
    free(p->path);
    free(p);
}
