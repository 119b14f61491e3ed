/*
 * xapian_shim.cc — the Xapian shim: the one file that includes <xapian.h>.
 * Implements xapian_shim.h; see there for the API, error mapping and ranking.
 *
 * Every extern "C" entry point runs its body inside guard(), which catches
 * every exception and turns it into a status code plus a message on the
 * handle, so that no C++ exception ever unwinds through C frames.  Callbacks
 * into C (allterms) are made from inside the guard but C code cannot throw,
 * so that is safe.
 */
#include "xapian_shim.h"

#include <xapian.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <vector>

struct asx_db {
    std::string path;
    std::unique_ptr<Xapian::Database> rd;          /* set for both kinds */
    Xapian::WritableDatabase *wr = nullptr;        /* == rd.get() when writable */
    bool in_txn = false;
    std::string msg;
};

struct asx_doc {
    Xapian::Document doc;
    int rc = AS_OK;
    std::string msg;
};

namespace {

/* Thrown by the shim itself for bad arguments; caught by guard(). */
struct shim_error {
    int code;
    std::string msg;
};

[[noreturn]] void fail(int code, const std::string &msg)
{
    throw shim_error{code, msg};
}

/* Xapian::Error is not polymorphic (no dynamic_cast), but get_type()
 * names the most derived class. */
int xapian_code(const Xapian::Error &e)
{
    static const struct { const char *type; int code; } map[] = {
        {"NetworkError", AS_EREMOTE},
        {"NetworkTimeoutError", AS_EREMOTE},
        {"SerialisationError", AS_EREMOTE},
        {"DatabaseNotFoundError", AS_ENOTFOUND},
        {"DocNotFoundError", AS_ENOTFOUND},
        {"DatabaseVersionError", AS_EFORMAT},
        {"DatabaseCorruptError", AS_ECORRUPT},
        {"DatabaseLockError", AS_ELOCKED},
        {"AssertionError", AS_EINVAL},
        {"InvalidArgumentError", AS_EINVAL},
        {"InvalidOperationError", AS_EINVAL},
        {"UnimplementedError", AS_EINVAL},
        {"RangeError", AS_EINVAL},
    };
    const char *t = e.get_type();
    for (const auto &m : map)
        if (t && std::strcmp(t, m.type) == 0) return m.code;
    return AS_EIO;
}

std::string xapian_msg(const std::string &where, const Xapian::Error &e)
{
    std::string m = where;
    if (!m.empty()) m += ": ";
    m += e.get_type();
    m += ": ";
    m += e.get_msg();
    if (!e.get_context().empty()) {
        /* For remote shards the context is "remote:tcp(host:port)": the
         * name of the shard that failed. */
        m += " (";
        m += e.get_context();
        m += ")";
    }
    const char *errstr = e.get_error_string();
    if (errstr && *errstr) {
        m += ": ";
        m += errstr;
    }
    return m;
}

/* Runs f(); returns AS_OK or the code of whatever it threw, with the message
 * stored in *msg (which may be null) prefixed by `where`. */
template <typename F>
int guard(std::string *msg, const std::string &where, F f) noexcept
{
    int code;
    std::string m;
    try {
        f();
        return AS_OK;
    } catch (const shim_error &e) {
        code = e.code;
        m = where.empty() ? e.msg : where + ": " + e.msg;
    } catch (const Xapian::Error &e) {
        code = xapian_code(e);
        try { m = xapian_msg(where, e); } catch (...) { m.clear(); }
    } catch (const std::bad_alloc &) {
        code = AS_ENOMEM;
        m = "out of memory";
    } catch (const std::exception &e) {
        code = AS_EIO;
        try { m = where + ": " + e.what(); } catch (...) { m.clear(); }
    } catch (...) {
        code = AS_EIO;
        m = "unknown C++ exception";
    }
    if (msg) {
        try { *msg = m; } catch (...) { msg->clear(); }
    }
    return code;
}

/* The same for entry points without a handle: the message goes to err. */
template <typename F>
int guard_err(as_err *err, const std::string &where, F f) noexcept
{
    std::string m;
    int rc = guard(&m, where, f);
    if (rc != AS_OK) as_err_set(err, rc, "%s", m.c_str());
    return rc;
}

std::string bytes(const char *p, size_t len)
{
    if (!p && len) fail(AS_EINVAL, "null term or value pointer");
    return p ? std::string(p, len) : std::string();
}

Xapian::Query build(const asx_node *n, int depth)
{
    if (!n) fail(AS_EINVAL, "null query node");
    if (depth > ASX_MAX_DEPTH) fail(AS_ELIMIT, "query tree too deep");
    if (n->nkids && !n->kids) fail(AS_EINVAL, "query node without kids array");

    auto kids = [&](size_t from) {
        std::vector<Xapian::Query> v;
        v.reserve(n->nkids);
        for (size_t i = from; i < n->nkids; i++)
            v.push_back(build(n->kids[i], depth + 1));
        return v;
    };

    switch (n->op) {
    case ASX_TERM:
        /* Query("") would be MatchAll: never let an empty term through. */
        if (!n->term || n->len == 0) fail(AS_EINVAL, "empty query term");
        return Xapian::Query(std::string(n->term, n->len));
    case ASX_PHRASE: {
        if (n->nkids == 0) fail(AS_EINVAL, "phrase without terms");
        for (size_t i = 0; i < n->nkids; i++)
            if (!n->kids[i] || n->kids[i]->op != ASX_TERM)
                fail(AS_EINVAL, "phrase kid is not a term");
        std::vector<Xapian::Query> v = kids(0);
        if (v.size() == 1) return v[0];
        Xapian::termcount w = n->window ? n->window : (Xapian::termcount)v.size();
        return Xapian::Query(Xapian::Query::OP_PHRASE, v.begin(), v.end(), w);
    }
    case ASX_AND:
    case ASX_OR: {
        std::vector<Xapian::Query> v = kids(0);
        if (v.empty()) return Xapian::Query::MatchNothing;
        return Xapian::Query(n->op == ASX_AND ? Xapian::Query::OP_AND
                                              : Xapian::Query::OP_OR,
                             v.begin(), v.end());
    }
    case ASX_AND_NOT:
    case ASX_FILTER: {
        if (n->nkids == 0) fail(AS_EINVAL, "AND_NOT/FILTER without kids");
        std::vector<Xapian::Query> v = kids(0);
        if (v.size() == 1) return v[0];
        return Xapian::Query(n->op == ASX_AND_NOT ? Xapian::Query::OP_AND_NOT
                                                  : Xapian::Query::OP_FILTER,
                             v.begin(), v.end());
    }
    case ASX_SCALE:
        if (n->nkids != 1) fail(AS_EINVAL, "SCALE needs exactly one kid");
        if (!(n->factor >= 0.0) || !std::isfinite(n->factor))
            fail(AS_EINVAL, "SCALE factor must be finite and >= 0");
        return Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT,
                             build(n->kids[0], depth + 1), n->factor);
    case ASX_NOTHING:
        return Xapian::Query::MatchNothing;
    case ASX_ALL:
        return Xapian::Query::MatchAll;
    }
    fail(AS_EINVAL, "unknown query operator " + std::to_string(n->op));
}

