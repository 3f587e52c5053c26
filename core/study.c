/* parzen: the study driver (see study.h): suggest → evaluate → record,
 * resume from the journal, stop conditions, signals, progress.
 *
 * The journal is the only truth. Everything in memory is rebuilt from it
 * on open, and every state change is appended (and fsync'd) before the
 * study acts on it: a trial is "created" with its vals and params before
 * it runs, "started" when its process is forked, "finished" with its
 * result, or "interrupted". A trial with no "finished" record is queued
 * again on resume with the vals it was created with, which is what makes a
 * killed-and-resumed run equal an uninterrupted one.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include "study.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "journal.h"
#include "plugin.h"
#include "results.h"
#include "sample.h"
#include "script.h"
#include "study_int.h"
#include "trial.h"
#include "version.h"

typedef enum { T_QUEUED = 0, T_RUNNING, T_ASKED, T_OK, T_FAIL } tstate;

typedef struct trial {
    uint64_t id;
    tstate state;
    pz_value *vals, *params; /* owned */
    pz_value *result;        /* owned: the normalised result when finished */
    double loss;
    double start, end;
    unsigned interrupted;
    pz_value *created; /* its "created" record until journaled */
} trial;

struct pz_study {
    char *name;          /* as given */
    char *dir;           /* <results>/<sanitised name> */
    char *journal_path;
    pz_script *script;   /* owned or NULL */
    pz_space *own_space; /* owned or NULL */
    const pz_space *space;
    pz_value *config;    /* owned copy of the study fields */
    pz_value *labels;    /* map label -> description (this space, or the journal's) */
    char fingerprint[17];
    pz_searcher *searcher;
    pz_plugin *plugin;
    pz__objective obj;
    pz_journal *journal; /* NULL when read-only */
    int readonly;
    trial *trials;
    size_t ntrials, cap;
    uint64_t seed;
    int64_t max_evals, no_improvement, max_fail;
    double timeout, trial_timeout, loss_threshold;
    int has_threshold, workers;
    pz_value *points;    /* list of vals maps */
    int resumed;
    size_t n_ok0, n_fail0, n_requeued;
    pz_buf warnings;
    char errmsg[PZ_ERRMSG_MAX + PZ_WHERE_MAX + 4];
    pz_output output;
    pz_stop_reason stop;
    int consecutive_fail;
    size_t since_improvement;
    double best_loss;
    int64_t best_id;
};

/* Record err as the handle's last error too; returns err's code. */
static int fail(pz_study *s, pz_error *err, int code)
{
    if (s && err)
        pz_error_format(err, s->errmsg, sizeof s->errmsg);
    return code;
}

static int nomem(pz_error *err) { return pz_error_set(err, PZ_ENOMEM, NULL); }

static void iso_time(double t, char *buf, size_t n)
{
    time_t sec = (time_t)t;
    struct tm tm;
    gmtime_r(&sec, &tm);
    int ms = (int)((t - (double)sec) * 1000);
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms < 0 ? 0 : ms > 999 ? 999 : ms);
}

/* {===== the space's fingerprint =====
 * A canonical text of the space: each label described by its kind and
 * parameters (nested labels by name only), then the tree with labels by
 * name. The fingerprint hashes it all; the per-label descriptions go to
 * the journal so that a mismatch can name the labels that changed. */

static int describe(const pz_node *n, pz_buf *b, int top)
{
    int rc = PZ_OK;
    if (!top && pz_node_is_label(n->kind))
        return pz_buf_printf(b, "$%s", n->label);
    switch (n->kind) {
    case PZ_NODE_CONST:
        return pz_value_to_json(n->constant, b);
    case PZ_NODE_LIST:
    case PZ_NODE_MAP:
        rc = pz_buf_putc(b, n->kind == PZ_NODE_LIST ? '[' : '{');
        for (size_t i = 0; i < n->n && !rc; i++) {
            if (i)
                rc = pz_buf_putc(b, ',');
            if (!rc && n->kind == PZ_NODE_MAP)
                rc = pz_buf_printf(b, "%s:", n->keys[i]);
            if (!rc)
                rc = describe(n->kids[i], b, 0);
        }
        return rc ? rc : pz_buf_putc(b, n->kind == PZ_NODE_LIST ? ']' : '}');
    case PZ_NODE_CHOICE:
    case PZ_NODE_PCHOICE:
        rc = pz_buf_printf(b, "%s(", pz_node_kind_name(n->kind));
        for (size_t i = 0; i < n->n && !rc; i++) {
            if (i)
                rc = pz_buf_putc(b, ',');
            if (!rc && n->probs)
                rc = pz_buf_printf(b, "%.17g:", n->probs[i]);
            if (!rc)
                rc = describe(n->kids[i], b, 0);
        }
        return rc ? rc : pz_buf_putc(b, ')');
    case PZ_NODE_NORMAL:
    case PZ_NODE_LOGNORMAL:
    case PZ_NODE_QNORMAL:
    case PZ_NODE_QLOGNORMAL:
        return pz_buf_printf(b, "%s(%.17g,%.17g,%.17g)", pz_node_kind_name(n->kind), n->mu, n->sigma,
                             n->q);
    default:
        return pz_buf_printf(b, "%s(%.17g,%.17g,%.17g)", pz_node_kind_name(n->kind), n->low, n->high,
                             n->q);
    }
}

static int space_describe(const pz_space *sp, pz_value **labels, char fp[17])
{
    *labels = pz_value_map();
    if (!*labels)
        return PZ_ENOMEM;
    pz_buf all, one;
    pz_buf_init(&all);
    pz_buf_init(&one);
    int rc = describe(pz_space_root(sp), &all, 0);
    for (size_t i = 0; i < pz_space_nlabels(sp) && !rc; i++) {
        const pz_node *n = pz_space_label(sp, i);
        one.len = 0;
        rc = describe(n, &one, 1);
        if (!rc)
            rc = pz_map_set(*labels, n->label, pz_value_str(one.data));
        if (!rc)
            rc = pz_buf_printf(&all, "\n%s=%s", n->label, one.data);
    }
    if (!rc) {
        uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 */
        for (size_t i = 0; i < all.len; i++)
            h = (h ^ (unsigned char)all.data[i]) * 0x100000001b3ull;
        snprintf(fp, 17, "%016" PRIx64, h);
    }
    pz_buf_destroy(&all);
    pz_buf_destroy(&one);
    if (rc) {
        pz_value_free(*labels);
        *labels = NULL;
    }
    return rc;
}

/* "changed: a, b; added: c; removed: d" between two label maps. */
static void label_diff(const pz_value *old, const pz_value *cur, pz_buf *b)
{
    const char *what[3] = {"changed", "added", "removed"};
    for (int pass = 0; pass < 3; pass++) {
        const pz_value *m = pass == 2 ? old : cur;
        int first = 1;
        for (size_t i = 0; i < pz_value_len(m); i++) {
            const char *k = m->u.map.keys[i];
            const pz_value *o = pz_map_get(old, k), *c = pz_map_get(cur, k);
            int hit = pass == 0 ? (o && c && !pz_value_equal(o, c)) : pass == 1 ? !o : !c;
            if (!hit)
                continue;
            if (first)
                pz_buf_printf(b, "%s%s: %s", b->len ? "; " : "", what[pass], k);
            else
                pz_buf_printf(b, ", %s", k);
            first = 0;
        }
    }
    if (!b->len)
        pz_buf_puts(b, "the structure around the labels changed");
}
/* }===== */

/* {===== trials in memory ===== */

static trial *push_trial(pz_study *s)
{
    if (s->ntrials == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 64;
        trial *nt = realloc(s->trials, nc * sizeof *nt);
        if (!nt)
            return NULL;
        s->trials = nt;
        s->cap = nc;
    }
    trial *t = &s->trials[s->ntrials++];
    memset(t, 0, sizeof *t);
    t->id = s->ntrials - 1;
    return t;
}

