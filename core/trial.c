/* parzen: one trial in one child process (see trial.h).
 *
 * The parent never trusts the child: it reads bytes until EOF, then
 * waitpid() says how the child ended. Only a child that exited 0 after
 * writing one well-formed msgpack map has a result; everything else is a
 * failed trial whose reason says what happened.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include "trial.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "script.h"

double pz__now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double pz__now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t pz__trial_seed(uint64_t seed, uint64_t id)
{
    /* splitmix64 of a mix of both, so neighbouring ids get unrelated seeds */
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + id + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* {===== results ===== */

pz_value *pz__result_fail(const char *fmt, ...)
{
    char msg[PZ_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pz_value *r = pz_value_map();
    if (!r || pz_map_set(r, "status", pz_value_str("fail")) || pz_map_set(r, "error", pz_value_str(msg))) {
        pz_value_free(r);
        return NULL;
    }
    return r;
}

static const char *const result_keys[] = {"loss", "status", "metrics", "error", "model", NULL};

int pz__result_normalize(const pz_value *raw, pz_value **result)
{
    *result = NULL;
    double loss;
    if (raw && (raw->type == PZ_DOUBLE || raw->type == PZ_INT)) {
        pz_value_number(raw, &loss);
        if (!isfinite(loss))
            *result = pz__result_fail("the objective returned a non-finite loss (%s)",
                                      isnan(loss) ? "nan" : loss > 0 ? "inf" : "-inf");
        else if (!(*result = pz_value_map()) || pz_map_set(*result, "status", pz_value_str("ok")) ||
                 pz_map_set(*result, "loss", pz_value_double(loss))) {
            pz_value_free(*result);
            *result = NULL;
        }
        return *result ? PZ_OK : PZ_ENOMEM;
    }
    if (!raw || raw->type != PZ_MAP) {
        *result = pz__result_fail("the objective returned a %s; expected a number or a table "
                                  "{loss=..., status=...}",
                                  raw ? pz_type_name(raw->type) : "nothing");
        return *result ? PZ_OK : PZ_ENOMEM;
    }
    for (size_t i = 0; i < raw->u.map.len; i++) {
        int known = 0;
        for (size_t k = 0; result_keys[k]; k++)
            known |= strcmp(raw->u.map.keys[i], result_keys[k]) == 0;
        if (!known) {
            *result = pz__result_fail("the objective's result has an unknown field '%s' (known: "
                                      "loss, status, metrics, error, model)",
                                      raw->u.map.keys[i]);
            return *result ? PZ_OK : PZ_ENOMEM;
        }
    }
    const pz_value *st = pz_map_get(raw, "status");
    const pz_value *lv = pz_map_get(raw, "loss");
    const pz_value *mt = pz_map_get(raw, "metrics");
    const pz_value *er = pz_map_get(raw, "error");
    const pz_value *md = pz_map_get(raw, "model");
    int ok = 1;
    const char *bad = NULL;
    char why[PZ_ERRMSG_MAX] = "";
    if (st && (st->type != PZ_STR || (strcmp(st->u.s.ptr, "ok") && strcmp(st->u.s.ptr, "fail"))))
        bad = "the objective's result has a status that is not \"ok\" or \"fail\"";
    else if (st && strcmp(st->u.s.ptr, "fail") == 0)
        ok = 0;
    if (!bad && mt && mt->type != PZ_MAP && !(mt->type == PZ_LIST && pz_value_len(mt) == 0))
        bad = "the objective's result has 'metrics' that is not a table of named values";
    if (!bad && er && er->type != PZ_STR)
        bad = "the objective's result has an 'error' that is not a string";
    if (!bad && md && md->type != PZ_STR)
        bad = "the objective's result has a 'model' that is not a string";
    if (!bad && ok) {
        if (!lv || pz_value_number(lv, &loss) != PZ_OK)
            bad = "the objective's result has no numeric 'loss'";
        else if (!isfinite(loss)) {
            snprintf(why, sizeof why, "the objective returned a non-finite loss (%s)",
                     isnan(loss) ? "nan" : loss > 0 ? "inf" : "-inf");
            bad = why;
        }
    }
    if (bad) {
        *result = pz__result_fail("%s", bad);
        return *result ? PZ_OK : PZ_ENOMEM;
    }
    pz_value *r = pz_value_map();
    int rc = r ? PZ_OK : PZ_ENOMEM;
    if (!rc)
        rc = pz_map_set(r, "status", pz_value_str(ok ? "ok" : "fail"));
    if (!rc && lv && pz_value_number(lv, &loss) == PZ_OK && (ok || isfinite(loss)))
        rc = pz_map_set(r, "loss", pz_value_double(loss));
    if (!rc && mt && mt->type == PZ_MAP)
        rc = pz_map_set(r, "metrics", pz_value_copy(mt));
    if (!rc && (er || !ok))
        rc = pz_map_set(r, "error", er ? pz_value_copy(er) : pz_value_str("the objective reported failure"));
    if (!rc && md)
        rc = pz_map_set(r, "model", pz_value_copy(md));
    if (rc) {
        pz_value_free(r);
        return PZ_ENOMEM;
    }
    *result = r;
    return PZ_OK;
}
/* }===== */

/* {===== the child's side of the pipe ===== */

static void write_all(int fd, const char *p, size_t n);

static volatile int child_cancel;
static int child_fd = -1;

/* One framed message to the parent. */
static void send_msg(int fd, const pz_value *msg)
{
    pz_buf b;
    pz_buf_init(&b);
    unsigned char len[4] = {0};
    if (pz_buf_append(&b, len, 4) || pz_value_pack(msg, &b) || b.len - 4 > 0xffffffffu)
        _exit(5);
    size_t n = b.len - 4;
    unsigned char *p = (unsigned char *)b.data;
    p[0] = (unsigned char)n;
    p[1] = (unsigned char)(n >> 8);
    p[2] = (unsigned char)(n >> 16);
    p[3] = (unsigned char)(n >> 24);
    write_all(fd, b.data, b.len);
    pz_buf_destroy(&b);
}

static void child_progress(void *ud, const pz_value *event)
{
    (void)ud;
    pz_value *m = pz_value_map();
    if (!m || !event || pz_map_set(m, "progress", pz_value_copy(event))) {
        pz_value_free(m);
        return;
    }
    send_msg(child_fd, m);
    pz_value_free(m);
}

/* }===== */

/* {===== the objective, wherever it runs ===== */

int pz__objective_call(const pz__objective *o, const pz__trial_input *in, const volatile int *cancel,
                       pz_value **result, pz_error *err)
{
    *result = NULL;
    switch (o->kind) {
    case PZ__OBJ_LUA: {
        pz_value *t = pz_value_map();
        if (!t || pz_map_set(t, "id", pz_value_int((int64_t)in->id)) ||
            pz_map_set(t, "seed", pz_value_int((int64_t)(in->seed >> 1))) ||
            pz_map_set(t, "threads", pz_value_int(in->threads > 0 ? in->threads : 1)) ||
            (in->model_dir && pz_map_set(t, "model_dir", pz_value_str(in->model_dir)))) {
            pz_value_free(t);
            return pz_error_set(err, PZ_ENOMEM, NULL);
        }
        int rc = pz_script_call_objective(o->script, in->params, t, result, err);
        pz_value_free(t);
        return rc;
    }
    case PZ__OBJ_PLUGIN: {
        pz_trainer_ctx ctx = {0};
        ctx.params = in->params;
        ctx.config = o->config;
        ctx.model_dir = in->model_dir;
        ctx.seed = in->seed;
        ctx.threads = in->threads > 0 ? in->threads : 1;
        ctx.cancel = cancel;
        if (child_fd >= 0) /* in a trial process: events go to the study */
            ctx.progress = child_progress;
        return o->trainer->train(&ctx, result, err);
    }
    case PZ__OBJ_C:
        return o->fn(o->ud, in->params, result, err);
    default:
        return pz_error_set(err, PZ_EINVAL, "the study has no objective");
    }
}

static void on_child_term(int sig)
{
    (void)sig;
    child_cancel = 1;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(3);
        p += w;
        n -= (size_t)w;
    }
}

/* The child: run, send {raw = result} or {error = message}, _exit: no
 * atexit handlers (nor sanitizer leak checks) of the parent's run. */
static void child_main(int fd, pid_t parent, const pz__objective *o, const pz__trial_input *in)
{
    if (in->close_fd >= 0)
        close(in->close_fd);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the parent died before prctl took effect */
        _exit(4);
    /* Its own process group, so a time-out or a cancel reaches whatever the
     * objective started (os.execute, say), and processes it starts do not
     * hold the result pipe open after it is gone. */
    setpgid(0, 0);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    child_fd = fd;
    if (in->quiet_stdout)
        dup2(STDERR_FILENO, STDOUT_FILENO);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    /* Ctrl-C reaches the whole process group; the study decides what
     * happens to its trials, so the child ignores it. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = o->kind == PZ__OBJ_PLUGIN ? on_child_term : SIG_DFL;
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    pz_error err;
    pz_error_clear(&err);
    pz_value *raw = NULL;
    int rc = pz__objective_call(o, in, &child_cancel, &raw, &err);
    pz_value *msg = pz_value_map();
    if (!msg)
        _exit(5);
    if (rc == PZ_OK)
        pz_map_set(msg, "raw", raw ? raw : pz_value_none());
    else {
        pz_value_free(raw);
        char buf[PZ_ERRMSG_MAX + PZ_WHERE_MAX + 4];
        pz_map_set(msg, "error", pz_value_str(pz_error_format(&err, buf, sizeof buf)));
        if (rc == PZ_ECANCEL)
            pz_map_set(msg, "cancelled", pz_value_bool(1));
    }
    send_msg(fd, msg);
    fflush(NULL); /* what the objective printed (the parent's buffers were empty at fork) */
    _exit(0);
}

int pz__trial_spawn(pz__child *c, const pz__objective *o, const pz__trial_input *in, pz_error *err)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    pz_buf_init(&c->out);
    int fds[2];
    if (pipe(fds) != 0)
        return pz_error_set(err, PZ_EIO, "cannot create a pipe for trial %llu: %s",
                            (unsigned long long)in->id, strerror(errno));
    fflush(NULL); /* the child must not write the parent's buffered output again */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return pz_error_set(err, PZ_EIO, "cannot fork trial %llu: %s", (unsigned long long)in->id,
                            strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(fds[1], parent, o, in);
    }
    close(fds[1]);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    c->pid = pid;
    c->fd = fds[0];
    c->id = in->id;
    c->t0 = pz__now_mono();
    c->limit = in->limit;
    c->deadline = in->limit > 0 ? c->t0 + in->limit : 0;
    return PZ_OK;
}