char *dup_c(const std::string &s, size_t *len)
{
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    if (len) *len = s.size();
    return p;
}

Xapian::WritableDatabase &writable(asx_db *db)
{
    if (!db->wr) fail(AS_EINVAL, "database opened read-only");
    return *db->wr;
}

/* Result storage: the C struct and the bytes it points into.  Strings live
 * in a vector reserved up front, so their buffers never move. */
struct result_impl {
    asx_result r{};
    std::vector<asx_hit> hits;
    std::vector<asx_bytes> values;
    std::vector<std::string> store;
};

asx_bytes keep(result_impl *ri, std::string &&s)
{
    ri->store.push_back(std::move(s));
    const std::string &k = ri->store.back();
    return asx_bytes{k.c_str(), k.size()};
}

/* Sticky: the first failure on a document is kept and returned again. */
template <typename F>
int doc_guard(asx_doc *d, F f)
{
    if (!d) return AS_EINVAL;
    if (d->rc != AS_OK) return d->rc;
    d->rc = guard(&d->msg, "document", f);
    return d->rc;
}

} // namespace

extern "C" {

int asx_db_open(const char *path, asx_db **out, as_err *err)
{
    if (out) *out = nullptr;
    if (!path || !out) return as_err_set(err, AS_EINVAL, "asx_db_open: null argument");
    std::unique_ptr<asx_db> db;
    int rc = guard_err(err, path, [&] {
        db.reset(new asx_db);
        db->path = path;
        db->rd.reset(new Xapian::Database(db->path));
    });
    if (rc == AS_OK) *out = db.release();
    return rc;
}

int asx_db_create(const char *dir, asx_db **out, as_err *err)
{
    if (out) *out = nullptr;
    if (!dir || !out) return as_err_set(err, AS_EINVAL, "asx_db_create: null argument");
    std::unique_ptr<asx_db> db;
    int rc = guard_err(err, dir, [&] {
        db.reset(new asx_db);
        db->path = dir;
        auto *w = new Xapian::WritableDatabase(db->path, Xapian::DB_CREATE_OR_OVERWRITE);
        db->rd.reset(w);
        db->wr = w;
    });
    if (rc == AS_OK) *out = db.release();
    return rc;
}

void asx_db_close(asx_db *db)
{
    if (!db) return;
    /* Destructors of Xapian objects may throw (e.g. a failing commit on
     * close): keep that inside the shim. */
    guard(nullptr, "", [&] {
        if (db->wr && db->in_txn) db->wr->cancel_transaction();
        db->rd->close();
    });
    guard(nullptr, "", [&] { db->rd.reset(); });
    delete db;
}

const char *asx_db_errmsg(const asx_db *db)
{
    return db ? db->msg.c_str() : "no database";
}

int asx_db_begin(asx_db *db)
{
    if (!db) return AS_EINVAL;
    return guard(&db->msg, db->path, [&] {
        writable(db).begin_transaction(true);
        db->in_txn = true;
    });
}

int asx_db_commit(asx_db *db)
{
    if (!db) return AS_EINVAL;
    return guard(&db->msg, db->path, [&] {
        Xapian::WritableDatabase &w = writable(db);
        if (db->in_txn) {
            /* Whatever happens, the transaction is over (Xapian cancels
             * it when the commit throws). */
            db->in_txn = false;
            w.commit_transaction();
        } else {
            w.commit();
        }
    });
}

int asx_db_cancel(asx_db *db)
{
    if (!db) return AS_EINVAL;
    return guard(&db->msg, db->path, [&] {
        Xapian::WritableDatabase &w = writable(db);
        if (!db->in_txn) fail(AS_EINVAL, "no transaction to cancel");
        db->in_txn = false;
        w.cancel_transaction();
    });
}

int asx_db_stats(asx_db *db, asx_stats *out)
{
    if (!db || !out) return AS_EINVAL;
    return guard(&db->msg, db->path, [&] {
        asx_stats s{};
        s.doccount = db->rd->get_doccount();
        s.total_length = db->rd->get_total_length();
        s.avlength = s.doccount ? db->rd->get_avlength() : 0.0;
        s.lastdocid = db->rd->get_lastdocid();
        s.shards = (unsigned)db->rd->size();
        *out = s;
    });
}

int asx_db_termfreq(asx_db *db, const char *term, size_t len, uint64_t *tf)
{
    if (!db || !tf) return AS_EINVAL;
    *tf = 0;
    return guard(&db->msg, db->path, [&] {
        std::string t = bytes(term, len);
        *tf = t.empty() ? 0 : db->rd->get_termfreq(t);
    });
}

int asx_db_set_metadata(asx_db *db, const char *key, const void *val, size_t len)
{
    if (!db) return AS_EINVAL;
    return guard(&db->msg, db->path, [&] {
        if (!key || !*key) fail(AS_EINVAL, "empty metadata key");
        writable(db).set_metadata(key, bytes(static_cast<const char *>(val), len));
    });
}

int asx_db_get_metadata(asx_db *db, const char *key, char **val, size_t *len)
{
    if (!db || !val) return AS_EINVAL;
    *val = nullptr;
    if (len) *len = 0;
    return guard(&db->msg, db->path, [&] {
        if (!key || !*key) fail(AS_EINVAL, "empty metadata key");
        *val = dup_c(db->rd->get_metadata(key), len);
    });
}

int asx_db_allterms(asx_db *db, const char *prefix, size_t plen,
                    asx_term_fn fn, void *arg, int *stopped)
{
    if (stopped) *stopped = 0;
    if (!db || !fn) return AS_EINVAL;
    return guard(&db->msg, db->path, [&] {
        std::string p = bytes(prefix, plen);
        for (auto it = db->rd->allterms_begin(p); it != db->rd->allterms_end(p); ++it) {
            std::string t = *it;
            int r = fn(arg, t.data(), t.size(), it.get_termfreq());
            if (r) {
                if (stopped) *stopped = r;
                break;
            }
        }
    });
}

int asx_db_get_data(asx_db *db, uint32_t docid, char **data, size_t *len)
{
    if (!db || !data) return AS_EINVAL;
    *data = nullptr;
    if (len) *len = 0;
    return guard(&db->msg, db->path, [&] {
        if (docid == 0) fail(AS_ENOTFOUND, "no document 0");
        *data = dup_c(db->rd->get_document(docid).get_data(), len);
    });
}

int asx_doc_new(asx_doc **out)
{
    if (!out) return AS_EINVAL;
    *out = nullptr;
    return guard(nullptr, "", [&] { *out = new asx_doc; });
}

void asx_doc_free(asx_doc *d)
{
    if (!d) return;
    guard(nullptr, "", [&] { delete d; });
}

const char *asx_doc_errmsg(const asx_doc *d)
{
    return d ? d->msg.c_str() : "no document";
}

int asx_doc_add_posting(asx_doc *d, const char *term, size_t len, uint32_t pos)
{
    return doc_guard(d, [&] {
        if (!term || len == 0) fail(AS_EINVAL, "empty term");
        d->doc.add_posting(std::string(term, len), pos, 1);
    });
}

int asx_doc_add_boolean(asx_doc *d, const char *term, size_t len)
{
    return doc_guard(d, [&] {
        if (!term || len == 0) fail(AS_EINVAL, "empty boolean term");
        d->doc.add_boolean_term(std::string(term, len));
    });
}

int asx_doc_set_value(asx_doc *d, uint32_t slot, const void *val, size_t len)
{
    return doc_guard(d, [&] {
        if (slot == ASX_NO_SLOT) fail(AS_EINVAL, "bad value slot");
        d->doc.add_value(slot, bytes(static_cast<const char *>(val), len));
    });
}

int asx_doc_set_data(asx_doc *d, const void *data, size_t len)
{
    return doc_guard(d, [&] {
        d->doc.set_data(bytes(static_cast<const char *>(data), len));
    });
}

int asx_db_add(asx_db *db, const asx_doc *d, uint32_t *docid)
{
    if (docid) *docid = 0;
    if (!db || !d) return AS_EINVAL;
    if (d->rc != AS_OK) {
        db->msg = d->msg;
        return d->rc;
    }
    return guard(&db->msg, db->path, [&] {
        Xapian::docid id = writable(db).add_document(d->doc);
        if (docid) *docid = id;
    });
}

int asx_db_replace(asx_db *db, uint32_t docid, const asx_doc *d)
{
    if (!db || !d) return AS_EINVAL;
    if (d->rc != AS_OK) {
        db->msg = d->msg;
        return d->rc;
    }
    return guard(&db->msg, db->path, [&] {
        if (docid == 0) fail(AS_EINVAL, "docid 0");
        writable(db).replace_document(docid, d->doc);
    });
}

size_t asx_sortable_serialise(double v, char buf[9])
{
    size_t n = 0;
    guard(nullptr, "", [&] {
        std::string s = Xapian::sortable_serialise(v);
        n = s.size() > 9 ? 9 : s.size();
        std::memcpy(buf, s.data(), n);
    });
    return n;
}

double asx_sortable_unserialise(const void *buf, size_t len)
{
    double v = 0;
    guard(nullptr, "", [&] {
        v = Xapian::sortable_unserialise(bytes(static_cast<const char *>(buf), len));
    });
    return v;
}

void asx_search_opts_default(asx_search_opts *o)
{
    if (!o) return;
    *o = asx_search_opts{};
    o->k1 = 1.0;
    o->b = 0.5;
    o->min_normlen = 0.5;
    o->offset = 0;
    o->limit = 10;
    o->collapse_slot = ASX_NO_SLOT;
    o->exact = 1;
    o->want_data = 1;
    o->slots = nullptr;
    o->nslots = 0;
}

int asx_search(asx_db *db, const asx_node *root, const asx_search_opts *o,
               asx_result **out)
{
    if (out) *out = nullptr;
    if (!db || !out) return AS_EINVAL;
    asx_search_opts def;
    if (!o) {
        asx_search_opts_default(&def);
        o = &def;
    }
    std::unique_ptr<result_impl> ri;
    int rc = guard(&db->msg, db->path, [&] {
        if (o->nslots && !o->slots) fail(AS_EINVAL, "value slots missing");
        /* Xapian silently clamps bad parameters; say so instead. */
        if (!(o->k1 >= 0 && std::isfinite(o->k1)) || !(o->b >= 0 && o->b <= 1) ||
            !(o->min_normlen >= 0 && std::isfinite(o->min_normlen)))
            fail(AS_EINVAL, "bad BM25 parameters (need k1 >= 0, 0 <= b <= 1, "
                            "min_normlen >= 0)");
        Xapian::Query q = build(root, 0);
        Xapian::Enquire enq(*db->rd);
        enq.set_query(q);
        enq.set_weighting_scheme(Xapian::BM25Weight(o->k1, 0, 1, o->b, o->min_normlen));
        enq.set_sort_by_relevance();
        enq.set_docid_order(Xapian::Enquire::ASCENDING);
        if (o->collapse_slot != ASX_NO_SLOT) enq.set_collapse_key(o->collapse_slot, 1);
        Xapian::doccount n = db->rd->get_doccount();
        Xapian::doccount check = o->exact ? n : 0;
        Xapian::MSet ms = enq.get_mset(o->offset, o->limit, check);

        ri.reset(new result_impl);
        size_t nh = ms.size();
        ri->hits.resize(nh);
        ri->values.resize(nh * o->nslots);
        ri->store.reserve(nh * (o->nslots + 1));
        size_t i = 0;
        for (auto it = ms.begin(); it != ms.end(); ++it, ++i) {
            asx_hit &h = ri->hits[i];
            h.docid = *it;
            h.weight = it.get_weight();
            h.collapse_count = it.get_collapse_count();
            h.data = asx_bytes{"", 0};
            h.values = o->nslots ? &ri->values[i * o->nslots] : nullptr;
            if (o->want_data || o->nslots) {
                Xapian::Document doc = it.get_document();
                if (o->want_data) h.data = keep(ri.get(), doc.get_data());
                for (size_t s = 0; s < o->nslots; s++)
                    h.values[s] = keep(ri.get(), doc.get_value(o->slots[s]));
            }
        }
        ri->r.hits = nh ? ri->hits.data() : nullptr;
        ri->r.n = nh;
        ri->r.matches = ms.get_matches_estimated();
        ri->r.matches_lower = ms.get_matches_lower_bound();
        ri->r.matches_upper = ms.get_matches_upper_bound();
        if (o->exact && o->collapse_slot != ASX_NO_SLOT &&
            ri->r.matches_lower != ri->r.matches_upper) {
            /* Even after checking every document, Xapian reports the
             * collapsed count as a range when the MSet does not hold all
             * of it: count the groups with an unranked match instead. */
            Xapian::Enquire all(*db->rd);
            all.set_query(q);
            all.set_weighting_scheme(Xapian::BoolWeight());
            all.set_docid_order(Xapian::Enquire::ASCENDING);
            all.set_collapse_key(o->collapse_slot, 1);
            Xapian::MSet groups = all.get_mset(0, n, n);
            ri->r.matches = ri->r.matches_lower = ri->r.matches_upper = groups.size();
        }
        ri->r.priv = ri.get();
    });
    if (rc == AS_OK) *out = &ri.release()->r;
    return rc;
}

void asx_result_free(asx_result *r)
{
    if (!r) return;
    result_impl *ri = static_cast<result_impl *>(r->priv);
    if (!ri) return;
    guard(nullptr, "", [&] { delete ri; });
}

int asx_describe(asx_db *db, const asx_node *root, char **out)
{
    if (!db || !out) return AS_EINVAL;
    *out = nullptr;
    return guard(&db->msg, db->path, [&] {
        *out = dup_c(build(root, 0).get_description(), nullptr);
    });
}

} // extern "C"
