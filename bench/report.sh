#!/bin/bash
# report.sh — writes bench/RESULTS.md (to stdout) from the measurements
# run.sh left under $OUT/results: the machine, per size the build table,
# in-process and whole-process query tables with medians and spread, the
# ratios to each peer measured in the same run, and the issue's targets
# with "met" / "NOT met" / "not measured".  Nothing in RESULTS.md is typed
# by hand.
set -euo pipefail
: "${OUT:?}"
BENCH_SIZES=${BENCH_SIZES:-100k 1m}
RES="$OUT/results"

kv() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1" 2>/dev/null; }
field() { [ -f "$1" ] && awk -v n="$2" 'NR == 1 { print $n }' "$1" || true; }
line() { [ -f "$1" ] && sed -n 1p "$1" || true; }
# calc EXPR: floating-point arithmetic via awk; "" if any input is empty.
calc() { awk "BEGIN { printf \"%s\", ($1) }" 2>/dev/null || true; }
fmt() { [ -n "$2" ] && awk -v v="$2" -v f="$1" 'BEGIN { printf f, v }' || printf '–'; }

M="$RES/machine.txt"
echo "# Benchmark results"
echo
echo "Written by \`make -C bench bench\` (bench/run.sh, bench/report.sh); do not edit."
echo
echo "Machine: $(sed -n 's/^cpu //p' "$M"), $(sed -n 's/^cores //p' "$M") cores,"
echo "$(sed -n 's/^memory_gb //p' "$M") GB RAM, $(sed -n 's/^kernel //p' "$M");"
echo "$(sed -n 's/^compiler //p' "$M"); SQLite $(sed -n 's/^sqlite //p' "$M"),"
echo "Xapian $(sed -n 's/^xapian //p' "$M").  Run $(sed -n 's/^date //p' "$M") at commit"
echo "$(sed -n 's/^commit //p' "$M"); $(sed -n 's/^runs //p' "$M" | awk '{ r = ($7 != "") ? $7 : 1; print $1 " whole-process runs per query (after 2 warm-ups), " $3 " in-process runs per query in " r " rounds alternating the contenders (after 1 warm-up per round; peers: at most 2 s per query, at least 5 runs), seed " $5 }')."
echo
echo "Times are wall-clock; CPU is user + system.  MB = 10^6 bytes.  \"text\" is"
echo "the raw sentence text (every sentence plus a newline), the yardstick of"
echo "the size targets.  Spread: p95 and min–max next to each median."

