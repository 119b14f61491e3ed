#!/usr/bin/env bash
# lifecycle.sh — the cron contract: incremental runs equal rebuilds, searches
# never fail during rebuilds, kill -9 at any moment is harmless, one writer,
# a full disk is survived, a flipped byte is detected, a damaged generation
# is rebuilt from the corpus by the next run.
. "$(dirname "$0")/lib/testlib.bash"

gen() { mkdir -p "$1"; awk -v dir="$1" -v files="$2" -v rows="$3" -v seed="$4" -f "$SRC/tests/cli/lib/gencorpus.awk"; }
QUERIES=("care" "hoarding reablement" '"direct payments"' "safeguard*" "marker3" "score:<=2 advocacy" "complaints OR feedback" "council:003 training")
# answers INDEX: every query's full JSON output, concatenated
answers() {
    for q in "${QUERIES[@]}"; do echo "## $q"; "$SRCH_BIN" --index "$1" --json -n 100000 "$q" 2>&1; echo "rc=$?"; done
}
same_as_rebuild() {
    rm -rf "$T/ref"
    "$IDX_BIN" --index "$T/ref" --rebuild "$C" >/dev/null 2>&1
    if diff <(answers "$IDX") <(answers "$T/ref") >"$T/diff"; then ok "$1: answers equal a --rebuild"
    else nok "$1: answers equal a --rebuild" "$(head -n 20 "$T/diff")"; fi
}

C="$T/corpus"; IDX="$T/idx"
gen "$C" 12 200 1
"$IDX_BIN" --index "$IDX" "$C" >/dev/null 2>&1
expect_rc "first build" 0 $?
gen1=$(cat "$IDX/CURRENT")
out=$("$IDX_BIN" --index "$IDX" --verbose "$C" 2>&1); rc=$?
expect_rc "second run: exit 0" 0 $rc
expect_match "second run: nothing parsed" ' 0 files parsed' "$out"
expect_eq "second run: no new generation" "$gen1" "$(cat "$IDX/CURRENT")"
printf 'Council 005\t3\t2\t2024-05-10\t\tA brand new sentence about zebras.\n' >> "$C/council-005.tsv"
out=$("$IDX_BIN" --index "$IDX" --verbose "$C" 2>&1)
expect_match "one file changed: exactly that file parsed" '0 added, 1 changed, 0 removed, 11 unchanged.* 1 files parsed' "$out"
expect_match "changed file: new sentence found" 'zebras' "$("$SRCH_BIN" --index "$IDX" zebras)"
same_as_rebuild "after a change"
"$IDX_BIN" --index "$IDX" --check >/dev/null 2>&1
expect_rc "after a change (unchanged files' store blocks copied verbatim): --check passes" 0 $?
rm "$C/council-007.tsv"
"$IDX_BIN" --index "$IDX" "$C" >/dev/null 2>&1
"$SRCH_BIN" --index "$IDX" marker7 >/dev/null 2>&1
expect_rc "deleted file: its sentences are gone" 1 $?
same_as_rebuild "after a delete"
gen "$T/extra" 1 50 9
sed 's/Council 000/Council 100/; s/marker0/markerextra/' "$T/extra/council-000.tsv" > "$C/council-100.tsv"
"$IDX_BIN" --index "$IDX" "$C" >/dev/null 2>&1
expect_eq "added file: found" "50" "$("$SRCH_BIN" --index "$IDX" --json -n 1000 --council 100 markerextra | wc -l | tr -d ' ')"
same_as_rebuild "after an add"
"$IDX_BIN" --index "$IDX" --check >/dev/null 2>&1
expect_rc "after an add: --check passes" 0 $?
touch "$C/council-001.tsv"
out=$("$IDX_BIN" --index "$IDX" --verbose "$C" 2>&1)
expect_match "touched but unchanged file: not parsed" ' 0 files parsed' "$out"

