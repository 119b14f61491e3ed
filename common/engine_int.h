/*
 * engine_int.h — Internal interface between the two files of the native
 * engine: engine.c (the public API: filters, top-k heap, collapsing,
 * explain) and engine_iter.c (BM25, the query compiler and the iterator
 * tree).  Not for use outside them: the public interface is engine.h.
 */
#ifndef AS_ENGINE_INT_H
#define AS_ENGINE_INT_H

#include "engine.h"

/* Cushion (relative to the node's bound) under thresholds derived by
 * subtraction: rounding in sums of a few hundred doubles is ~1e-14. */
#define AS_ENG_CUSHION 1e-12
/* Protective limits against hostile query trees. */
#define AS_ENG_MAX_DEPTH 200
#define AS_ENG_MAX_LEAVES 100000

enum { N_TERM, N_PHRASE, N_AND, N_OR, N_ANDNOT, N_ALL };

typedef struct enode {
    int op;
    int started;        /* advanced at least once */
    uint32_t doc;       /* current doc, AS_DOC_END when exhausted */
    uint32_t valdoc;    /* doc for which val holds, AS_DOC_END = none */
    uint32_t vallen;    /* TERM: that doc's length (valid with val) */
    double val;
    double maxw;        /* upper bound of the value (exact, see engine_iter.c) */
    double cost;        /* estimated postings to read, for AND order */
    uint32_t kid0, nkids; /* e->kids[kid0..+nkids): fold order; e->ord: iteration order */
    uint32_t leaf;      /* TERM: cursor index */
    uint32_t off;       /* TERM inside PHRASE: offset (normalized, min 0) */
    double tw;          /* TERM: log(tw) * (k1 + 1) */
    uint32_t ness;      /* OR: number of non-essential kids (prefix of ord) */
    double ness_sum;    /* OR: sum of their bounds */
    uint32_t pip;       /* position among the parent's kids (fold order) */
    uint32_t nh;        /* OR: kids in the heap */
    uint32_t heap_ness; /* OR: ness the heap was built for, UINT32_MAX = none */
    int has_term;       /* AND, PHRASE: some kid is a TERM (block-max applies) */
    int bb_valid;       /* TERM: bb_val is the bound of the block ending at bb_last */
    uint32_t bb_last;
    double bb_val;
    double cb[4];       /* TERM: the bounds of that block's wdf classes (bb_val
                           is their largest), 0 for a class it cannot have */
    int32_t vand;       /* OR: its virtual AND (adv_or_req), -1 = none */
    uint32_t vmask;     /* OR: the required kids that AND is built for */
    uint32_t vcap;      /* virtual AND: room for kids (every leaf of the OR) */
    double lw;          /* TERM: the wmin lstar is for (NAN = none) */
    uint32_t lstar[3];  /* TERM: shortest doclen at which wdf 1, 2, 3 score
                           <= lw; UINT32_MAX = none up to 65535 */
    double mlo;         /* TERM: bound of its postings outside its high list
                           (format.h: high); INFINITY when it has none */
    int hion;           /* TERM: walks its high list (e->hcurs) */
    int hinit;          /* TERM: its high cursor is initialized this pass */
    uint32_t hl[3];     /* TERM: its high list's L1..L3 (format.h: high) */
    int tier;           /* AND: of 2..8 TERMs with high lists (1) or such
                           TERMs and ORs of TERMs (2), an OR's virtual
                           AND of such TERMs (3): align_tier */
    double tdw;         /* AND: the wmin align_tier declined at (NAN = none) */
    int hkids;          /* AND, PHRASE: some kid is a TERM with a high list */
    double hw;          /* AND, PHRASE: the wmin its kids' lists were picked
                           for (NAN = none) */
    int jok;            /* AND run by tiers: jp holds for its kids */
    double jp[9];       /* AND run by tiers: jp[i] bounds the docs that are
                           high in none of its units but the i first by g
                           (engine_iter.c: joint bounds); -INFINITY = none */
} enode;

/* Per-length tables of a run by tiers (engine_iter.c: joint bounds): for
 * docs shorter than AS_JT_LEN and the first AS_JT_TERMS terms. */
#define AS_JT_LEN 64
#define AS_JT_TERMS 16

/* Docs in one window of a run by windows (engine_iter.c: tier_win); at
 * most 65536 (a doc's place in its window is kept in 16 bits).  Fewer
 * windows cost less each to set up and sort: local authority staff, 3
 * runs, 4096 -> 8192: 1M 19.55M -> 19.39M, 5M 60.07M -> 59.07M
 * instructions; 16384 at 1M 19.41M. */
#define AS_WIN_DOCS 8192

typedef struct range { uint32_t start, end; } range;

typedef struct hent {
    double w;
    uint32_t doc;  /* representative */
    uint32_t key;  /* group key (first member) or doc */
} hent;