declare -A WALL
targets=""
for size in $BENCH_SIZES; do
    R="$RES/$size"
    [ -d "$R" ] || continue
    n=$(kv "$R/gen.txt" sentences)
    tb=$(kv "$R/gen.txt" text_bytes)
    echo
    echo "## $size: $n sentences, $(fmt %.1f "$(calc "$tb / 1e6")") MB of text, $(kv "$R/gen.txt" files) files"
    echo
    echo "Generated in $(kv "$R/gen.txt" seconds) s by \`gen -n $size\`."
    echo
    echo "### Build"
    echo
    nr=$(awk '{ print $3 }' "$R/native.time.spread" 2>/dev/null || true)
    if [ -n "$nr" ]; then
        echo "Rows with a min–max are the run of median wall time of $nr (its CPU, RSS and size);"
        echo "the others are single runs.  The floors' runs alternate with the full native"
        echo "build's (floor, build, floor, build...), so that their ratio sees one machine."
        echo "Peak RSS counts the index files' pages a process maps besides its own memory:"
        echo "an update maps the old generation to copy the unchanged files from it, so its"
        echo "figure is about its own memory plus the old index's size (page cache, shared"
        echo "and reclaimable; the full build's is nearly all its own)."
        echo
    fi
    echo "| | wall s | CPU s | sentences/s | text MB/s | peak RSS MB | on disk MB | disk / text |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    nproc=$(sed -n 's/^cores //p' "$M")
    for row in "cat:read the files (cat)" "floor-1:tokenise + stem, 1 thread" \
               "floor-$nproc:tokenise + stem, $nproc threads" "native:**assess-index**" \
               "native-noop:assess-index, nothing changed" "native-incr:assess-index, one file changed" \
               "export:assess-index --xapian (export of the native index)" \
               "fts5:SQLite FTS5" "xapian:Xapian" "xapian-compact:xapian-compact"; do
        key=${row%%:*}
        label=${row#*:}
        f="$R/$key.time"
        [ -f "$f" ] || continue
        read -r w u s rss < "$f"
        bytes=""
        [ -f "$R/$key.bytes" ] && bytes=$(cat "$R/$key.bytes")
        [ "$key" = native-incr ] && bytes=""
        [ "$key" = native-noop ] && bytes=""
        rate=$(calc "$w > 0 ? $n / $w : 0")
        mbs=$(calc "$w > 0 ? $tb / 1e6 / $w : 0")
        disk=""; ratio=""
        if [ -n "$bytes" ]; then disk=$(calc "$bytes / 1e6"); ratio=$(calc "$bytes / $tb"); fi
        wcell=$w
        if [ -f "$f.spread" ]; then
            read -r lo hi nr < "$f.spread"
            wcell="$w ($lo–$hi)"
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$wcell" \
            "$(fmt %.2f "$(calc "$u + $s")")" "$(fmt %.0f "$rate")" "$(fmt %.1f "$mbs")" \
            "$(fmt %.0f "$(calc "$rss / 1000")")" "$(fmt %.1f "$disk")" "$(fmt %.2f "$ratio")"
    done
    WALL[$size]=$(field "$R/native.time" 1)
    nw=$(field "$R/native.time" 1)
    fw=$(field "$R/fts5.time" 1)
    fl=$(field "$R/floor-$nproc.time" 1)
    fl1=$(field "$R/floor-1.time" 1)
    nb=$(cat "$R/native.bytes" 2>/dev/null || true)
    echo
    # A single-threaded CPU-bound program whose wall time far exceeds its
    # CPU time means other work was competing for the cores.
    busy=$([ -f "$R/floor-1.time" ] && awk '{ if ($1 > 1.3 * ($2 + $3)) printf "%s s wall for %.2f s CPU", $1, $2 + $3 }' "$R/floor-1.time")
    if [ -n "$busy" ]; then
        echo "**The machine was busy during this run** (the 1-thread floor took $busy):"
        echo "times are inflated and ratios between contenders measured at different moments"
        echo "are unreliable; rerun on an idle machine before judging the targets."
        echo
    fi
    r_fts=""; r_fl=""; r_sz=""
    [ -n "$nw" ] && [ -n "$fw" ] && r_fts=$(calc "$nw / $fw")
    [ -n "$nw" ] && [ -n "$fl" ] && r_fl=$(calc "$nw / $fl")
    [ -n "$nb" ] && r_sz=$(calc "$nb / $tb")
    echo "assess-index / FTS5 wall: $(fmt %.2f "$r_fts");" \
         "assess-index / floor ($nproc threads) wall: $(fmt %.2f "$r_fl")" \
         "(/ 1-thread floor: $(fmt %.2f "$([ -n "$nw" ] && [ -n "$fl1" ] && calc "$nw / $fl1")"));" \
         "index / text: $(fmt %.2f "$r_sz");" \
         "Xapian (compacted) / text: $(fmt %.2f "$([ -f "$R/xapian-compact.bytes" ] && calc "$(cat "$R/xapian-compact.bytes") / $tb")");" \
         "FTS5 / text: $(fmt %.2f "$([ -f "$R/fts5.bytes" ] && calc "$(cat "$R/fts5.bytes") / $tb")")."

    verdict() { # verdict VALUE OP LIMIT
        [ -z "$1" ] && { echo "not measured"; return; }
        awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? v <= l : v >= l; print (ok ? "met" : "NOT met") }'
    }
    targets="$targets
- $size: build wall at most 0.5x FTS5: $(fmt %.2f "$r_fts") — $(verdict "$r_fts" "<=" 0.5)
- $size: build wall at most 2x the tokenise-and-stem floor ($nproc threads): $(fmt %.2f "$r_fl") — $(verdict "$r_fl" "<=" 2)
- $size: index at most 0.8x the text: $(fmt %.2f "$r_sz") — $(verdict "$r_sz" "<=" 0.8)"
    # the cron lifecycle issue's targets, from the same runs
    nop=$(field "$R/native-noop.time" 1)
    inc=$(field "$R/native-incr.time" 1)
    r_nop=""; r_inc=""
    [ -n "$nw" ] && [ -n "$nop" ] && r_nop=$(calc "$nop / $nw")
    [ -n "$nw" ] && [ -n "$inc" ] && r_inc=$(calc "$inc / $nw")
    targets="$targets
- $size: assess-index with nothing changed under 5% of a full build (cron lifecycle issue): $(fmt %.3f "$r_nop") — $(verdict "$r_nop" "<=" 0.05)
- $size: assess-index with one file changed under half a full build (cron lifecycle issue): $(fmt %.2f "$r_inc") — $(verdict "$r_inc" "<=" 0.5)"
    if [ "$size" = 5m ]; then
        rss=$(field "$R/native.time" 4)
        targets="$targets
