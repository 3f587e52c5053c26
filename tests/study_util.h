/* Helpers shared by the study tests: a scratch folder, files, and running
 * the parzen CLI (to completion, or in the background to signal it). */
#ifndef PZ_STUDY_UTIL_H
#define PZ_STUDY_UTIL_H

#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "journal.h"

/* Not every test uses every helper. */
#define TU_FN static __attribute__((unused))

static char tu_dir[512];      /* the scratch folder (cwd of every CLI run) */
static const char *tu_cli;
static char tu_out[600], tu_err[600];
static char *tu_o, *tu_e;     /* stdout and stderr of the last run */

TU_FN void tu_setup(const char *name)
{
    tu_cli = getenv("PZ_CLI");
    CHECK(tu_cli != NULL);
    snprintf(tu_dir, sizeof tu_dir, "%s/%s.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
    CHECK(mkdtemp(tu_dir) != NULL);
    snprintf(tu_out, sizeof tu_out, "%s/.stdout", tu_dir);
    snprintf(tu_err, sizeof tu_err, "%s/.stderr", tu_dir);
    CHECK(chdir(tu_dir) == 0);
    if (getenv("PZ_PLUGIN_DIR"))
        setenv("PARZEN_TRAINER_PATH", getenv("PZ_PLUGIN_DIR"), 1);
}

TU_FN void tu_cleanup(void)
{
    char cmd[700];
    CHECK(chdir("/") == 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tu_dir);
    CHECK(system(cmd) == 0);
    free(tu_o);
    free(tu_e);
}

static char *tu_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pz_buf b;
    pz_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        CHECK_OK(pz_buf_append(&b, chunk, n));
    fclose(f);
    CHECK_OK(pz_buf_append(&b, "", 0));
    return pz_buf_release(&b, NULL);
}

TU_FN void tu_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(text, f);
    CHECK(fclose(f) == 0);
}

/* Run `parzen ARGS` (printf-style) in the scratch folder; its exit code.
 * Output is in tu_o / tu_e. */
TU_FN int tu_run(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
TU_FN int tu_run(const char *fmt, ...)
{
    char args[4096], cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s' </dev/null", tu_cli, args, tu_out, tu_err);
    int st = system(cmd);
    CHECK(st != -1 && WIFEXITED(st));
    free(tu_o);
    free(tu_e);
    tu_o = tu_slurp(tu_out);
    tu_e = tu_slurp(tu_err);
    return WEXITSTATUS(st);
}

/* Start `parzen argv...` in the background (stdout/stderr to the files). */
TU_FN pid_t tu_spawn(const char *const argv[])
{
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int o = open(tu_out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(tu_err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int n = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || n < 0)
            _exit(126);
        dup2(n, 0);
        dup2(o, 1);
        dup2(e, 2);
        execv(tu_cli, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Wait for pid; its exit code, or 128 + signal. Output in tu_o / tu_e. */
TU_FN int tu_wait(pid_t pid)
{
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    free(tu_o);
    free(tu_e);
    tu_o = tu_slurp(tu_out);
    tu_e = tu_slurp(tu_err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TU_FN void tu_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* Wait (up to 10 s) until the journal at path records n started trials,
 * so a signal sent next finds them running even on a loaded machine. */
TU_FN void tu_wait_started(const char *path, size_t n)
{
    for (int waited = 0; waited < 10000; waited += 10) {
        pz_journal_scan scan;
        pz_error err;
        size_t started = 0;
        if (pz_journal_read(path, &scan, &err) == PZ_OK) {
            for (size_t i = 0; i < pz_value_len(scan.records); i++) {
                const pz_value *t = pz_map_get(scan.records->u.list.items[i], "t");
                started += t && t->type == PZ_STR && strcmp(t->u.s.ptr, "started") == 0;
            }
            pz_value_free(scan.records);
        }
        if (started >= n) {
            tu_sleep_ms(50); /* and the fork that follows the record */
            return;
        }
        tu_sleep_ms(10);
    }
    fprintf(stderr, "%s: %zu trials never started\n", path, n);
    abort();
}

TU_FN size_t tu_count_lines(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

#endif
