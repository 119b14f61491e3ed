/*
 * xplugin.h — Interface between the two programs and the Xapian plugin
 * (assess-xapian.so, built from plugin/xapian.c, xsearch.c, xexport.c and
 * the shim).  The programs do not link libxapian or libstdc++: loading and
 * relocating them was about half of the instructions of a whole
 * `assess-search WORD` run.  Only `assess-search --engine xapian` and
 * `assess-index --xapian` load the plugin (as_xplugin_load, xplugin.c).
 *
 * Where it is looked for: beside the running program
 * (dirname(/proc/self/exe)/assess-xapian.so: the build tree's bin/), else
 * AS_PLUGINDIR/assess-xapian.so (`make install` puts it in
 * $(PREFIX)/lib/assess-search/).  The plugin and the program must come
 * from the same build: they pass each other the index, query and hit
 * structures of this tree's headers, so the table carries AS_XPLUGIN_ABI,
 * its own size and AS_VERSION, and a mismatch is refused.
 */
#ifndef AS_XPLUGIN_H
#define AS_XPLUGIN_H

#include "as.h"
#include "index.h"
#include "query.h"
#include "xsearch.h"

#define AS_XPLUGIN_ABI 1
#define AS_XPLUGIN_NAME "assess-xapian.so"
#define AS_XPLUGIN_ENTRY "as_xplugin_entry"

/* The plugin's functions: those of xsearch.h and xexport.h, same contracts. */
typedef struct as_xplugin {
    uint32_t abi;          /* AS_XPLUGIN_ABI */
    uint32_t size;         /* sizeof(as_xplugin) */
    const char *version;   /* AS_VERSION */
    int (*search_open)(const char *path, as_xsearch **out, as_err *err);
    void (*search_close)(as_xsearch *xs);
    const char *(*search_errmsg)(const as_xsearch *xs);
    const as_lexicon *(*search_lexicon)(as_xsearch *xs);
    int (*search)(as_xsearch *xs, const as_query *q, const as_search_opts *o,
                  as_xhits *out);
    void (*hits_free)(as_xhits *h);
    int (*export_index)(const as_index *ix, const char *dir, unsigned shards, as_err *err);
} as_xplugin;

/* The one symbol the plugin exports (named AS_XPLUGIN_ENTRY). */
const as_xplugin *as_xplugin_entry(void);

/* Loads the plugin.  AS_OK with *out (valid until as_xplugin_unload(*handle));
 * else AS_ENOTFOUND (no file at either place) or AS_EFORMAT (a file that
 * would not load: the dynamic loader's reason, e.g. a missing libxapian,
 * or a plugin of another build), err->msg "cannot load PATH: reason". */
int as_xplugin_load(const as_xplugin **out, void **handle, as_err *err);
void as_xplugin_unload(void *handle); /* NULL is fine */

#endif
