/*
 * safeout.h — Interface to safeout.c: writing untrusted text (corpus
 * sentences, file names) to a terminal or a log without letting it control
 * the terminal.
 */
#ifndef AS_SAFEOUT_H
#define AS_SAFEOUT_H

#include <stddef.h>
#include <stdio.h>

/* Writes s[0..len) to f with every C0 control and DEL shown as ^X (tab,
 * CR and LF as a space), C1 controls and the bidirectional overrides and
 * isolates (U+202A..U+202E, U+2066..U+2069) as <U+XXXX>, and bytes that
 * are not valid UTF-8 as \xNN.  Everything else is written as is. */
void as_safe_write(FILE *f, const char *s, size_t len);

#endif
