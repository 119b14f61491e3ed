/*
 * xapian_peer.cc — Xapian as a user would use it, the benchmark's second
 * peer: one document per sentence, the text indexed by a TermGenerator with
 * the English stemmer (with positions, for phrases), the sentence as the
 * document data, the metadata as boolean filter terms; queries through a
 * QueryParser with those boolean prefixes, default operator AND (as
 * assess-search), wildcards on, BM25Weight with Xapian's defaults, top 10.
 *
 *   xapian_peer build DB DIR          build from a corpus tree (.tsv)
 *   xapian_peer bench [-r ROUNDS] DB MIX ITERS
 *                                     in-process latency of the query mix
 *
 * Filter terms (prefix, as quest's --boolean-prefix takes them):
 *   council:XC<slug of the council name>  statement:XST<1..9>  score:XS<1..4>
 *   year:XY<yyyy of published>            kind:XK<kind>
 * bench prints one line per query: name  median_us  p95_us  hits (or, with
 * -r, the samples of one of ROUNDS rounds, for mixmerge; mix.h: mix_time).
 * Each timed run parses the query, runs it and reads the ten hits' data.
 */
#include <xapian.h>

#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <string>

#include "mix.h"
#include "tsvwalk.h"

namespace {

const char *const statement_names[9] = {
    "Assessing needs",
    "Supporting people to live healthier lives",
    "Equity in experiences and outcomes",
    "Care provision, integration and continuity",
    "Partnerships and communities",
    "Safe pathways, systems and transitions",
    "Safeguarding",
    "Governance, management and sustainability",
    "Learning, improvement and innovation",
};

std::string slug(const char *s, size_t n)
{
    std::string out;
    bool dash = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && !out.empty())
                out += '-';
            out += c;
            dash = false;
        } else {
            dash = true;
        }
    }
    return out;
}

struct builder {
    Xapian::WritableDatabase db;
    Xapian::TermGenerator tg;
    unsigned long long rows = 0;
};

int on_row(void *ctx, const tw_row *r)
{
    builder *b = static_cast<builder *>(ctx);
    Xapian::Document doc;
    std::string text(r->f[TW_TEXT] ? r->f[TW_TEXT] : "", r->len[TW_TEXT]);
    b->tg.set_document(doc);
    b->tg.index_text(text);
    doc.set_data(text);
    if (r->len[TW_COUNCIL])
        doc.add_boolean_term("XC" + slug(r->f[TW_COUNCIL], r->len[TW_COUNCIL]));
    std::string st(r->f[TW_STATEMENT] ? r->f[TW_STATEMENT] : "", r->len[TW_STATEMENT]);
    for (int i = 0; i < 9; i++)
        if (st == statement_names[i])
            doc.add_boolean_term("XST" + std::to_string(i + 1));
    if (r->len[TW_SCORE])
        doc.add_boolean_term("XS" + std::string(r->f[TW_SCORE], r->len[TW_SCORE]));
    if (r->len[TW_PUBLISHED] >= 4)
        doc.add_boolean_term("XY" + std::string(r->f[TW_PUBLISHED], 4));
    if (r->len[TW_KIND])
        doc.add_boolean_term("XK" + std::string(r->f[TW_KIND], r->len[TW_KIND]));
    b->db.add_document(doc);
    b->rows++;
    return 0;
}

int build(const char *path, const char *dir)
{
    builder b;
    b.db = Xapian::WritableDatabase(path, Xapian::DB_CREATE_OR_OVERWRITE);
    b.tg.set_stemmer(Xapian::Stem("english"));
    if (tw_walk(dir, on_row, &b, nullptr) != 0)
        return 2;
    b.db.commit();
    b.db.close();
    std::printf("rows %llu\n", b.rows);
    return 0;
}

struct runner {
    Xapian::Database db;
    Xapian::QueryParser qp;
    unsigned flags;
};

// One timed run (mix.h: mix_run_fn): parse, the top 10, read their data.
int run_one(void *ctx, const mixq *mq, size_t *hits, double *)
{
    runner &r = *static_cast<runner *>(ctx);
    try {
        Xapian::Enquire enq(r.db);
        enq.set_query(r.qp.parse_query(mq->xapian, r.flags));
        Xapian::MSet ms = enq.get_mset(0, 10);
        size_t bytes = 0;
        for (Xapian::MSetIterator it = ms.begin(); it != ms.end(); ++it)
            bytes += it.get_document().get_data().size();
        *hits = ms.size();
        if (bytes == SIZE_MAX) /* keep the data reads from being optimised away */
            std::puts("");
        return 0;
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "xapian_peer: %s: %s\n", mq->xapian, e.get_description().c_str());
        return -1;
    }
}

int bench(const char *path, const char *mixpath, const mix_opts *o)
{
    runner r;
    r.db = Xapian::Database(path);
    mix m;
    if (mix_load(mixpath, &m) != 0)
        return 2;
    r.qp.set_stemmer(Xapian::Stem("english"));
    r.qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    r.qp.set_database(r.db);
    r.qp.set_default_op(Xapian::Query::OP_AND);
    r.qp.add_boolean_prefix("council", "XC");
    r.qp.add_boolean_prefix("statement", "XST");
    r.qp.add_boolean_prefix("score", "XS");
    r.qp.add_boolean_prefix("year", "XY");
    r.qp.add_boolean_prefix("kind", "XK");
    r.flags = Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_WILDCARD;
    int rc = mix_time(&m, o, run_one, &r) == 0 ? 0 : 2;
    mix_free(&m);
    return rc;
}

} // namespace

int main(int argc, char **argv)
{
    try {
        if (argc == 4 && std::strcmp(argv[1], "build") == 0)
            return build(argv[2], argv[3]);
        if (argc >= 5 && std::strcmp(argv[1], "bench") == 0) {
            mix_opts o = {};
            o.form = MIX_XAPIAN;
            int a = 2, r = mix_args(argc, argv, &a, 0, &o, "xapian_peer");
            if (r < 0)
                return 2;
            if (r == 0)
                return bench(argv[a], argv[a + 1], &o);
        }
        std::fprintf(stderr, "usage: xapian_peer build DB DIR | bench [-r ROUNDS] DB MIX ITERS\n");
        return 2;
    } catch (const Xapian::Error &e) {
        std::fprintf(stderr, "xapian_peer: %s\n", e.get_description().c_str());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "xapian_peer: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "xapian_peer: unknown exception\n");
    }
    return 2;
}