/* Split complete messages off c->out: progress events replace the last
 * one, anything else is the final message. */
static void take_messages(pz__child *c)
{
    for (;;) {
        size_t left = c->out.len - c->parsed;
        if (left < 4)
            return;
        const unsigned char *p = (const unsigned char *)c->out.data + c->parsed;
        size_t n = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
        if (left - 4 < n)
            return;
        pz_value *m = NULL;
        pz_error err;
        if (pz_value_unpack((const char *)p + 4, n, &m, &err) == PZ_OK && m->type == PZ_MAP &&
            pz_map_get(m, "progress") && pz_value_len(m) == 1) {
            pz_value_free(c->progress);
            c->progress = pz_value_copy(pz_map_get(m, "progress"));
            pz_value_free(m);
        } else {
            pz_value_free(c->final); /* a malformed message is caught at reap */
            c->final = m ? m : pz_value_str("malformed");
        }
        c->parsed += 4 + n;
        /* progress can be long-winded: drop what was consumed */
        if (c->parsed == c->out.len) {
            c->out.len = 0;
            c->parsed = 0;
        }
    }
}

static int drain(pz__child *c)
{
    char chunk[65536];
    for (;;) {
        ssize_t r = read(c->fd, chunk, sizeof chunk);
        if (r > 0) {
            if (c->out.len < (64u << 20))
                pz_buf_append(&c->out, chunk, (size_t)r);
            take_messages(c);
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return 1; /* EOF or a dead pipe */
    }
}

int pz__trial_read(pz__child *c)
{
    if (c->fd < 0)
        return 1;
    int eof = drain(c);
    if (!eof && !c->waited) {
        /* Exited while a process it started keeps the pipe open: what it
         * wrote before exiting is in the pipe already. */
        pid_t w = waitpid(c->pid, &c->status, WNOHANG);
        if (w == c->pid) {
            c->waited = 1;
            drain(c);
            eof = 1;
        }
    }
    if (eof) {
        close(c->fd);
        c->fd = -1;
    }
    return eof;
}

/* The child's group (all it started) and the child itself, in case it has
 * not made its group yet. */
static void signal_trial(pz__child *c, int sig)
{
    if (c->pid > 0) {
        kill(-c->pid, sig);
        kill(c->pid, sig);
    }
}

void pz__trial_kill(pz__child *c) { signal_trial(c, SIGKILL); }

void pz__trial_cancel(pz__child *c)
{
    c->cancelled = 1;
    signal_trial(c, SIGTERM);
}

static const char *signame(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGPIPE: return "SIGPIPE";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    case SIGXCPU: return "SIGXCPU";
    default: return "signal";
    }
}

