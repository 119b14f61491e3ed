/*
 * xapian.c — the entry of the Xapian plugin (assess-xapian.so, xplugin.h):
 * the table of xsearch.h and xexport.h functions the programs call through.
 * Everything else of the plugin is the library's own code, linked in
 * position-independent; only this entry is exported.
 */
#include "xexport.h"
#include "xplugin.h"
#include "xsearch.h"

__attribute__((visibility("default"))) const as_xplugin *as_xplugin_entry(void)
{
    static const as_xplugin table = {
        .abi = AS_XPLUGIN_ABI,
        .size = sizeof(as_xplugin),
        .version = AS_VERSION,
        .search_open = as_xsearch_open,
        .search_close = as_xsearch_close,
        .search_errmsg = as_xsearch_errmsg,
        .search_lexicon = as_xsearch_lexicon,
        .search = as_xsearch_search,
        .hits_free = as_xhits_free,
        .export_index = as_xapian_export,
    };
    return &table;
}
