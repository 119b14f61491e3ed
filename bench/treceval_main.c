/*
 * treceval_main.c — a small trec_eval-like command over common/treceval.c:
 * prints MAP, P@10 and nDCG@10 of a TREC run against TREC qrels, in
 * trec_eval's "measure  qid  value" layout, so `make eval` output reads
 * like the published figures it is compared with.
 *
 *   treceval [-c] [-q] [-M depth] [-l level] QRELS RUN
 */
#include "treceval.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct option longopts[] = {
    {"complete", no_argument, NULL, 'c'},
    {"per-query", no_argument, NULL, 'q'},
    {"depth", required_argument, NULL, 'M'},
    {"level", required_argument, NULL, 'l'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fputs("usage: treceval [-c] [-q] [-M depth] [-l level] QRELS RUN\n"
          "  -c, --complete   average over every qrels query (missing = 0),\n"
          "                   as trec_eval -c; default: queries in the run\n"
          "  -q, --per-query  also print each query's figures\n"
          "  -M, --depth N    results per query that count (default 1000)\n"
          "  -l, --level N    minimum relevance that is relevant (default 1)\n",
          f);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (e == s || *e != '\0' || errno == ERANGE || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    as_treceval_opts o;
    as_treceval_opts_default(&o);
    int perq = 0, c;
    long v;
    while ((c = getopt_long(argc, argv, "cqM:l:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.complete = 1; break;
        case 'q': perq = 1; break;
        case 'M':
            if (parse_long(optarg, 1, 100000000, &v) != 0) {
                fprintf(stderr, "treceval: bad depth '%s'\n", optarg);
                return 2;
            }
            o.depth = (size_t)v;
            break;
        case 'l':
            if (parse_long(optarg, 1, 1000000, &v) != 0) {
                fprintf(stderr, "treceval: bad level '%s'\n", optarg);
                return 2;
            }
            o.rel_level = (int)v;
            break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("treceval (assess-search) %s\n", AS_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return 2;
    }

    as_err err = {0};
    as_qrels *qr = NULL;
    as_run *run = NULL;
    as_eval ev = {0};
    int rc = as_qrels_load(argv[optind], &qr, &err);
    if (rc == AS_OK)
        rc = as_run_load(argv[optind + 1], &run, &err);
    if (rc == AS_OK)
        rc = as_treceval(qr, run, &o, &ev, &err);
    if (rc != AS_OK) {
        fprintf(stderr, "treceval: %s\n", err.msg);
        as_qrels_free(qr);
        as_run_free(run);
        return 2;
    }
    if (perq)
        for (size_t i = 0; i < ev.nq; i++) {
            const as_qeval *q = &ev.q[i];
            if (!q->in_run && !o.complete)
                continue;
            printf("map                   \t%s\t%.4f\n", q->qid, q->ap);
            printf("P_10                  \t%s\t%.4f\n", q->qid, q->p10);
            printf("ndcg_cut_10           \t%s\t%.4f\n", q->qid, q->ndcg10);
        }
    uint64_t ret = 0, rel = 0, relret = 0;
    for (size_t i = 0; i < ev.nq; i++)
        if (ev.q[i].in_run || o.complete) {
            ret += ev.q[i].num_ret;
            rel += ev.q[i].num_rel;
            relret += ev.q[i].num_rel_ret;
        }
    printf("num_q                 \tall\t%zu\n", ev.navg);
    printf("num_q_missing         \tall\t%zu\n", ev.nmissing);
    printf("num_ret               \tall\t%llu\n", (unsigned long long)ret);
    printf("num_rel               \tall\t%llu\n", (unsigned long long)rel);
    printf("num_rel_ret           \tall\t%llu\n", (unsigned long long)relret);
    printf("map                   \tall\t%.4f\n", ev.map);
    printf("P_10                  \tall\t%.4f\n", ev.p10);
    printf("ndcg_cut_10           \tall\t%.4f\n", ev.ndcg10);
    as_eval_free(&ev);
    as_qrels_free(qr);
    as_run_free(run);
    return 0;
}