int pz__trial_reap(pz__child *c, pz_value **result)
{
    *result = NULL;
    if (!c->waited) {
        while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR) {
        }
        c->waited = 1;
    }
    if (c->fd >= 0) { /* reaped after a kill: take what it managed to send */
        drain(c);
        close(c->fd);
        c->fd = -1;
    }
    int st = c->status;
    c->pid = 0;
    pz_value_free(c->progress);
    c->progress = NULL;
    pz_value *r = NULL;
    if (c->timed_out) {
        r = pz__result_fail("timed out after %g s", c->limit);
    } else if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        r = pz__result_fail("the trial process was killed by signal %d (%s: %s)", sig, signame(sig),
                            strsignal(sig));
    } else if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
        r = pz__result_fail("the trial process exited with status %d%s", WEXITSTATUS(st),
                            c->final ? "" : " before sending a result");
    } else {
        pz_value *msg = c->final;
        c->final = NULL;
        if (!msg || msg->type != PZ_MAP || c->out.len != c->parsed) {
            r = pz__result_fail("the trial process sent %s", msg ? "a malformed result" : "no result");
        } else if (pz_map_get(msg, "error")) {
            const pz_value *e = pz_map_get(msg, "error");
            r = pz__result_fail("%s", e->type == PZ_STR ? e->u.s.ptr : "error");
            if (r && pz_map_get(msg, "cancelled"))
                c->cancelled = 1;
        } else if (pz__result_normalize(pz_map_get(msg, "raw"), &r) != PZ_OK) {
            r = NULL;
        }
        pz_value_free(msg);
    }
    pz_buf_destroy(&c->out);
    pz_value_free(c->final);
    c->final = NULL;
    if (!r)
        return PZ_ENOMEM;
    *result = r;
    return PZ_OK;
}