static void note_finished(pz_study *s, trial *t)
{
    if (t->state == T_OK) {
        s->consecutive_fail = 0;
        if (s->best_id < 0 || t->loss < s->best_loss) {
            s->best_loss = t->loss;
            s->best_id = (int64_t)t->id;
            s->since_improvement = 0;
        } else {
            s->since_improvement++;
        }
    } else {
        s->consecutive_fail++;
        s->since_improvement++;
    }
}

static pz_value *trial_doc(const pz_study *s, const trial *t)
{
    pz_value *d = pz_value_map();
    if (!d)
        return NULL;
    const pz_value *r = t->result;
    const pz_value *err = r ? pz_map_get(r, "error") : NULL;
    const pz_value *mt = r ? pz_map_get(r, "metrics") : NULL;
    const pz_value *md = r ? pz_map_get(r, "model") : NULL;
    char a[80], e[80];
    iso_time(t->start, a, sizeof a);
    iso_time(t->end, e, sizeof e);
    pz_value *timing = pz_value_map();
    int rc = !timing;
    rc = rc || pz_map_set(d, "study", pz_value_str(s->name));
    rc = rc || pz_map_set(d, "trial", pz_value_int((int64_t)t->id));
    rc = rc || pz_map_set(d, "status", pz_value_str(t->state == T_OK ? "ok" : t->state == T_FAIL ? "fail" : "pending"));
    rc = rc || pz_map_set(d, "loss", t->state == T_OK ? pz_value_double(t->loss) : pz_value_none());
    rc = rc || pz_map_set(d, "params", t->params ? pz_value_copy(t->params) : pz_value_none());
    rc = rc || pz_map_set(d, "vals", t->vals ? pz_value_copy(t->vals) : pz_value_none());
    rc = rc || pz_map_set(d, "metrics", mt ? pz_value_copy(mt) : pz_value_map());
    rc = rc || pz_map_set(d, "error", err ? pz_value_copy(err) : pz_value_none());
    rc = rc || pz_map_set(d, "model", md ? pz_value_copy(md) : pz_value_none());
    rc = rc || pz_map_set(timing, "start", pz_value_str(a));
    rc = rc || pz_map_set(timing, "end", pz_value_str(e));
    rc = rc || pz_map_set(timing, "duration", pz_value_double(t->end - t->start));
    if (rc) {
        pz_value_free(timing);
        pz_value_free(d);
        return NULL;
    }
    if (pz_map_set(d, "timings", timing)) { /* takes timing, also on failure */
        pz_value_free(d);
        return NULL;
    }
    return d;
}

static int write_result_file(pz_study *s, const trial *t, pz_error *err)
{
    pz_value *doc = trial_doc(s, t);
    if (!doc)
        return nomem(err);
    int rc = pz__results_write_trial(s->dir, t->id, t->state == T_OK, t->loss, doc, err);
    pz_value_free(doc);
    return rc;
}

/* A journal record {t = type, id = id, at = now} plus extra fields. */
static pz_value *record(const char *type, uint64_t id)
{
    pz_value *r = pz_value_map();
    if (!r || pz_map_set(r, "t", pz_value_str(type)) || pz_map_set(r, "id", pz_value_int((int64_t)id)) ||
        pz_map_set(r, "at", pz_value_double(pz__now_wall()))) {
        pz_value_free(r);
        return NULL;
    }
    return r;
}

static int append(pz_study *s, pz_value *rec, pz_error *err)
{
    if (!rec)
        return nomem(err);
    int rc = pz_journal_append(s->journal, rec, err);
    pz_value_free(rec);
    return rc;
}
/* }===== */

/* {===== configuration ===== */

static int cfg_int(const pz_value *cfg, const char *k, int64_t lo, int64_t *out, pz_error *err)
{
    const pz_value *v = pz_map_get(cfg, k);
    if (!v)
        return PZ_OK;
    if (v->type != PZ_INT || v->u.i < lo)
        return pz_error_set(err, PZ_EINVAL, "%s must be an integer >= %lld", k, (long long)lo);
    *out = v->u.i;
    return PZ_OK;
}

static int cfg_num(const pz_value *cfg, const char *k, int positive, double *out, int *has,
                   pz_error *err)
{
    const pz_value *v = pz_map_get(cfg, k);
    if (!v)
        return PZ_OK;
    double d;
    if (pz_value_number(v, &d) || !isfinite(d) || (positive && !(d > 0)))
        return pz_error_set(err, PZ_EINVAL, "%s must be a %snumber", k, positive ? "positive " : "finite ");
    *out = d;
    if (has)
        *has = 1;
    return PZ_OK;
}

/* A point of points_to_evaluate as vals: numbers converted to the type
 * each label's vals hold, inactive labels dropped, checked by space_eval. */
static int point_to_vals(const pz_space *sp, const pz_value *pt, size_t idx, pz_value **out,
                         pz_error *err)
{
    *out = NULL;
    if (!pt || pt->type != PZ_MAP)
        return pz_error_set(err, PZ_EINVAL, "points_to_evaluate[%zu] must be a table of label = value", idx + 1);
    pz_value *v = pz_value_map();
    if (!v)
        return nomem(err);
    for (size_t i = 0; i < pt->u.map.len; i++) {
        const char *k = pt->u.map.keys[i];
        int li = pz_space_find(sp, k);
        if (li < 0) {
            pz_value_free(v);
            return pz_error_set(err, PZ_EINVAL, "points_to_evaluate[%zu]: no label '%s' in the space", idx + 1, k);
        }
        const pz_node *n = pz_space_label(sp, (size_t)li);
        double d;
        if (pz_value_number(pt->u.map.vals[i], &d)) {
            pz_value_free(v);
            return pz_error_set(err, PZ_EINVAL, "points_to_evaluate[%zu].%s must be a number%s", idx + 1, k,
                                n->kind == PZ_NODE_CHOICE || n->kind == PZ_NODE_PCHOICE ? " (the option's 0-based index)" : "");
        }
        int integral = n->kind == PZ_NODE_RANDINT || n->kind == PZ_NODE_UNIFORMINT ||
                       n->kind == PZ_NODE_CHOICE || n->kind == PZ_NODE_PCHOICE;
        if (integral && d != floor(d)) {
            pz_value_free(v);
            return pz_error_set(err, PZ_EINVAL, "points_to_evaluate[%zu].%s must be an integer", idx + 1, k);
        }
        if (pz_map_set(v, k, integral ? pz_value_int((int64_t)d) : pz_value_double(d))) {
            pz_value_free(v);
            return nomem(err);
        }
    }
    size_t nl = pz_space_nlabels(sp);
    unsigned char *active = calloc(nl ? nl : 1, 1);
    pz_value *params = NULL;
    pz_error sub;
    pz_error_clear(&sub);
    int rc = active ? pz_space_active(sp, v, active, &sub) : PZ_ENOMEM;
    /* The active labels only, in label order, as searchers write vals. */
    pz_value *ordered = rc ? NULL : pz_value_map();
    if (!rc && !ordered)
        rc = PZ_ENOMEM;
    for (size_t i = 0; !rc && i < nl; i++) {
        const char *l = pz_space_label(sp, i)->label;
        const pz_value *x = pz_map_get(v, l);
        if (!active[i])
            continue;
        if (!x)
            rc = pz_error_set(&sub, PZ_EINVAL, "label '%s' is active but has no value", l);
        else if (pz_map_set(ordered, l, pz_value_copy(x)))
            rc = PZ_ENOMEM;
    }
    pz_value_free(v);
    v = ordered;
    if (!rc)
        rc = pz_space_eval(sp, v, &params, &sub);
    free(active);
    pz_value_free(params);
    if (rc) {
        pz_value_free(v);
        return pz_error_set(err, rc == PZ_ENOMEM ? PZ_ENOMEM : PZ_EINVAL, "points_to_evaluate[%zu]: %s", idx + 1, sub.msg);
    }
    *out = v;
    return PZ_OK;
}