struct as_engine {
    const as_index *ix;
    uint32_t ndocs;
    char msg[512];

    /* BM25 parameters of the running query. */
    double k1, b, min_normlen, len_factor;

    /* Compiled tree. */
    enode *nodes;
    size_t nnodes, capnodes;
    uint32_t *kids, *ord;
    uint32_t *hp, *ml, *st; /* OR scratch, parallel to kids */
    double *kbb;        /* AND/PHRASE scratch, parallel to kids: window bounds */
    size_t nkids, capkids;
    uint32_t *stack;    /* compile-time kid lists */
    size_t nstack, capstack;
    int32_t root;       /* -1 = matches nothing */

    /* Leaves: one cursor each. */
    as_pcur **curs;
    as_term *lterm;
    const as_qnode **lq;
    size_t nleaves, capleaves, ncurs_alloc;
    as_pcur *tmpcur;
    /* Per leaf: the cursor in use, curs[i] or hcurs[i] (engine_iter.c:
     * impact tiers); its high list (format.h: high; df 0 = none), the
     * cursor on it (made on first use, NULL before). */
    as_pcur **acurs;
    size_t capacurs;
    as_term *hterm;
    size_t caphterm;
    as_pcur **hcurs;
    size_t caphcurs;
    /* Calls of the last query in which an AND ran by tiers (align_tier),
     * those of them with an OR kid: for tests. */
    uint64_t ntier, ntieror;
    /* Of those, the calls that only the joint bound let run (for tests). */
    uint64_t njoint;
    /* Of those, the calls led by the rarest unit's main lists
     * (align_tier_lead). */
    uint64_t nlead;
    /* Of those, the calls that leapt over docs with one of a two-term
     * lead's terms (align_tier_lead: solo). */
    uint64_t nsolo;
    /* The node whose terms jv and jl are for (-1: none): term m of its run
     * by tiers scores jv[m][w - 1][dl] with wdf w <= 3 on a doc of length
     * dl, and at most jl[m][dl] when not in its high list (-1: cannot). */
    int32_t jnode;
    /* The node whose lead table jm is for (-1: none): align_tier_lead's
     * bound of a doc on which its lead's (one or two) terms have wdf i and
     * j (0: absent; 3: 3 or more) and no other unit is high, at any length. */
    int32_t jmnode;
    double jm[4][4];
    /* The node whose run led by its rarest unit (align_tier_lead) the
     * fields below describe (-1: none), so that a call repeated for each
     * of an OR's candidates does not find them again: its terms in fold
     * order (ltn) and their high cursors (lhc, NULL for a term without a
     * high list), unit i's terms from lhb[i] to lhb[i + 1] (lhb[nk] =
     * lnh), the lead unit. */
    int32_t lnode;
    uint32_t lnh, llead, lnopt; /* lnopt: the OR's optional TERMs, after them */
    uint8_t lhb[9];
    /* the other units (nodes), in the order their main lists are checked
     * on a candidate (lead_walk: lmo[0 .. lnmo)) */
    uint32_t lmo[8], lnmo;
    /* Candidates of the last query on which a unit other than the first of
     * lmo missed and moved up (for tests). */
    uint64_t nlmove;
    /* Leaps of the last query's lead walk past docs with one of the lead's
     * terms to the next doc high in every other unit (all; for tests). */
    uint64_t nall;
    /* Calls of the last query's lead walk of two terms with lofree (a doc
     * high in no list at most wmin), and the docs of the intersection it
     * let go by unread (for tests). */
    uint64_t nlofree, nlorej;
    /* High cursors of the last query's lead walk of two terms moved by a
     * step inside their decoded block (hstep; for tests). */
    uint64_t nhstep;
    enode *ltn[64];
    as_pcur *lhc[64];
    /* Calls of the last query's align_tier_lead that found them so (for
     * tests). */
    uint64_t nlcache;
    /* Of the calls with solo, those where a doc with one of the lead's
     * terms cannot exceed wmin however high elsewhere (for tests). */
    uint64_t nfree;
    /* The node whose table hq is for (-1: none): align_tier_terms' bound
     * of a doc high in kid i alone, with wdf w + 1 <= 3, at any length
     * (single_table). */
    int32_t hqnode;
    double hq[8][3];
    /* Calls of the last query's align_tier_terms that rejected a candidate
     * by hq (for tests). */
    uint64_t nhq;
    /* Of those, the candidates of an AND of two or three TERMs rejected by
     * hk (tier_scan) while high in two kids or more (for tests). */
    uint64_t nhk;
    /* Of the candidates tier_scan's hk let through, those it rejected at
     * their own length without returning (scan_len; for tests). */
    uint64_t nslen;
    /* Times tier_scan merged inside the cursors' blocks (its fast phase;
     * for tests). */
    uint64_t nsfast;
    /* Calls of the last query's align_tier that went to align_tier_lead
     * for an intersection of its rarest unit's two terms (for tests). */
    uint64_t nmeet;
    /* Calls of the last query's align_bm in which an OR's virtual AND ran
     * led by its rarest term where the tiers declined (bm_lead; for
     * tests). */
    uint64_t nbmlead;
    /* Threshold seeding (engine.c: seed): the runs since the engine was
     * made that started from a seeded threshold, and the last run's seed
     * (the k-th best weight it found; -INFINITY: none), for
     * tests; seed_bug, for tests only, makes the seed wrong on purpose (1:
     * the k-th best itself, not just below it; 2: the best, not the k-th)
     * so that a test can show the check catches it.  scur: cursors on the
     * high lists the seed walks (capscur of them, made on first use). */
    uint64_t nseed;
    double seedw;
    int seed_bug;
    double seed_min;    /* for tests: the least root AND cost to seed at
                           (0: engine.c's SEED_MIN_COST) */
    as_pcur **scur;
    size_t capscur;
    /* Threshold guessing (engine.c: guess): the runs since the engine was
     * made that started from a guessed root wmin, those of them that had
     * to start again from -INFINITY, and the last run's guess (-INFINITY:
     * none), for tests. */
    uint64_t nguess, nguessfail;
    double guessw;
    /* For tests only: guess_off makes runs never guess; guess_bug keeps a
     * guessed pass's hits unchecked, so that a test can show the check is
     * needed. */
    int guess_off, guess_bug;
    /* For tests only: guess_hi 1 makes a guess rise to the joint bound
     * (as_eng_guess) whatever the AND is expected to hold, -1 never. */
    int guess_hi;