# A damaged live generation met while copying: the run rebuilds from the
# corpus on its own (one line naming the damaged file), exit 0, and the
# next runs are incremental again.  The byte flipped is in the middle of
# each file a copy reads (for postings: a page of a term's list, most of
# whose docs are in the unchanged files).
flip() {  # flip FILE OFFSET
    local byte; byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $(( (byte ^ 255) & 255 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
k=0
for name in postings positions store docs; do
    k=$((k + 1))
    g="$IDX/$(cat "$IDX/CURRENT")"
    flip "$g/$name" $(( $(stat -c %s "$g/$name") / 2 ))
    printf 'Council 003\t2\t2\t2024-06-0%d\t\tDamage test %d about walruses.\n' "$k" "$k" >> "$C/council-003.tsv"
    out=$("$IDX_BIN" --index "$IDX" "$C" 2>&1); rc=$?
    expect_rc "damaged $name: the run exits 0" 0 $rc
    expect_match "damaged $name: one line names the file and the rebuild" \
        "^assess-index: $g/$name: page [0-9]+ \\(bytes [0-9]+\\.\\.[0-9]+\\): checksum mismatch; rebuilt from the corpus\$" "$out"
    expect_eq "damaged $name: nothing else printed" 1 "$(printf '%s\n' "$out" | wc -l | tr -d ' ')"
    expect_eq "damaged $name: a new generation is live" 1 "$([ "$IDX/$(cat "$IDX/CURRENT")" != "$g" ] && echo 1)"
    same_as_rebuild "damaged $name"
    "$IDX_BIN" --index "$IDX" --check >/dev/null 2>&1
    expect_rc "damaged $name: --check passes after the rebuild" 0 $?
done
printf 'Council 003\t2\t2\t2024-06-09\t\tAfter the damage, a walrus again.\n' >> "$C/council-003.tsv"
out=$("$IDX_BIN" --index "$IDX" --verbose "$C" 2>&1); rc=$?
expect_rc "after the repair: the next run exits 0" 0 $rc
expect_match "after the repair: the next run is incremental" ' 1 files parsed' "$out"

# Searches during 20 incremental runs and 5 rebuilds never fail.
# (weights change as other files grow, so the sentences are compared)
expected=$("$SRCH_BIN" --index "$IDX" --json -n 100000 marker2 | jfield text | sort)
( fails=0; n=0
  while [ ! -e "$T/stop" ]; do
      got=$("$SRCH_BIN" --index "$IDX" --json -n 100000 marker2 2>&1); rc=$?
      got=$(printf '%s\n' "$got" | jfield text | sort)
      n=$((n + 1))
      if [ $rc -ne 0 ] || [ "$got" != "$expected" ]; then fails=$((fails + 1)); echo "$got" > "$T/lastfail"; fi
  done
  echo "$n $fails" > "$T/searches" ) &
loop=$!
for i in $(seq 1 20); do
    printf 'Council 004\t1\t1\t2024-01-01\t\tLoop sentence %d about otters.\n' "$i" >> "$C/council-004.tsv"
    "$IDX_BIN" --index "$IDX" "$C" >/dev/null 2>&1 || echo "incremental $i failed" >> "$T/ixfail"
done
for i in $(seq 1 5); do
    "$IDX_BIN" --index "$IDX" --rebuild "$C" >/dev/null 2>&1 || echo "rebuild $i failed" >> "$T/ixfail"
done
touch "$T/stop"; wait $loop
read -r nsearch nfail < "$T/searches"
expect_eq "20 incremental runs and 5 rebuilds succeed" "" "$(cat "$T/ixfail" 2>/dev/null)"
if [ "$nsearch" -gt 0 ] && [ "$nfail" -eq 0 ]; then ok "$nsearch searches during rebuilds: none failed"
else nok "searches during rebuilds: $nfail of $nsearch failed" "$(cat "$T/lastfail" 2>/dev/null)"; fi

# One writer: a second concurrent run exits 75; --wait waits then succeeds.
B="$T/big"; BIDX="$T/bidx"
gen "$B" 24 1000 2
"$IDX_BIN" --index "$BIDX" "$B" >/dev/null 2>&1
before=$(answers "$BIDX")
# The writer's lock is held here by a stand-in that behaves as assess-index
# does (flock on INDEX/LOCK, its pid written into it), for as long as the
# test needs: a real build may finish before a second one starts.
hold() {  # hold SECONDS: background holder; sets $holder
    bash -c 'exec 9<>"$1/LOCK"; flock -x 9; printf "%s\n" "$$" >&9; exec sleep "$2"' _ "$BIDX" "$1" &
    holder=$!
    for _ in $(seq 1 100); do
        [ "$(head -n 1 "$BIDX/LOCK" 2>/dev/null)" == "$holder" ] && break
        sleep 0.05
    done
}
hold 60
out=$("$IDX_BIN" --index "$BIDX" "$B" 2>&1); rc=$?
expect_rc "second concurrent assess-index: exit 75" 75 $rc
expect_match "it names the holder's pid" "locked by another assess-index \\(pid $holder\\)" "$out"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
hold 2
start=$SECONDS
"$IDX_BIN" --index "$BIDX" --wait "$B" >/dev/null 2>&1
rc=$?
expect_rc "--wait waits, then succeeds" 0 $rc
if [ $((SECONDS - start)) -ge 1 ]; then ok "--wait waited for the holder"; else nok "--wait waited for the holder"; fi
wait "$holder" 2>/dev/null
# And two real runs started together: the scheduler decides which takes the
# lock, so either order is right; one succeeds and the other succeeds too
# (the first had finished) or exits 75. Anything else, or both 75, fails.
"$IDX_BIN" --index "$BIDX" --rebuild "$B" >/dev/null 2>&1 &
first=$!
"$IDX_BIN" --index "$BIDX" --rebuild "$B" >/dev/null 2>&1; rc=$?
wait $first; rc1=$?
case "$rc1 $rc" in
"0 0"|"0 75"|"75 0") ok "two real concurrent runs: one 0, the other 0 or 75" ;;
*) nok "two real concurrent runs: one 0, the other 0 or 75" "first $rc1, second $rc" ;;
esac

# kill -9 at 10 moments of a rebuild: the index answers as before, --check
# passes.  The moments are spread over the time one rebuild takes here (timed
# first), so they land inside the build whatever the speed of the machine
# and of the build; at least one must (a run killed by the signal, 137).
before=$(answers "$BIDX")
t0=$(date +%s%N)
"$IDX_BIN" --index "$BIDX" --rebuild "$B" >/dev/null 2>&1
dur=$(( ($(date +%s%N) - t0) / 1000 ))   # microseconds
killed=0
for i in $(seq 1 10); do
    "$IDX_BIN" --index "$BIDX" --rebuild "$B" >/dev/null 2>&1 &
    pid=$!
    t=$(awk -v i="$i" -v d="$dur" 'BEGIN { printf "%.3f", i * d / 11 / 1e6 }')
    sleep "$t"
    kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    [ $? -eq 137 ] && killed=$((killed + 1))
    if [ "$(answers "$BIDX")" == "$before" ] && "$IDX_BIN" --index "$BIDX" --check >/dev/null 2>&1; then
        ok "kill -9 after ${t}s: answers unchanged, --check passes"
    else
        nok "kill -9 after ${t}s: answers unchanged, --check passes"
    fi
done
if [ $killed -ge 1 ]; then ok "$killed of the 10 kills landed inside a rebuild (one takes $((dur / 1000)) ms)"
else nok "at least one kill landed inside a rebuild" "none did (one takes $((dur / 1000)) ms)"; fi
"$IDX_BIN" --index "$BIDX" "$B" >/dev/null 2>&1
expect_rc "the next run completes" 0 $?
expect_eq "no leftovers of killed runs" "" "$(ls -d "$BIDX"/tmp-* 2>/dev/null)"

# A full disk (ulimit -f): clear error, exit 2, the previous generation answers.
before=$(answers "$BIDX")
out=$( (ulimit -f 64; "$IDX_BIN" --index "$BIDX" --rebuild "$B") 2>&1); rc=$?
expect_rc "write fails under ulimit -f: exit 2" 2 $rc
expect_match "write failure: a clear message" '(File too large|No space)' "$out"
expect_eq "after the failed build the old generation answers" "$before" "$(answers "$BIDX")"

# A flipped byte in each index file: --check names the file, search refuses.
SIDX="$T/sidx"
"$IDX_BIN" --index "$SIDX" "$SRC/corpus" >/dev/null 2>&1
good=$("$SRCH_BIN" --index "$SIDX" --json -n 1000 --any learning care complaints hoarding SAR TEC 2>&1)
gdir="$SIDX/$(cat "$SIDX/CURRENT")"
for f in "$gdir"/*; do
    name=$(basename "$f")
    cp "$f" "$T/saved"
    size=$(stat -c %s "$f")
    for off in $((size / 2)) 7 $((size - 3)); do
        cp "$T/saved" "$f"
        byte=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
        printf "$(printf '\\%03o' $(( (byte ^ 255) & 255 )))" | dd of="$f" bs=1 seek="$off" conv=notrunc 2>/dev/null
        out=$("$IDX_BIN" --index "$SIDX" --check 2>&1); rc=$?
        if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q "$name"; then ok "$name byte $off flipped: --check fails naming it"
        else nok "$name byte $off flipped: --check fails naming it" "rc=$rc $out"; fi
        got=$("$SRCH_BIN" --index "$SIDX" --json -n 1000 --any learning care complaints hoarding SAR TEC 2>&1); rc=$?
        if { [ $rc -eq 2 ] && [ "$(printf '%s\n' "$got" | wc -l)" -eq 1 ]; } || [ "$got" == "$good" ]; then
            ok "$name byte $off flipped: search refuses with one line (or is unaffected)"
        else
            nok "$name byte $off flipped: search refuses with one line (or is unaffected)" "rc=$rc $got"
        fi
    done
    cp "$T/saved" "$f"
done
"$IDX_BIN" --index "$SIDX" --check >/dev/null 2>&1
expect_rc "restored index: --check passes" 0 $?
finish