static int searcher_has(const char *name)
{
    const pz_searcher_type *const *t = pz_searcher_types();
    for (size_t i = 0; t[i]; i++)
        if (strcmp(t[i]->name, name) == 0)
            return 1;
    return 0;
}

/* Everything about the config that can be refused, refused before any
 * file is touched. */
static int configure(pz_study *s, pz_error *err)
{
    const pz_value *c = s->config;
    const pz_value *nm = pz_map_get(c, "name");
    if (!nm || nm->type != PZ_STR || !nm->u.s.len)
        return pz_error_set(err, PZ_EINVAL, "the study needs a non-empty string 'name'");
    if (!(s->name = strdup(nm->u.s.ptr)))
        return nomem(err);
    const pz_value *root = pz_map_get(c, "results");
    if (root && (root->type != PZ_STR || !root->u.s.len))
        return pz_error_set(err, PZ_EINVAL, "results must be a folder name");
    char safe[128];
    pz__results_sanitize(s->name, safe, sizeof safe);
    pz_buf b;
    pz_buf_init(&b);
    if (pz_buf_printf(&b, "%s/%s", root ? root->u.s.ptr : "results", safe))
        return nomem(err);
    s->dir = pz_buf_release(&b, NULL);
    pz_buf_init(&b);
    if (pz_buf_printf(&b, "%s/%s", s->dir, PZ__JOURNAL_FILE))
        return nomem(err);
    s->journal_path = pz_buf_release(&b, NULL);

    int rc;
    s->max_evals = 100;
    s->max_fail = 10;
    int64_t w = 1;
    if ((rc = cfg_int(c, "max_evals", 1, &s->max_evals, err)) || (rc = cfg_int(c, "no_improvement", 1, &s->no_improvement, err)) ||
        (rc = cfg_int(c, "max_consecutive_failures", 1, &s->max_fail, err)) || (rc = cfg_int(c, "workers", 1, &w, err)) ||
        (rc = cfg_num(c, "timeout", 1, &s->timeout, NULL, err)) || (rc = cfg_num(c, "trial_timeout", 1, &s->trial_timeout, NULL, err)) ||
        (rc = cfg_num(c, "loss_threshold", 0, &s->loss_threshold, &s->has_threshold, err)))
        return rc;
    if (w > 1024)
        return pz_error_set(err, PZ_EINVAL, "workers must be at most 1024");
    s->workers = (int)w;
    const pz_value *sd = pz_map_get(c, "seed");
    if (sd && (sd->type != PZ_INT || sd->u.i < 0))
        return pz_error_set(err, PZ_EINVAL, "seed must be an integer >= 0");

    /* The searcher, by name only: TPE when it is built in, else random. */
    const pz_value *algo = pz_map_get(c, "algo");
    const char *aname = searcher_has("tpe") ? "tpe" : "random";
    const pz_value *aopts = NULL;
    if (algo && algo->type == PZ_STR)
        aname = algo->u.s.ptr;
    else if (algo && algo->type == PZ_MAP) {
        const pz_value *an = pz_map_get(algo, "name");
        if (!an || an->type != PZ_STR)
            return pz_error_set(err, PZ_EINVAL, "algo needs a string 'name'");
        aname = an->u.s.ptr;
        aopts = algo;
    } else if (algo)
        return pz_error_set(err, PZ_EINVAL, "algo must be a name or a table");
    if ((rc = pz_searcher_new(&s->searcher, aname, aopts, err)))
        return rc;

    const pz_value *pts = pz_map_get(c, "points_to_evaluate");
    if (!(s->points = pz_value_list()))
        return nomem(err);
    if (pts) {
        if (pts->type != PZ_LIST && !(pts->type == PZ_MAP && pz_value_len(pts) == 0))
            return pz_error_set(err, PZ_EINVAL, "points_to_evaluate must be a list of tables");
        for (size_t i = 0; i < pz_value_len(pts) && pts->type == PZ_LIST; i++) {
            pz_value *v;
            if ((rc = point_to_vals(s->space, pts->u.list.items[i], i, &v, err)))
                return rc;
            if (pz_list_push(s->points, v))
                return nomem(err);
        }
    }

    /* The objective: a Lua function (set by open_script), a trainer plugin
     * named by `objective`, or a C function set later. */
    const pz_value *ob = pz_map_get(c, "objective");
    if (s->obj.kind == PZ__OBJ_NONE && ob && ob->type == PZ_STR) {
        if ((rc = pz_plugin_load(&s->plugin, ob->u.s.ptr, err)))
            return rc;
        const pz_trainer *tr = pz_plugin_trainer(s->plugin);
        const pz_value *tc = pz_map_get(c, "trainer");
        if (!tc) {
            if (pz_map_set(s->config, "trainer", pz_value_map()))
                return nomem(err);
            tc = pz_map_get(s->config, "trainer");
        }
        if (tr->check && (rc = tr->check(tc, err)))
            return rc;
        s->obj.kind = PZ__OBJ_PLUGIN;
        s->obj.trainer = tr;
        s->obj.config = tc;
    }
    return PZ_OK;
}
/* }===== */

/* {===== opening and resuming ===== */

static int header_record(pz_study *s, pz_value **out)
{
    pz_value *h = pz_value_map();
    int rc = !h;
    rc = rc || pz_map_set(h, "magic", pz_value_str(PZ_JOURNAL_MAGIC));
    rc = rc || pz_map_set(h, "format", pz_value_int(PZ_JOURNAL_FORMAT));
    rc = rc || pz_map_set(h, "t", pz_value_str("header"));
    rc = rc || pz_map_set(h, "parzen", pz_value_str(pz_version_string()));
    rc = rc || pz_map_set(h, "study", pz_value_str(s->name));
    rc = rc || pz_map_set(h, "fingerprint", pz_value_str(s->fingerprint));
    rc = rc || pz_map_set(h, "labels", pz_value_copy(s->labels));
    rc = rc || pz_map_set(h, "seed", pz_value_int((int64_t)s->seed));
    rc = rc || pz_map_set(h, "algo", pz_value_str(pz_searcher_name(s->searcher)));
    rc = rc || pz_map_set(h, "created", pz_value_double(pz__now_wall()));
    if (rc) {
        pz_value_free(h);
        return PZ_ENOMEM;
    }
    *out = h;
    return PZ_OK;
}

static const pz_value *field(const pz_value *rec, const char *k, pz_type t)
{
    const pz_value *v = pz_map_get(rec, k);
    return v && v->type == t ? v : NULL;
}