    /* While adv_or_req advances OR's virtual AND onode (-1: none), the
     * OR's optional kids, all TERMs (opt[0 .. nopt)), and the limit owmin
     * its value must pass: align_tier_lead bounds a candidate with them
     * (at its length) instead of leaving each at its maxw. */
    int32_t onode;
    uint32_t nopt;
    enode *opt[8];
    double owmin;
    /* The OR (-1: none) and required kids (its mask) opt is for. */
    ptrdiff_t oor;
    uint32_t omask;
    /* align_tier_lead: the optional TERMs' high cursors (NULL: none). */
    as_pcur *ohc[8];
    /* The node whose jmo is for (-1: none), with the optional TERMs of
     * high cursors jmomask: jm with those TERMs, against the OR's
     * threshold (engine_iter.c: lead_tab). */
    int32_t jmonode;
    uint32_t jmomask;
    double jmo[4][4];
    /* Candidates of the last query that align_tier_lead rejected by the
     * optional kids' bounds alone: at their lengths (opt_below), and by
     * the lead's wdfs (jmo) before any length was read (for tests). */
    uint64_t nopt_rej, noptq;
    /* Of those rejected at their lengths, the candidates that fell once
     * the optional TERMs behind them were sought in their main lists
     * (opt_below; for tests). */
    uint64_t nopt_main;
    /* Candidates of the last query that align_bm rejected by an OR's
     * optional TERMs (bm_opt_below; for tests). */
    uint64_t nbmopt;
    /* Runs of the last query's lead walks (align_tier_lead) that walked
     * the lead's intersection with another unit's list (for tests). */
    uint64_t npair;
    /* The lead walk's pairing (engine_iter.c: pair_pick, pair_walk): the other unit
     * lpu of the running walk (its AND's kid count: none); for the lead
     * TERM plead and the unit ppart (node indices, -1: none), the meets so
     * far and those that moved the lead (UINT32_MAX: pairing given up). */
    uint32_t lpu;
    int32_t plead, ppart;
    uint32_t pmeets, pmoves;
    /* The OR's virtual AND pair_route chose for (-1: none), and whether
     * it is led by its paired rarest term (engine_iter.c). */
    int32_t prnode;
    int prok;

    /* The root AND's run by windows (engine_iter.c: tier_win), -1: none:
     * its own cursors on its kids' high lists (wcur, made on first use),
     * the docs [wlo, whi) scanned so far, at threshold wwmin, and the
     * candidates of [wlo, whi) that passed its bounds (wsurv[iws .. nws),
     * ascending).  nwin: windows of the last query (for tests). */
    int32_t wnode;
    uint32_t wlo, whi, nws, iws;
    double wwmin;
    as_pcur *wcur[3];
    uint64_t nwin;
    double win_min;     /* for tests: the least postings of the kids' high
                           lists to run by windows at (0: AS_WIN_MIN) */

    /* Phrase scratch: per-kid positions. */
    const uint32_t **ppos;
    uint32_t *pn, *pi;
    size_t cappos;

