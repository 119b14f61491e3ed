#!/usr/bin/env python3
# mkvocab.py — writes bench/vocab.h from the two bundled reports: the
# generator's head vocabulary (every lower-case word, most frequent first)
# and the reports' word sequence as indexes into it, for the generator's
# bigram step.  Run once: python3 bench/mkvocab.py REPORT... > bench/vocab.h
# The generator's output for a seed changes whenever vocab.h does.
import re, sys, collections

text = "".join(open(p, encoding="utf-8").read() for p in sys.argv[1:])
text = text.replace("\u2019", "'")
text = re.sub(r"'s\b", "", text)
# Sentence ends, headings and line breaks break the sequence.
pieces = re.findall(r"[A-Za-z]+|[.!?:;\n]", text)
low = collections.Counter(w for w in pieces
                          if w.isalpha() and w.islower() and (len(w) > 1 or w == "a"))
words = sorted(low, key=lambda w: (-low[w], w))
index = {w: i for i, w in enumerate(words)}
seq = []
for p in pieces:
    i = index.get(p.lower(), -1) if p.isalpha() else -1
    if i < 0 and seq and seq[-1] == -1:
        continue
    seq.append(i)

out = []
out.append("""/*
 * vocab.h — the generator's head vocabulary, made by mkvocab.py from the
 * two bundled reports: every lower-case word (possessive 's removed), most
 * frequent first, ties in byte order (Zipf rank 1 is the first word); and
 * the reports' word sequence as indexes into report_words (-1 where a
 * sentence, heading or proper noun breaks it), from which the generator
 * draws plausible next words.  Kept as data so that the output for a seed
 * never depends on a file read at run time.
 */
#ifndef BENCH_VOCAB_H
#define BENCH_VOCAB_H
""")
def emit(name, ctype, items):
    out.append("static const %s %s[] = {" % (ctype, name))
    line = "   "
    for it in items:
        s = " %s," % it
        if len(line) + len(s) > 78:
            out.append(line)
            line = "   "
        line += s
    out.append(line)
    out.append("};\n")
emit("report_words", "char *const", ['"%s"' % w for w in words])
emit("report_seq", "short", [str(i) for i in seq])
out.append("#endif")
print("\n".join(out))