- 5m: peak RSS under 1.5 GB: $(fmt %.0f "$([ -n "$rss" ] && calc "$rss / 1000")") MB — $(verdict "$([ -n "$rss" ] && calc "$rss / 1000")" "<=" 1500)"
    fi

    # In process.
    echo
    echo "### Queries in process (µs, top 10 with their text)"
    echo
    echo "| query | class | assess median | p95 | hits | FTS5 median | p95 | Xapian median | p95 | FTS5 / assess | Xapian / assess |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F '\t' -v N="$R/inproc-native.txt" -v F="$R/inproc-fts5.txt" -v X="$R/inproc-xapian.txt" \
        -v MIX="${MIX:-}" '
        function load(file, arr, p, h, ord,   line, a, k) {
            k = 0
            while ((getline line < file) > 0) {
                split(line, a, "\t"); arr[a[1]] = a[2]; p[a[1]] = a[3]; h[a[1]] = a[4]; ord[++k] = a[1]
            }
            return k
        }
        function r(x, y) { return (x == "" || y == "" || x == "-" || y == "-" || y + 0 == 0) ? "–" : sprintf("%.1f", x / y) }
        function v(x) { return (x == "" || x == "-") ? "–" : x }
        BEGIN {
            nq = load(N, nm, np, nh, order); load(F, fm, fp, fh, o2); load(X, xm, xp, xh, o3)
            if (MIX != "") while ((getline line < MIX) > 0) { split(line, a, "\t"); cls[a[1]] = a[2] }
            min = ""
            for (i = 1; i <= nq; i++) {
                q = order[i]
                if (q == "ALL") continue
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", q, cls[q], v(nm[q]), v(np[q]), v(nh[q]),
                    v(fm[q]), v(fp[q]), v(xm[q]), v(xp[q]), r(fm[q], nm[q]), r(xm[q], nm[q])
                if (xm[q] != "" && xm[q] != "-" && nm[q] + 0 > 0 && (min == "" || xm[q] / nm[q] < min)) { min = xm[q] / nm[q]; minq = q }
            }
            printf "| **all runs** | | **%s** | **%s** | | %s | %s | %s | %s | %s | %s |\n", v(nm["ALL"]), v(np["ALL"]),
                v(fm["ALL"]), v(fp["ALL"]), v(xm["ALL"]), v(xp["ALL"]), r(fm["ALL"], nm["ALL"]), r(xm["ALL"], nm["ALL"])
            print ""
            if (min != "") printf "Smallest Xapian / assess ratio: %.1f (%s).\n", min, minq
            print min > "/dev/stderr"
        }' 2> "$R/min-xapian-ratio.txt" < /dev/null
    med=$(awk -F '\t' '$1 == "ALL" { print $2 }' "$R/inproc-native.txt" 2>/dev/null || true)
    p95=$(awk -F '\t' '$1 == "ALL" { print $3 }' "$R/inproc-native.txt" 2>/dev/null || true)
    minx=$(cat "$R/min-xapian-ratio.txt" 2>/dev/null || true)
    if [ "$size" = 5m ]; then
        # the issue's own targets at 5M: median and slowest query (the
        # largest per-query median), not the p95
        slow=$(awk -F '\t' '$1 != "ALL" && ($2 + 0 > m) { m = $2 + 0; q = $1 } END { if (q != "") printf "%s %s", m, q }' "$R/inproc-native.txt" 2>/dev/null || true)
        targets="$targets