    /* Filter. */
    uint8_t *council_ok;
    size_t ncouncil_ok;
    int council_filter;
    char **cnorm;       /* normalized council names (made when first needed) */
    int cnorm_done;     /* every cnorm[c] made */
    uint32_t ncnorm;
    struct as_cmemo *cmemo; /* council names resolved before (engine.c; owned) */
    struct as_tmemo *tmemo; /* terms looked up before (engine_iter.c: find_term; owned) */
    range *ranges;
    size_t nranges, capranges;
    int range_filter;   /* ranges restrict (else one range [0, N)) */
    uint8_t kinds;      /* allowed kinds mask (0 = all) */
    double kw[AS_NKINDS];
    double kwmax;
    int prunable;       /* parameters keep bm25() monotone (see top) */

    /* Top-k. */
    hent *heap;
    size_t nheap, capheap;
    /* Collapsing: group key -> heap position, open addressing (linear
     * probing) sized for the heap, so a query costs O(k), not O(ndocs). */
    uint32_t *mkey, *mpos;  /* AS_NONE = empty slot */
    size_t mcap;            /* power of two, >= 2 * (k + 1) */
    uint8_t *seen;      /* per group key bit: counted in total */

    /* Last, and never zeroed (as_engine_new clears the engine up to jv):
     * 32 KB written by tier_tables before any read (jnode), which most
     * searches, and most one-query processes, never run; zeroing them cost
     * a whole-process search ~8 page faults. */
    double jv[AS_JT_TERMS][3][AS_JT_LEN];
    double jl[AS_JT_TERMS][AS_JT_LEN];
    /* With hq (hqnode), for an AND of two or three TERMs: hk[key] bounds a
     * doc on which kid m is high with wdf w_m (1..3; 0: not high, 4: 4 or
     * more, bounded at the term's max_wdf) for key = sum of w_m << 3m,
     * whatever its length (NaN until hk_fill makes it).  Never zeroed, as
     * jv: single_table sets every entry to NaN first. */
    double hk[512];
    /* 1 + (1 << 32) when key has two kids high or more, else 1: a rejection
     * counted for nhq (low half) and nhk (high half) in one add */
    uint64_t hkm[512];
    /* tier_win's scratch, not zeroed with the engine: per doc of its
     * window the wdfs (at most 7) of its kids' high postings, 3 bits a kid
     * (wacc: zeroed when a run starts, then each window clears the entries
     * it wrote); the window's docs an essential kid is high on (wtouch);
     * the candidates that passed (wsurv: doc - wlo << 16 | wacc entry);
     * per wacc entry, hk of its key (each wdf of 4 or more as 4): its own
     * copy, made when the run starts, so a doc costs one look-up. */
    uint16_t wacc[AS_WIN_DOCS];
    uint16_t wtouch[AS_WIN_DOCS + 1]; /* (+ 1: win_run stores before it counts) */
    uint32_t wsurv[AS_WIN_DOCS];
    double wk[512];
};

/* ---- Interface to code in engine.c -------------------------------------- */

/* Sets the engine's message; returns code. */
int as_eng_fail(as_engine *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Grows *p (elements of size bytes, capacity *cap) to hold need. */
int as_eng_grow(void **p, size_t *cap, size_t need, size_t size);

/* ---- Interface to code in engine_iter.c --------------------------------- */

/* Compiles root (NULL: every doc, weight 0) into e's iterator tree with the
 * BM25 parameters already in e (k1, b, min_normlen, len_factor), and
 * positions every cursor at the start.  e->root is -1 when nothing can
 * match.  AS_OK, AS_ENOMEM, AS_EINVAL (malformed tree), AS_ELIMIT. */
int as_eng_plan(as_engine *e, const as_qnode *root);
/* Puts every node and cursor back at the start, for another pass. */
void as_eng_reset(as_engine *e);
/* Frees what the cursors grew (after a query). */
void as_eng_release(as_engine *e);
/* Moves node ni to its first match >= target that may score above wmin
 * (contract at the top of engine_iter.c); AS_DOC_END when none. */
uint32_t as_eng_advance(as_engine *e, uint32_t ni, uint32_t target, double wmin);
/* The BM25 value of node n on its current doc. */
double as_eng_value(as_engine *e, enode *n);
/* A root value that k docs likely exceed, to start a run from (engine.c:
 * guess), or -INFINITY. */
double as_eng_guess(const as_engine *e, size_t k);
/* The shortest doclen L in [0, 65536) at which a TERM of weight tw with
 * wdf w scores <= wmin under e's BM25 parameters (k1, b, min_normlen,
 * len_factor), 65536 when none does: what a bisection of [0, 65536]
 * finds, from fewer bm25s. */
uint32_t as_eng_first_below(const as_engine *e, double tw, uint32_t w, double wmin);

#endif
