/*
 * render.h — Interface to render.c: printing hits as text (highlighted on a
 * terminal), JSON Lines or CSV, whichever engine found them.
 */
#ifndef AS_RENDER_H
#define AS_RENDER_H

#include "as.h"
#include "analyze.h"
#include "engine.h"
#include <stdio.h>

/* One hit, engine-independent.  Strings are borrowed for the call. */
typedef struct as_hitrec {
    const char *council;   /* NULL = unknown */
    int statement, score;  /* 0 = unknown */
    uint32_t published, updated;
    const char *section;   /* NULL or "" = none */
    int kind;
    const char *text;
    const char *path;
    uint32_t line, paragraph, sentence;
    size_t rank;           /* 1-based */
    double weight;
    uint32_t reports;      /* reports carrying this sentence (collapsed) */
    const char *id;        /* .tsv id column, or NULL */
    /* -C: neighbouring sentences of the same paragraph (may be 0) */
    const char *const *before;
    size_t nbefore;
    const char *const *after;
    size_t nafter;
    int context;           /* 1: -C was given (JSON carries the fields) */
    /* --explain: per query term, its part of the weight */
    const struct as_contrib *contrib;
    size_t ncontrib;
    double kind_weight;
    int explain;
} as_hitrec;

enum { AS_OUT_TEXT, AS_OUT_JSON, AS_OUT_CSV };

typedef struct as_render {
    FILE *out;
    int format;            /* AS_OUT_* */
    int color;             /* ANSI colour and highlighting */
    as_analyzer *an;       /* for highlighting: the query's analyzer */
    const char *const *terms; /* query leaf terms to highlight */
    size_t nterms;
    size_t nprinted;
    int width;             /* > 0: wrap sentences to this many columns */
    unsigned char *brk;    /* private: wrap points of the current sentence */
    size_t brkcap;
} as_render;

/* Prints one hit.  Returns AS_OK or AS_EIO. */
int as_render_hit(as_render *r, const as_hitrec *h);
/* CSV header line (call once before the first CSV hit). */
int as_render_csv_header(as_render *r);
/* Writes text with C0/C1 control characters made visible (ESC -> "^["), so
 * nothing from the corpus reaches a terminal raw. */
void as_render_safe(FILE *f, const char *s, size_t len);

#endif