/* Rebuild trials from the journal's records (after the header). */
static int replay(pz_study *s, const pz_value *recs, const pz_value **labels, const char **fp,
                  pz_error *err)
{
    const char *path = s->journal_path;
    for (size_t i = 1; i < pz_value_len(recs); i++) {
        const pz_value *r = recs->u.list.items[i];
        const pz_value *t = field(r, "t", PZ_STR), *id = field(r, "id", PZ_INT);
        if (!t)
            return pz_error_set(err, PZ_EFORMAT, "journal %s: record %zu has no type", path, i);
        if (strcmp(t->u.s.ptr, "space") == 0) {
            const pz_value *l = field(r, "labels", PZ_MAP), *f = field(r, "fingerprint", PZ_STR);
            if (!l || !f)
                return pz_error_set(err, PZ_EFORMAT, "journal %s: record %zu (space) is incomplete", path, i);
            *labels = l;
            *fp = f->u.s.ptr;
            continue;
        }
        if (!id || id->u.i < 0)
            return pz_error_set(err, PZ_EFORMAT, "journal %s: record %zu (%s) has no trial id", path, i, t->u.s.ptr);
        uint64_t tid = (uint64_t)id->u.i;
        if (strcmp(t->u.s.ptr, "created") == 0) {
            if (tid != s->ntrials)
                return pz_error_set(err, PZ_EFORMAT, "journal %s: record %zu creates trial %" PRIu64 " out of order (expected %zu)",
                                    path, i, tid, s->ntrials);
            const pz_value *v = field(r, "vals", PZ_MAP), *p = pz_map_get(r, "params");
            if (!v || !p)
                return pz_error_set(err, PZ_EFORMAT, "journal %s: record %zu creates trial %" PRIu64 " without vals and params",
                                    path, i, tid);
            trial *tr = push_trial(s);
            if (!tr || !(tr->vals = pz_value_copy(v)) || !(tr->params = pz_value_copy(p)))
                return nomem(err);
            continue;
        }
        if (tid >= s->ntrials)
            return pz_error_set(err, PZ_EFORMAT, "journal %s: record %zu (%s) names trial %" PRIu64 ", which was never created",
                                path, i, t->u.s.ptr, tid);
        trial *tr = &s->trials[tid];
        if (tr->state == T_OK || tr->state == T_FAIL)
            return pz_error_set(err, PZ_EFORMAT, "journal %s: record %zu (%s) follows the end of trial %" PRIu64, path, i,
                                t->u.s.ptr, tid);
        if (strcmp(t->u.s.ptr, "started") == 0) {
            const pz_value *at = field(r, "at", PZ_DOUBLE);
            tr->start = at ? at->u.d : 0;
        } else if (strcmp(t->u.s.ptr, "interrupted") == 0) {
            tr->interrupted++;
        } else if (strcmp(t->u.s.ptr, "finished") == 0) {
            const pz_value *res = field(r, "result", PZ_MAP);
            const pz_value *st = res ? field(res, "status", PZ_STR) : NULL;
            if (!st)
                return pz_error_set(err, PZ_EFORMAT, "journal %s: record %zu finishes trial %" PRIu64 " without a result", path, i, tid);
            const pz_value *ls = field(res, "loss", PZ_DOUBLE), *a = field(r, "start", PZ_DOUBLE), *e = field(r, "end", PZ_DOUBLE);
            tr->state = strcmp(st->u.s.ptr, "ok") == 0 && ls ? T_OK : T_FAIL;
            tr->loss = ls ? ls->u.d : NAN;
            tr->start = a ? a->u.d : tr->start;
            tr->end = e ? e->u.d : 0;
            if (!(tr->result = pz_value_copy(res)))
                return nomem(err);
            note_finished(s, tr);
        } else {
            return pz_error_set(err, PZ_EFORMAT, "journal %s: record %zu has an unknown type '%s'", path, i, t->u.s.ptr);
        }
    }
    return PZ_OK;
}

static void warn(pz_study *s, const char *msg)
{
    pz_buf_printf(&s->warnings, "%s\n", msg);
}

static uint64_t fresh_seed(void)
{
    uint64_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &v, sizeof v) != (ssize_t)sizeof v)
            v = 0;
        close(fd);
    }
    if (!v)
        v = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    return v % 1000000000u; /* short enough to retype */
}

static int open_journal(pz_study *s, unsigned flags, pz_error *err)
{
    pz_journal_scan scan;
    int rc = pz_journal_read(s->journal_path, &scan, err);
    int exists = rc == PZ_OK;
    if (rc && rc != PZ_ENOENT)
        return rc;
    if (exists && pz_value_len(scan.records) == 0) { /* only a torn header: never really began */
        pz_value_free(scan.records);
        exists = 0;
        if (unlink(s->journal_path) != 0)
            return pz_error_set(err, PZ_EIO, "cannot remove the empty journal %s: %s", s->journal_path, strerror(errno));
    }
    const pz_value *sd = pz_map_get(s->config, "seed");
    if (!exists) {
        s->seed = sd ? (uint64_t)sd->u.i : fresh_seed();
        if ((rc = pz__mkdirs(s->dir, err)))
            return rc;
        pz_value *h;
        if (header_record(s, &h))
            return nomem(err);
        rc = pz_journal_create(&s->journal, s->journal_path, h, err);
        pz_value_free(h);
        return rc;
    }
    if (flags & PZ_STUDY_NEW_ONLY) {
        pz_value_free(scan.records);
        return pz_error_set(err, PZ_EINVAL, "%s already holds study '%s'", s->dir, s->name);
    }
    const pz_value *h = scan.records->u.list.items[0];
    const pz_value *hs = field(h, "study", PZ_STR), *hseed = field(h, "seed", PZ_INT);
    const pz_value *labels = field(h, "labels", PZ_MAP), *hfp = field(h, "fingerprint", PZ_STR);
    const char *fp = hfp ? hfp->u.s.ptr : "";
    rc = PZ_OK;
    if (!hs || !hseed || !labels || !hfp)
        rc = pz_error_set(err, PZ_EFORMAT, "journal %s: the header lacks study, seed, labels or fingerprint", s->journal_path);
    else if (strcmp(hs->u.s.ptr, s->name) != 0)
        rc = pz_error_set(err, PZ_EINVAL, "%s holds the journal of study '%s', not '%s' (choose another --name or --results)",
                          s->dir, hs->u.s.ptr, s->name);
    else if (sd && sd->u.i != hseed->u.i)
        rc = pz_error_set(err, PZ_EINVAL, "study '%s' was started with seed %lld; seed %lld conflicts (drop it to resume, or "
                          "choose another --name)", s->name, (long long)hseed->u.i, (long long)sd->u.i);
    if (!rc)
        rc = replay(s, scan.records, &labels, &fp, err);
    if (!rc && strcmp(fp, s->fingerprint) != 0) {
        pz_buf d;
        pz_buf_init(&d);
        label_diff(labels, s->labels, &d);
        if (!(flags & PZ_STUDY_FORCE_SPACE_CHANGE)) {
            rc = pz_error_set(err, PZ_EINVAL, "the space of study '%s' changed since its journal was written (%s); "
                              "run with --force-space-change to resume with the new space", s->name, d.data);
        } else {
            char msg[PZ_ERRMSG_MAX];
            snprintf(msg, sizeof msg, "warning: resuming '%s' with a changed space (%s)", s->name, d.data);
            warn(s, msg);
        }
        pz_buf_destroy(&d);
    }
    if (rc) {
        pz_value_free(scan.records);
        return rc;
    }
    s->seed = (uint64_t)hseed->u.i;
    s->resumed = 1;
    if (scan.torn) {
        char msg[300];
        snprintf(msg, sizeof msg, "warning: %s", scan.warning);
        warn(s, msg);
    }
    int changed = strcmp(fp, s->fingerprint) != 0;
    pz_value_free(scan.records);
    scan.records = NULL;
    if ((rc = pz__mkdirs(s->dir, err)) || (rc = pz_journal_open_append(&s->journal, s->journal_path, &scan, err)))
        return rc;
    if (changed) {
        pz_value *r = pz_value_map();
        if (!r || pz_map_set(r, "t", pz_value_str("space")) || pz_map_set(r, "fingerprint", pz_value_str(s->fingerprint)) ||
            pz_map_set(r, "labels", pz_value_copy(s->labels))) {
            pz_value_free(r);
            return nomem(err);
        }
        if ((rc = append(s, r, err)))
            return rc;
    }
    /* Half-written results files of a killed run (see pz__write_file_atomic). */
    DIR *d = opendir(s->dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] == '.' && l > 5 && strcmp(e->d_name + l - 4, ".tmp") == 0) {
            char full[4096];
            snprintf(full, sizeof full, "%s/%s", s->dir, e->d_name);
            unlink(full);
        }
    }
    if (d)
        closedir(d);
    for (size_t i = 0; i < s->ntrials; i++) {
        trial *t = &s->trials[i];
        if (t->state == T_OK)
            s->n_ok0++;
        else if (t->state == T_FAIL)
            s->n_fail0++;
        else
            s->n_requeued++;
        /* The JSON files derive from the journal: restore any a crash cut off. */
        if (t->state == T_OK || t->state == T_FAIL) {
            char name[128], full[4096];
            pz_result_filename(name, sizeof name, t->id, t->state == T_OK, t->loss);
            snprintf(full, sizeof full, "%s/%s", s->dir, name);
            if (access(full, F_OK) != 0 && (rc = write_result_file(s, t, err)))
                return rc;
        }
    }
    return PZ_OK;
}

