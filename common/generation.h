/*
 * generation.h — Interface to generation.c: the index directory's life cycle.
 *
 * An index directory holds:
 *   LOCK            flock(2)ed by the one writer for its whole run; holds
 *                   the writer's pid as text (for the "locked by" message)
 *   CURRENT         one line: the live generation's directory name
 *   gen-NNNNNN/     complete generations (the live one and the previous one,
 *                   kept for readers that opened it before the switch)
 *   tmp-gen-NNNNNN/ a generation being written; a dead writer's leftover is
 *                   removed by the next writer
 * Switching is rename(2) of a fully written, fsynced, verified tmp directory
 * to its final name, then CURRENT.tmp -> CURRENT, then fsync of the
 * directory: a reader sees the old generation or the new one, never half.
 */
#ifndef AS_GENERATION_H
#define AS_GENERATION_H

#include "as.h"
#include <sys/types.h>

/* Creates indexdir (and parents) if missing, mode 0777 & ~umask & ~o+w. */
int as_gen_mkdir(const char *indexdir, as_err *err);

/* Takes the writer lock.  wait == 0: AS_ELOCKED at once if held, with the
 * holder's pid in err->msg; wait != 0: blocks until free.  A dead process
 * holds no flock, so its lock never blocks.  *fd is the lock to release. */
int as_gen_lock(const char *indexdir, int wait, int *fd, as_err *err);
void as_gen_unlock(int fd); /* fd < 0 is fine */

/* Reads CURRENT into name (NUL-terminated).  AS_ENOTFOUND if none. */
int as_gen_current(const char *indexdir, char *name, size_t cap, as_err *err);

/* Removes tmp-gen-* leftovers and every gen-* other than CURRENT's and the
 * one before it.  Only call with the lock held. */
int as_gen_cleanup(const char *indexdir, as_err *err);

/* Creates a new empty tmp directory for the next generation; writes its
 * path into tmppath and the final name ("gen-000008") into name. */
int as_gen_begin(const char *indexdir, char *tmppath, size_t tcap, char *name,
                 size_t ncap, as_err *err);

/* Publishes a finished tmp generation: fsync, rename to its final name,
 * replace CURRENT atomically, fsync the directory. */
int as_gen_publish(const char *indexdir, const char *tmppath,
                   const char *name, as_err *err);

/* Removes a directory and the files in it (one level: generations are flat). */
int as_gen_remove_dir(const char *path, as_err *err);

/* The index directory to use: opt if set, else $ASSESS_INDEX, else
 * $XDG_DATA_HOME/assess-search/index, else ~/.local/share/assess-search/index.
 * Returns AS_EINVAL if none can be determined. */
int as_gen_default_dir(const char *opt, char *buf, size_t cap, as_err *err);

#endif
