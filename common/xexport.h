/*
 * xexport.h — Interface to xexport.c: exporting a native generation into
 * Xapian databases (one or several shards and a stub file), for searching
 * through Xapian (xsearch.h): sharded, or served by xapian-tcpsrv.
 *
 * Layout written under dir:
 *   dir/shard-0 .. dir/shard-(N-1)   Xapian databases
 *   dir/STUB                          "auto shard-0" ... lines (paths relative
 *                                     to the stub), written last, atomically
 * To serve shards remotely run `xapian-tcpsrv --port P dir/shard-i` and list
 * them in a stub as "remote HOST:PORT" lines, in shard order.
 *
 * Sharding: all sentences of one council go to one shard, council id (its
 * index in the generation's sorted council list) modulo N; unknown council
 * -> shard 0.  Docids: native docid d gets the smallest combined Xapian
 * docid c > c(d-1) with (c - 1) mod N == shard(d), stored as local docid
 * (c - 1) / N + 1 in its shard.  So the docids of the database that the stub
 * opens (Xapian interleaves shards: c = (local - 1) * N + shard + 1) rise
 * with the native docid, and Xapian's tie order (ascending docid) and its
 * choice of a collapsed group's representative are the native ones.  With
 * N = 1, c = d + 1.
 *
 * Each Xapian document (one sentence) carries:
 *   - exactly the native index's terms at the native positions (wdf = number
 *     of positions, so Xapian's document length equals the native doclen);
 *   - boolean filter terms (wdf 0, not in the length), upper-case prefixes,
 *     which no analyzer term has (analyzer terms are lower case / digits /
 *     "^"):  K<kind 0..3>  S<statement 0..9>  T<theme 0..4>  R<score 0..4>
 *            Y<year of published, 4 digits>, or YN when unknown
 *            C<council id>, or CN when unknown
 *            G<group key; only for sentences of a duplicate group of 2+>
 *     Every sentence has exactly one term of each of K S T R Y C, so that a
 *     filter can also be written as the exclusion of its complement (which
 *     xsearch.c does: see there why).
 *   - values: slot 0 native docid, slot 1 duplicate group key (the lowest
 *     member docid, for collapsing), slot 2 file index, slot 3 size of the
 *     duplicate group; decimal text;
 *   - data: the whole stored record, so that searching needs no native
 *     index (grammar below).
 * Metadata (in every shard, since Xapian reads a combined database's
 * metadata from its first shard):
 *   assess:format    "1"
 *   assess:ndocs     native sentence count (decimal)
 *   assess:shards    N (decimal)
 *   assess:councils  council names in id order, each followed by "\n"
 *   assess:acronyms  the generation's acronym table (as_acrotab_serialize)
 *
 * Data grammar: "ASX1" NUL, then 15 fields each followed by NUL, in order:
 *   doc file council statement theme score published updated kind line
 *   paragraph sentence section text path
 * numbers in decimal, council "" when unknown, section "" when none.
 * Record text never contains NUL (stored sentences are NUL-terminated).
 */
#ifndef AS_XEXPORT_H
#define AS_XEXPORT_H

#include "as.h"
#include "index.h"

#define AS_XSLOT_DOC 0
#define AS_XSLOT_GROUP 1
#define AS_XSLOT_FILE 2
#define AS_XSLOT_GROUPSIZE 3

#define AS_XMETA_FORMAT "assess:format"
#define AS_XMETA_NDOCS "assess:ndocs"
#define AS_XMETA_SHARDS "assess:shards"
#define AS_XMETA_COUNCILS "assess:councils"
#define AS_XMETA_ACRONYMS "assess:acronyms"
#define AS_XFORMAT "1"
#define AS_XDATA_MAGIC "ASX1"
#define AS_XDATA_FIELDS 15

#define AS_XSHARDS_MAX 256

/* Writes dir (created if missing; existing shard-i databases are
 * overwritten) from the open generation ix.  shards: 1..AS_XSHARDS_MAX.
 * Returns AS_OK or an AS_E* code with err naming the shard and the cause. */
int as_xapian_export(const as_index *ix, const char *dir, unsigned shards,
                     as_err *err);

#endif