static pz_study *study_alloc(void)
{
    pz_study *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pz_buf_init(&s->warnings);
    s->best_id = -1;
    s->best_loss = INFINITY;
    s->workers = 1;
    s->output = PZ_OUTPUT_QUIET; /* a library prints nothing unless asked */
    return s;
}

static int open_common(pz_study *s, unsigned flags, pz_error *err)
{
    int rc;
    if (space_describe(s->space, &s->labels, s->fingerprint))
        return nomem(err);
    if ((rc = configure(s, err)) || (rc = open_journal(s, flags, err)))
        return rc;
    return PZ_OK;
}

int pz_study_open(pz_study **out, pz_space *space, const pz_value *config, unsigned flags, pz_error *err)
{
    *out = NULL;
    pz_study *s = study_alloc();
    if (!s) {
        pz_space_free(space);
        return nomem(err);
    }
    s->own_space = space;
    s->space = space;
    int rc = PZ_OK;
    if (!space)
        rc = pz_error_set(err, PZ_EINVAL, "pz_study_open needs a space");
    else if (!config || config->type != PZ_MAP)
        rc = pz_error_set(err, PZ_EINVAL, "pz_study_open needs a config map");
    else if (!(s->config = pz_value_copy(config)))
        rc = nomem(err);
    if (!rc)
        rc = open_common(s, flags, err);
    if (rc) {
        pz_study_free(s);
        return rc;
    }
    *out = s;
    return PZ_OK;
}

/* Merge the map src into the map dst: a key whose old and new values are
 * both maps merges recursively (so --set trainer.epochs=5 keeps the
 * script's other trainer fields), any other key is replaced. */
static int merge_into(pz_value *dst, const pz_value *src)
{
    for (size_t i = 0; i < src->u.map.len; i++) {
        const char *k = src->u.map.keys[i];
        const pz_value *v = src->u.map.vals[i];
        pz_value *old = pz_map_get(dst, k);
        if (old && old->type == PZ_MAP && v->type == PZ_MAP) {
            if (merge_into(old, v))
                return -1;
        } else if (pz_map_set(dst, k, pz_value_copy(v))) {
            return -1;
        }
    }
    return 0;
}

int pz_study_open_script(pz_study **out, const char *path, const pz_value *overrides, unsigned flags,
                         pz_error *err)
{
    *out = NULL;
    pz_study *s = study_alloc();
    if (!s)
        return nomem(err);
    int rc = pz_script_load(&s->script, path, err);
    if (!rc && !(s->config = pz_value_copy(pz_script_config(s->script))))
        rc = nomem(err);
    if (!rc && !pz_map_get(s->config, "name") && pz_map_set(s->config, "name", pz_value_str(pz_script_name(s->script))))
        rc = nomem(err);
    if (!rc && overrides && overrides->type == PZ_MAP && merge_into(s->config, overrides))
        rc = nomem(err);
    if (!rc) {
        s->space = pz_script_space(s->script);
        const pz_value *ob = pz_map_get(overrides, "objective");
        if (pz_script_has_lua_objective(s->script) && !ob) {
            s->obj.kind = PZ__OBJ_LUA;
            s->obj.script = s->script;
        } else if (!pz_map_get(s->config, "objective")) {
            rc = pz_error_set(err, PZ_ESCRIPT, "the study has no 'objective' (a Lua function, or a "
                                               "trainer plugin's name)");
            if (err)
                snprintf(err->where, sizeof err->where, "%s", path);
        }
        if (!rc)
            rc = open_common(s, flags, err);
    }
    if (rc) {
        pz_study_free(s);
        return rc;
    }
    *out = s;
    return PZ_OK;
}

int pz_study_open_dir(pz_study **out, const char *dir, pz_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return pz_error_set(err, PZ_ENOENT, "%s is not a folder", dir);
    pz_study *s = study_alloc();
    if (!s)
        return nomem(err);
    s->readonly = 1;
    pz_buf b;
    pz_buf_init(&b);
    if (pz_buf_printf(&b, "%s/%s", dir, PZ__JOURNAL_FILE) || !(s->dir = strdup(dir))) {
        pz_buf_destroy(&b);
        pz_study_free(s);
        return nomem(err);
    }
    s->journal_path = pz_buf_release(&b, NULL);
    pz_journal_scan scan;
    int rc = pz_journal_read(s->journal_path, &scan, err);
    if (rc == PZ_ENOENT)
        rc = pz_error_set(err, PZ_ENOENT, "%s holds no study (no %s)", dir, PZ__JOURNAL_FILE);
    if (!rc && pz_value_len(scan.records) == 0)
        rc = pz_error_set(err, PZ_ENOENT, "%s holds an empty journal", dir);
    if (rc) {
        pz_study_free(s);
        return rc;
    }
    if (scan.torn) {
        char msg[300];
        snprintf(msg, sizeof msg, "warning: %s", scan.warning);
        warn(s, msg);
    }
    const pz_value *h = scan.records->u.list.items[0];
    const pz_value *hs = field(h, "study", PZ_STR), *hseed = field(h, "seed", PZ_INT), *labels = field(h, "labels", PZ_MAP);
    const char *fp = "";
    if (!hs || !hseed || !labels)
        rc = pz_error_set(err, PZ_EFORMAT, "journal %s: the header lacks study, seed or labels", s->journal_path);
    else if (!(s->name = strdup(hs->u.s.ptr)))
        rc = nomem(err);
    if (!rc)
        rc = replay(s, scan.records, &labels, &fp, err);
    if (!rc && !(s->labels = pz_value_copy(labels)))
        rc = nomem(err);
    if (!rc)
        s->seed = (uint64_t)hseed->u.i;
    pz_value_free(scan.records);
    if (rc) {
        pz_study_free(s);
        return rc;
    }
    for (size_t i = 0; i < s->ntrials; i++)
        s->n_ok0 += s->trials[i].state == T_OK, s->n_fail0 += s->trials[i].state == T_FAIL;
    s->resumed = 1;
    *out = s;
    return PZ_OK;
}

void pz_study_free(pz_study *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ntrials; i++) {
        pz_value_free(s->trials[i].vals);
        pz_value_free(s->trials[i].params);
        pz_value_free(s->trials[i].result);
        pz_value_free(s->trials[i].created);
    }
    free(s->trials);
    pz_journal_close(s->journal);
    pz_searcher_free(s->searcher);
    pz_plugin_free(s->plugin);
    pz_value_free(s->config);
    pz_value_free(s->labels);
    pz_value_free(s->points);
    pz_space_free(s->own_space);
    pz_script_free(s->script);
    pz_buf_destroy(&s->warnings);
    free(s->name);
    free(s->dir);
    free(s->journal_path);
    free(s);
}
/* }===== */

/* {===== creating, starting and finishing trials ===== */

int pz__study_views(const pz_study *s, pz_trial_view **out, size_t *n)
{
    pz_trial_view *views = malloc((s->ntrials ? s->ntrials : 1) * sizeof *views);
    if (!views)
        return PZ_ENOMEM;
    for (size_t i = 0; i < s->ntrials; i++) {
        const trial *t = &s->trials[i];
        views[i].id = t->id;
        views[i].status = t->state == T_OK ? PZ_TRIAL_OK : t->state == T_FAIL ? PZ_TRIAL_FAIL : PZ_TRIAL_PENDING;
        views[i].loss = t->state == T_OK ? t->loss : NAN;
        views[i].vals = t->vals;
    }
    *out = views;
    *n = s->ntrials;
    return PZ_OK;
}