- $size: in-process median over the mix at most 200 µs: $(fmt %.1f "$med") µs — $(verdict "$med" "<=" 200)
- $size: in-process slowest query (its median) at most 5 ms: $(fmt %.1f "${slow%% *}") µs (${slow#* }) — $(verdict "${slow%% *}" "<=" 5000)"
    else
        targets="$targets
- $size: in-process median over the mix at most 100 µs: $(fmt %.1f "$med") µs — $(verdict "$med" "<=" 100)
- $size: in-process p95 over the mix at most 1 ms: $(fmt %.1f "$p95") µs — $(verdict "$p95" "<=" 1000)"
    fi
    targets="$targets
- $size: every query at least 10x faster than Xapian in process: smallest ratio $(fmt %.1f "$minx") — $(verdict "$minx" ">=" 10)"

    # Whole process.
    echo
    echo "### Whole process (ms: median, min–max over the runs)"
    echo
    echo "| query | assess-search | quest | sqlite3 | rg -i -c | assess-search --engine xapian | faster than quest and sqlite3 |"
    echo "|---|---:|---:|---:|---:|---:|:---:|"
    awk '
        { if (!(($1) in seen)) { seen[$1] = 1; order[++nq] = $1 }
          if ($3 == "fail") { bad[$1, $2] = 1; next }
          m[$1, $2] = $3 / 1000; lo[$1, $2] = $5 / 1000; hi[$1, $2] = $6 / 1000 }
        function c(q, t) {
            if ((q, t) in bad) return "failed"
            return ((q, t) in m) ? sprintf("%.2f (%.2f–%.2f)", m[q, t], lo[q, t], hi[q, t]) : "–"
        }
        END {
            allfast = 1; k = 0
            for (i = 1; i <= nq; i++) {
                q = order[i]; f = "yes"
                if (!((q, "native") in m)) { f = "no"; allfast = 0; printf "| %s | %s | %s | %s | %s | %s | no |\n", q, c(q, "native"), c(q, "quest"), c(q, "sqlite3"), c(q, "rg"), c(q, "export"); continue }
                if (((q, "quest") in m) && m[q, "native"] >= m[q, "quest"]) f = "no"
                if (((q, "sqlite3") in m) && m[q, "native"] >= m[q, "sqlite3"]) f = "no"
                if (((q, "quest") in m) || ((q, "sqlite3") in m)) npeer++
                else f = "–"
                if (f == "no") allfast = 0
                meds[++k] = m[q, "native"]
                printf "| %s | %s | %s | %s | %s | %s | %s |\n", q, c(q, "native"), c(q, "quest"), c(q, "sqlite3"), c(q, "rg"), c(q, "export"), f
            }
            if (k == 0) exit
            # median of the per-query medians
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (meds[j] < meds[i]) { t = meds[i]; meds[i] = meds[j]; meds[j] = t }
            med = (k % 2) ? meds[(k + 1) / 2] : (meds[k / 2] + meds[k / 2 + 1]) / 2
            # no peer measured at this size: the target is "not measured"
            print med, (npeer ? allfast : "") > "/dev/stderr"
        }' "$R/cli.txt" 2> "$R/cli-summary.txt"
    climed=""; allfast=""
    read -r climed allfast < "$R/cli-summary.txt" || true
    echo
    echo "Median of the per-query medians, assess-search: $(fmt %.2f "$climed") ms."
    if [ "$size" = 5m ]; then
        # the issue sets no whole-process target at 5M (its 3 ms is at 1M)
        targets="$targets
- $size: whole-process median (no target at 5M; 3 ms at 1M): $(fmt %.2f "$climed") ms"
    else
        targets="$targets
- $size: whole-process median at most 3 ms: $(fmt %.2f "$climed") ms — $(verdict "$climed" "<=" 3)"
    fi
    targets="$targets
- $size: faster than quest and sqlite3 on every query: $([ -z "${allfast:-}" ] && echo "not measured" || { [ "$allfast" = 1 ] && echo met || echo "NOT met"; })"
done

# 5M against 1M: against the 1M build timed again in the 5M section,
# alternating with the 5M build (run.sh), when it was; the 1M section's,
# timed minutes apart, beside it.
W1AGAIN=$(field "$RES/5m/native-1m.time" 1)
if [ -n "${WALL[5m]:-}" ] && [ -n "$W1AGAIN" ]; then
    r=$(calc "${WALL[5m]} / $W1AGAIN")
    apart=""
    [ -n "${WALL[1m]:-}" ] && apart="; against the 1m section's build, timed minutes apart: $(fmt %.2f "$(calc "${WALL[5m]} / ${WALL[1m]}")")"
    targets="$targets
- 5m build at most 5.5x the 1m build: $(fmt %.2f "$r") — $(awk -v v="$r" 'BEGIN { print (v <= 5.5 ? "met" : "NOT met") }') (the 1m build timed again in the 5m section, alternating with the 5m build: $W1AGAIN s, median of $(field "$RES/5m/native-1m.time.spread" 3)$apart)"
elif [ -n "${WALL[1m]:-}" ] && [ -n "${WALL[5m]:-}" ]; then
    r=$(calc "${WALL[5m]} / ${WALL[1m]}")
    targets="$targets
- 5m build at most 5.5x the 1m build: $(fmt %.2f "$r") — $(awk -v v="$r" 'BEGIN { print (v <= 5.5 ? "met" : "NOT met") }')"
fi

echo
echo "## Targets (issue \"Benchmarks\")"
echo "$targets"
echo
echo "Vaswani MAP (target >= 0.2965 with the shipped defaults): see \`make eval\`."