/* The next trial to run: the lowest queued one, else a new one. */
static int next_trial(pz_study *s, trial **out, pz_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < s->ntrials; i++)
        if (s->trials[i].state == T_QUEUED) {
            *out = &s->trials[i];
            return PZ_OK;
        }
    if ((int64_t)s->ntrials >= s->max_evals)
        return pz_error_set(err, PZ_ERANGE, "study '%s' has its %lld trials (max_evals)", s->name, (long long)s->max_evals);
    uint64_t id = s->ntrials;
    pz_value *vals = NULL, *params = NULL;
    int rc;
    if (id < pz_value_len(s->points)) {
        vals = pz_value_copy(s->points->u.list.items[id]);
        rc = vals ? PZ_OK : nomem(err);
    } else {
        pz_trial_view *views;
        size_t nv;
        if (pz__study_views(s, &views, &nv))
            return nomem(err);
        pz_suggest_ctx ctx = {s->space, views, nv, s->seed, id};
        rc = pz_searcher_suggest(s->searcher, &ctx, &vals, err);
        free(views);
    }
    if (!rc)
        rc = pz_space_eval(s->space, vals, &params, err);
    pz_value *r = rc ? NULL : record("created", id);
    if (!rc && (!r || pz_map_set(r, "vals", pz_value_copy(vals)) || pz_map_set(r, "params", pz_value_copy(params)))) {
        pz_value_free(r);
        r = NULL;
        rc = nomem(err);
    }
    trial *t = rc ? NULL : push_trial(s);
    if (!rc && !t)
        rc = nomem(err);
    if (rc) {
        pz_value_free(r);
        pz_value_free(vals);
        pz_value_free(params);
        return rc;
    }
    t->vals = vals;
    t->params = params;
    t->created = r; /* journaled together with "started" */
    *out = t;
    return PZ_OK;
}

/* Journal "created" (for a new trial) and "started" in one write and one
 * fsync, then let it run. */
static int start_trial(pz_study *s, trial *t, tstate state, pz_error *err)
{
    t->start = pz__now_wall();
    pz_value *started = record("started", t->id);
    if (!started)
        return nomem(err);
    const pz_value *recs[2] = {t->created, started};
    int rc = t->created ? pz_journal_append_n(s->journal, recs, 2, err)
                        : pz_journal_append(s->journal, started, err);
    pz_value_free(started);
    if (rc) {
        if (t->created && (size_t)t->id + 1 == s->ntrials) { /* never was: forget it */
            pz_value_free(t->created);
            pz_value_free(t->vals);
            pz_value_free(t->params);
            s->ntrials--;
        }
        return rc;
    }
    pz_value_free(t->created);
    t->created = NULL;
    t->state = state;
    return PZ_OK;
}

static void emit(pz_study *s, const trial *t);

/* Record a trial's end (result ownership taken). */
static int finish_trial(pz_study *s, trial *t, pz_value *result, pz_error *err)
{
    t->end = pz__now_wall();
    const pz_value *st = pz_map_get(result, "status");
    const pz_value *ls = pz_map_get(result, "loss");
    int ok = st && st->type == PZ_STR && strcmp(st->u.s.ptr, "ok") == 0 && ls && ls->type == PZ_DOUBLE;
    pz_value *r = record("finished", t->id);
    if (!r || pz_map_set(r, "result", pz_value_copy(result)) || pz_map_set(r, "start", pz_value_double(t->start)) ||
        pz_map_set(r, "end", pz_value_double(t->end))) {
        pz_value_free(r);
        pz_value_free(result);
        return nomem(err);
    }
    int rc = append(s, r, err);
    if (rc) {
        pz_value_free(result);
        return rc;
    }
    t->state = ok ? T_OK : T_FAIL;
    t->loss = ok ? ls->u.d : NAN;
    pz_value_free(t->result);
    t->result = result;
    note_finished(s, t);
    rc = write_result_file(s, t, err);
    emit(s, t);
    return rc;
}

static int interrupt_trial(pz_study *s, trial *t, pz_error *err)
{
    t->state = T_QUEUED;
    t->interrupted++;
    return append(s, record("interrupted", t->id), err);
}

/* Stop conditions that follow a finished trial. */
static pz_stop_reason check_stop(pz_study *s)
{
    if (s->max_fail > 0 && s->consecutive_fail >= s->max_fail)
        return PZ_STOP_FAILURES;
    if (s->has_threshold && s->best_id >= 0 && s->best_loss <= s->loss_threshold)
        return PZ_STOP_LOSS_THRESHOLD;
    if (s->no_improvement > 0 && s->best_id >= 0 && s->since_improvement >= (size_t)s->no_improvement)
        return PZ_STOP_NO_IMPROVEMENT;
    return PZ_STOP_NONE;
}
/* }===== */

/* {===== progress ===== */

static double run_t0;
static size_t run_done;
static int live_line; /* a status line is on screen */
static const pz__child *run_kids; /* the running trials, for their progress */
static int run_nkids;

/* "trial 4: epoch 2/20 loss 1.7" from the latest progress event of a
 * running trial, or "". */
static void progress_text(char *b, size_t n)
{
    b[0] = '\0';
    for (int i = 0; i < run_nkids; i++) {
        const pz__child *c = &run_kids[i];
        if (!c->pid || !c->progress || c->progress->type != PZ_MAP)
            continue;
        size_t len = (size_t)snprintf(b, n, " | trial %" PRIu64 ":", c->id);
        const pz_value *ev = c->progress;
        double e, es;
        if (pz_value_number(pz_map_get(ev, "epoch"), &e) == PZ_OK &&
            pz_value_number(pz_map_get(ev, "epochs"), &es) == PZ_OK && len < n)
            len += (size_t)snprintf(b + len, n - len, " epoch %g/%g", e, es);
        for (size_t k = 0; k < ev->u.map.len && len < n; k++) {
            const char *key = ev->u.map.keys[k];
            double v;
            if (strcmp(key, "epoch") && strcmp(key, "epochs") && pz_value_number(ev->u.map.vals[k], &v) == PZ_OK)
                len += (size_t)snprintf(b + len, n - len, " %s %.4g", key, v);
        }
        return;
    }
}

static void fmt_dur(double s, char *b, size_t n)
{
    if (!(s >= 0) || s > 1e8) {
        snprintf(b, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(b, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(b, n, "%ld:%02ld", t / 60, t % 60);
}

static size_t count_state(const pz_study *s, tstate st)
{
    size_t n = 0;
    for (size_t i = 0; i < s->ntrials; i++)
        n += s->trials[i].state == st;
    return n;
}

static void status_line(pz_study *s)
{
    if (s->output != PZ_OUTPUT_AUTO || !isatty(STDOUT_FILENO))
        return;
    size_t fin = count_state(s, T_OK) + count_state(s, T_FAIL);
    double el = pz__now_mono() - run_t0;
    char e[32], eta[32];
    fmt_dur(el, e, sizeof e);
    double left = (double)s->max_evals - (double)fin;
    fmt_dur(run_done ? el / (double)run_done * left : -1, eta, sizeof eta);
    char best[64] = "none";
    if (s->best_id >= 0)
        snprintf(best, sizeof best, "%.6g (trial %lld)", s->best_loss, (long long)s->best_id);
    char prog[160];
    progress_text(prog, sizeof prog);
    printf("\r\033[K%s: trial %zu/%lld | running %zu | elapsed %s | ETA %s | best %s%s", s->name, fin,
           (long long)s->max_evals, count_state(s, T_RUNNING), e, eta, best, prog);
    fflush(stdout);
    live_line = 1;
}

static void emit(pz_study *s, const trial *t)
{
    run_done++;
    if (s->output == PZ_OUTPUT_QUIET)
        return;
    if (s->output == PZ_OUTPUT_JSON) {
        pz_value *doc = trial_doc(s, t);
        pz_buf b;
        pz_buf_init(&b);
        if (doc && !pz_value_to_json(doc, &b) && !pz_buf_putc(&b, '\n'))
            fwrite(b.data, 1, b.len, stdout);
        fflush(stdout);
        pz_buf_destroy(&b);
        pz_value_free(doc);
        return;
    }
    int tty = s->output == PZ_OUTPUT_AUTO && isatty(STDOUT_FILENO);
    size_t fin = count_state(s, T_OK) + count_state(s, T_FAIL);
    if (tty && t->state == T_OK) { /* the status line says it all */
        status_line(s);
        return;
    }
    if (live_line)
        printf("\r\033[K");
    live_line = 0;
    if (t->state == T_OK) {
        pz_buf pj;
        pz_buf_init(&pj);
        pz_value_to_json(t->params, &pj);
        int cut = pj.len > 160;
        printf("[%zu/%lld] trial %" PRIu64 " ok loss %.6g | best %.6g (trial %lld) | %.2f s | %.*s%s\n", fin,
               (long long)s->max_evals, t->id, t->loss, s->best_loss, (long long)s->best_id, t->end - t->start,
               cut ? 160 : (int)pj.len, pj.data ? pj.data : "", cut ? "..." : "");
        pz_buf_destroy(&pj);
    } else {
        const pz_value *e = pz_map_get(t->result, "error");
        const char *why = e && e->type == PZ_STR ? e->u.s.ptr : "unknown reason";
        printf("[%zu/%lld] trial %" PRIu64 " FAILED: %.*s\n", fin, (long long)s->max_evals, t->id,
               (int)strcspn(why, "\n"), why);
    }
    fflush(stdout);
    if (tty)
        status_line(s);
}
/* }===== */

/* {===== the runner ===== */

static volatile sig_atomic_t sig_count, sig_last;
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    sig_count++;
    sig_last = sig;
    if (sig_pipe[1] >= 0) {
        ssize_t w = write(sig_pipe[1], "!", 1);
        (void)w;
    }
    errno = saved;
}

void pz_study_set_objective(pz_study *s, pz_objective_fn fn, void *ud)
{
    s->obj.kind = PZ__OBJ_C;
    s->obj.fn = fn;
    s->obj.ud = ud;
}

void pz_study_set_output(pz_study *s, pz_output mode) { s->output = mode; }
pz_stop_reason pz_study_stop_reason(const pz_study *s) { return s->stop; }

static int spawn(pz_study *s, pz__child *c, trial *t, pz_error *err)
{
    char mdir[PATH_MAX + 64];
    const char *model_dir = NULL;
    if (s->obj.kind == PZ__OBJ_PLUGIN) {
        /* absolute, so the model path in the results means the same from
         * any working directory */
        char abs[PATH_MAX];
        if (!realpath(s->dir, abs))
            return pz_error_set(err, PZ_EIO, "cannot resolve %s: %s", s->dir, strerror(errno));
        snprintf(mdir, sizeof mdir, "%s/models/trial-%06" PRIu64, abs, t->id);
        int rc = pz__mkdirs(mdir, err);
        if (rc)
            return rc;
        model_dir = mdir;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = (int)(cores > 0 ? cores : 1) / s->workers;
    pz__trial_input in = {t->id, pz__trial_seed(s->seed, t->id), t->params, model_dir,
                          threads < 1 ? 1 : threads, s->trial_timeout, s->output == PZ_OUTPUT_JSON,
                          pz__journal_fd(s->journal)};
    int rc = start_trial(s, t, T_RUNNING, err);
    if (!rc)
        rc = pz__trial_spawn(c, &s->obj, &in, err);
    return rc;
}

int pz_study_run(pz_study *s, pz_error *err)
{
    if (s->readonly)
        return fail(s, err, pz_error_set(err, PZ_EINVAL, "study '%s' was opened read-only", s->name));
    if (s->obj.kind == PZ__OBJ_NONE)
        return fail(s, err, pz_error_set(err, PZ_EINVAL, "study '%s' has no objective (set 'objective' to a Lua "
                                                         "function or a trainer plugin's name)", s->name));
    s->stop = PZ_STOP_NONE;
    pz__child *kids = calloc((size_t)s->workers, sizeof *kids);
    if (!kids)
        return fail(s, err, nomem(err));
    if (pipe(sig_pipe) != 0) {
        free(kids);
        return fail(s, err, pz_error_set(err, PZ_EIO, "cannot create a pipe: %s", strerror(errno)));
    }
    for (int i = 0; i < 2; i++) {
        fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    sig_count = 0;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    run_t0 = pz__now_mono();
    run_done = 0;
    run_kids = kids;
    run_nkids = s->workers;
    live_line = 0;
    int nrun = 0, rc = PZ_OK, stopping = 0, seen_sigs = 0, exhausted = 0;
    size_t n_interrupted = 0;
    double grace_end = 0;
    char last_error[PZ_ERRMSG_MAX] = "";
    struct pollfd *pfd = calloc((size_t)s->workers + 1, sizeof *pfd);
    if (!pfd)
        rc = nomem(err);

    while (!rc) {
        double now = pz__now_mono();
        if (sig_count > seen_sigs) {
            seen_sigs = sig_count;
            if (!stopping || s->stop != PZ_STOP_INTERRUPTED) {
                s->stop = PZ_STOP_INTERRUPTED;
                stopping = 1;
                grace_end = now + 10;
                for (int i = 0; i < s->workers; i++)
                    if (kids[i].pid)
                        pz__trial_cancel(&kids[i]);
            }
            if (seen_sigs >= 2) /* the second Ctrl-C: now */
                for (int i = 0; i < s->workers; i++)
                    if (kids[i].pid)
                        pz__trial_kill(&kids[i]);
        }
        if (!stopping && s->timeout > 0 && now - run_t0 >= s->timeout) {
            s->stop = PZ_STOP_TIMEOUT;
            stopping = 1;
            grace_end = now + 10;
            for (int i = 0; i < s->workers; i++)
                if (kids[i].pid)
                    pz__trial_cancel(&kids[i]);
        }
        if (stopping && grace_end > 0 && now >= grace_end)
            for (int i = 0; i < s->workers; i++)
                if (kids[i].pid)
                    pz__trial_kill(&kids[i]);
        for (int i = 0; i < s->workers && !stopping && !exhausted && nrun < s->workers; i++) {
            if (kids[i].pid)
                continue;
            trial *t;
            pz_error sub;
            pz_error_clear(&sub);
            int r = next_trial(s, &t, &sub);
            if (r == PZ_ERANGE) {
                exhausted = 1;
                break;
            }
            if (!r)
                r = spawn(s, &kids[i], t, &sub);
            if (r) {
                if (err)
                    *err = sub;
                rc = r;
                break;
            }
            nrun++;
            status_line(s);
        }
        if (rc || nrun == 0)
            break;
        /* Wait for a result, a signal, a deadline or the next tick. */
        int np = 0;
        double wait = isatty(STDOUT_FILENO) && s->output == PZ_OUTPUT_AUTO ? 1.0 : 60.0;
        for (int i = 0; i < s->workers; i++) {
            if (!kids[i].pid)
                continue;
            if (kids[i].deadline > 0 && kids[i].deadline - now < wait)
                wait = kids[i].deadline - now;
            if (kids[i].fd >= 0) {
                pfd[np].fd = kids[i].fd;
                pfd[np].events = POLLIN;
                pfd[np].revents = 0;
                np++;
            }
        }
        if (s->timeout > 0 && !stopping && run_t0 + s->timeout - now < wait)
            wait = run_t0 + s->timeout - now;
        if (stopping && grace_end > 0 && grace_end - now < wait)
            wait = grace_end - now;
        pfd[np].fd = sig_pipe[0];
        pfd[np].events = POLLIN;
        pfd[np].revents = 0;
        int ms = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
        int pr = poll(pfd, (nfds_t)np + 1, ms);
        if (pr < 0 && errno != EINTR) {
            rc = pz_error_set(err, PZ_EIO, "poll: %s", strerror(errno));
            break;
        }
        char drain[64];
        while (read(sig_pipe[0], drain, sizeof drain) > 0) {
        }
        status_line(s); /* the clock moves on a terminal even when nothing finished */
        now = pz__now_mono();
        for (int i = 0; i < s->workers && !rc; i++) {
            pz__child *c = &kids[i];
            if (!c->pid)
                continue;
            if (c->deadline > 0 && now >= c->deadline && !c->timed_out && !c->cancelled) {
                c->timed_out = 1;
                pz__trial_kill(c);
            }
            if (!pz__trial_read(c))
                continue;
            trial *t = &s->trials[c->id];
            int cancelled = c->cancelled && !c->timed_out;
            pz_value *res;
            if ((rc = pz__trial_reap(c, &res)) != PZ_OK) {
                nomem(err);
                break;
            }
            nrun--;
            const pz_value *st = pz_map_get(res, "status");
            int ok = st && strcmp(st->u.s.ptr, "ok") == 0;
            if (cancelled && !ok) {
                pz_value_free(res);
                rc = interrupt_trial(s, t, err);
                n_interrupted++;
                continue;
            }
            const pz_value *em = pz_map_get(res, "error");
            if (em && em->type == PZ_STR) /* first line: a traceback stays in the trial's file */
                snprintf(last_error, sizeof last_error, "%.*s", (int)strcspn(em->u.s.ptr, "\n"), em->u.s.ptr);
            rc = finish_trial(s, t, res, err);
            if (!rc && !stopping) {
                pz_stop_reason why = check_stop(s);
                if (why != PZ_STOP_NONE) {
                    s->stop = why;
                    stopping = 1;
                    grace_end = pz__now_mono() + 10;
                    for (int k = 0; k < s->workers; k++)
                        if (kids[k].pid)
                            pz__trial_cancel(&kids[k]);
                }
            }
        }
    }
    /* On an error, leave no child behind; they are recorded as interrupted. */
    for (int i = 0; i < s->workers; i++)
        if (kids[i].pid) {
            pz__trial_kill(&kids[i]);
            pz_value *res = NULL;
            pz__trial_reap(&kids[i], &res);
            pz_value_free(res);
            pz_error ignored;
            interrupt_trial(s, &s->trials[kids[i].id], &ignored);
            n_interrupted++;
        }
    if (live_line) {
        printf("\n");
        fflush(stdout);
        live_line = 0;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    sig_pipe[0] = sig_pipe[1] = -1;
    run_kids = NULL;
    run_nkids = 0;
    free(kids);
    free(pfd);
    if (rc)
        return fail(s, err, rc);
    if (s->stop == PZ_STOP_NONE)
        s->stop = PZ_STOP_MAX_EVALS;
    if (s->stop == PZ_STOP_INTERRUPTED) {
        size_t q = n_interrupted;
        rc = pz_error_set(err, PZ_ECANCEL, "interrupted by %s: %zu running trial%s recorded as interrupted; run the same "
                          "command again to resume", sig_last == SIGTERM ? "SIGTERM" : "SIGINT", q, q == 1 ? "" : "s");
        return fail(s, err, rc);
    }
    if (s->stop == PZ_STOP_FAILURES) {
        rc = pz_error_set(err, PZ_ECANCEL, "stopping study '%s': the last %lld trials failed in a row (last error: %s)",
                          s->name, (long long)s->max_fail, last_error);
        return fail(s, err, rc);
    }
    return PZ_OK;
}
/* }===== */

/* {===== ask and tell ===== */

int pz_study_ask(pz_study *s, uint64_t *id, const pz_value **params, const pz_value **vals, pz_error *err)
{
    if (s->readonly)
        return fail(s, err, pz_error_set(err, PZ_EINVAL, "study '%s' was opened read-only", s->name));
    trial *t;
    int rc = next_trial(s, &t, err);
    if (!rc)
        rc = start_trial(s, t, T_ASKED, err);
    if (rc)
        return fail(s, err, rc);
    *id = t->id;
    if (params)
        *params = t->params;
    if (vals)
        *vals = t->vals;
    return PZ_OK;
}

int pz_study_tell(pz_study *s, uint64_t id, const pz_value *result, pz_error *err)
{
    if (s->readonly)
        return fail(s, err, pz_error_set(err, PZ_EINVAL, "study '%s' was opened read-only", s->name));
    if (id >= s->ntrials || s->trials[id].state != T_ASKED)
        return fail(s, err, pz_error_set(err, PZ_EINVAL, "trial %" PRIu64 " of study '%s' is not waiting for a result", id, s->name));
    pz_value *res;
    if (pz__result_normalize(result, &res))
        return fail(s, err, nomem(err));
    int rc = finish_trial(s, &s->trials[id], res, err);
    return rc ? fail(s, err, rc) : PZ_OK;
}

int pz_study_tell_loss(pz_study *s, uint64_t id, double loss, pz_error *err)
{
    pz_value *v = pz_value_double(loss);
    if (!v)
        return fail(s, err, nomem(err));
    int rc = pz_study_tell(s, id, v, err);
    pz_value_free(v);
    return rc;
}
/* }===== */

/* {===== inspecting ===== */

const char *pz_study_name(const pz_study *s) { return s->name; }
const char *pz_study_dir(const pz_study *s) { return s->dir; }
uint64_t pz_study_seed(const pz_study *s) { return s->seed; }
size_t pz_study_ntrials(const pz_study *s) { return s->ntrials; }
size_t pz_study_nlabels(const pz_study *s) { return pz_value_len(s->labels); }
const char *pz_study_label(const pz_study *s, size_t i) { return i < pz_value_len(s->labels) ? s->labels->u.map.keys[i] : NULL; }
const char *pz_study_warnings(const pz_study *s) { return s->warnings.data ? s->warnings.data : ""; }
const char *pz_study_errmsg(const pz_study *s) { return s->errmsg[0] ? s->errmsg : "no error"; }

void pz_study_counts(const pz_study *s, int *resumed, size_t *ok, size_t *failed, size_t *requeued)
{
    if (resumed)
        *resumed = s->resumed;
    if (ok)
        *ok = s->n_ok0;
    if (failed)
        *failed = s->n_fail0;
    if (requeued)
        *requeued = s->n_requeued;
}

int pz_study_trial(const pz_study *s, size_t i, pz_trial_info *out)
{
    memset(out, 0, sizeof *out);
    if (i >= s->ntrials)
        return PZ_ENOENT;
    const trial *t = &s->trials[i];
    out->id = t->id;
    out->status = t->state == T_OK ? PZ_TRIAL_OK : t->state == T_FAIL ? PZ_TRIAL_FAIL : PZ_TRIAL_PENDING;
    out->loss = t->state == T_OK ? t->loss : NAN;
    out->vals = t->vals;
    out->params = t->params;
    const pz_value *v;
    out->metrics = t->result ? field(t->result, "metrics", PZ_MAP) : NULL;
    out->error = t->result && (v = field(t->result, "error", PZ_STR)) ? v->u.s.ptr : NULL;
    out->model = t->result && (v = field(t->result, "model", PZ_STR)) ? v->u.s.ptr : NULL;
    out->start = t->start;
    out->end = t->end;
    out->interrupted = t->interrupted;
    return PZ_OK;
}

int pz_study_trial_doc(const pz_study *s, size_t i, pz_value **doc)
{
    *doc = NULL;
    if (i >= s->ntrials)
        return PZ_ENOENT;
    *doc = trial_doc(s, &s->trials[i]);
    return *doc ? PZ_OK : PZ_ENOMEM;
}

int pz_study_best(const pz_study *s, pz_trial_info *out)
{
    int64_t best = -1;
    for (size_t i = 0; i < s->ntrials; i++)
        if (s->trials[i].state == T_OK && (best < 0 || s->trials[i].loss < s->trials[best].loss))
            best = (int64_t)i;
    if (best < 0) {
        memset(out, 0, sizeof *out);
        return PZ_ENOENT;
    }
    return pz_study_trial(s, (size_t)best, out);
}
/* }===== */
