#!/usr/bin/env bash
# xapian_remote.sh — the Xapian engine past one machine, on loopback: the
# bundled corpus exported as 2 shards (split by council), each served by its
# own xapian-tcpsrv, listed in a stub of "remote 127.0.0.1:PORT" lines;
# `assess-search --engine xapian` must print exactly what the native engine
# prints (stdout, stderr and exit status; weights to 1e-9), through the
# local stub and through the remote one; with one server stopped it must
# exit 2 naming that shard.
#
# xapian-tcpsrv answers SIGTERM by signalling its whole process group, so
# every server runs in a session of its own (setsid) and is stopped by its
# group id; the EXIT trap stops any left over.
. "$(dirname "$0")/lib/testlib.bash"

if ! command -v xapian-tcpsrv >/dev/null || ! command -v setsid >/dev/null; then
    ok "skipped: xapian-tcpsrv or setsid not installed"
    finish
    exit
fi

# Until both programs know the Xapian options there is nothing to test.
if ! "$IDX_BIN" --help 2>&1 | grep -q -- '--xapian' ||
    ! "$SRCH_BIN" --help 2>&1 | grep -q -- '--engine'; then
    ok "skipped: assess-index --xapian / assess-search --engine not built in"
    finish
    exit
fi

PIDS=()
stop_server() { # stop_server PID: the server and its connection children
    kill -TERM -- "-$1" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL -- "-$1" 2>/dev/null
}
cleanup() {
    for p in "${PIDS[@]}"; do stop_server "$p"; done
    rm -rf "$T"
}
trap cleanup EXIT

# start_server DB LOG: serves DB on a free loopback port; prints "PID PORT".
# A port in use makes the server exit at once: try another (bounded).
start_server() {
    local db=$1 log=$2 try port pid
    for try in $(seq 20); do
        port=$((20000 + (RANDOM * 7 + try * 131) % 40000))
        setsid xapian-tcpsrv --interface 127.0.0.1 --port "$port" "$db" >"$log" 2>&1 &
        pid=$!
        for _ in $(seq 50); do
            if grep -q 'Listening' "$log" 2>/dev/null; then
                echo "$pid $port"
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        stop_server "$pid"
    done
    return 1
}

IDX="$T/idx"
X="$T/xapian"
"$IDX_BIN" --index "$IDX" --xapian "$X" --shards 2 "$SRC/corpus" >/dev/null 2>"$T/err"
rc=$?
expect_rc "index and export the bundled corpus as 2 shards" 0 $rc
if [ $rc -ne 0 ]; then cat "$T/err"; finish; exit; fi
expect_eq "the export's stub lists both shards" "auto shard-0
auto shard-1" "$(cat "$X/STUB")"

read -r PID0 PORT0 < <(start_server "$X/shard-0" "$T/srv0.log") || true
read -r PID1 PORT1 < <(start_server "$X/shard-1" "$T/srv1.log") || true
if [ -z "${PID0:-}" ] || [ -z "${PID1:-}" ]; then
    nok "start two xapian-tcpsrv on loopback" "$(cat "$T"/srv*.log)"
    finish
    exit
fi
PIDS=("$PID0" "$PID1")
ok "two xapian-tcpsrv on 127.0.0.1:$PORT0 and :$PORT1"
# Shard order matters: Xapian numbers documents by position in the stub.
printf 'remote 127.0.0.1:%s\nremote 127.0.0.1:%s\n' "$PORT0" "$PORT1" >"$T/remote.stub"

native() { "$SRCH_BIN" --index "$IDX" "$@"; }
xap() { local stub=$1; shift; "$SRCH_BIN" --engine xapian --index "$stub" "$@"; }
noweight() { sed 's/"weight":[-0-9.eE+]*/"weight":W/'; }
weights() { jnum weight; }
# same_weights A B: the two lists of weights agree to 1e-9 relative
same_weights() {
    paste <(printf '%s\n' "$1") <(printf '%s\n' "$2") | awk -F'\t' '
        $1 == "" && $2 == "" { next }
        { a = $1 + 0; b = $2 + 0; d = a - b; if (d < 0) d = -d
          m = a < 0 ? -a : a; if ((b < 0 ? -b : b) > m) m = (b < 0 ? -b : b)
          if ($1 == "" || $2 == "" || d > 1e-9 * m) bad = 1 }
        END { exit bad }'
}

QUERIES=(
    "technology enabled care" "co-production" "coproduction" "co production"
    "hoarding" "safeguarding" "SAR" "learning from safeguarding adults reviews"
    "care OR support" "carers -young" '"mental health"' "learn*" "council:durham care"
    "score:<=2 support" "kind:finding people" "statement:safeguarding" "year:2023 care"
    "people" "the local authority" "zzzznothing"
)
for q in "${QUERIES[@]}"; do
    for opts in "--json -n 50" "--json --all -n 50" "--json --offset 3 -n 5"; do
        # shellcheck disable=SC2086
        want=$(native $opts "$q" 2>"$T/nerr0"); wrc=$?
        # Spelling suggestions come from the native index only (main.c).
        grep -v 'did you mean' "$T/nerr0" >"$T/nerr"
        for stub in "$X/STUB" "$T/remote.stub"; do
            # shellcheck disable=SC2086
            got=$(xap "$stub" $opts "$q" 2>"$T/xerr"); grc=$?
            where=$([ "$stub" = "$X/STUB" ] && echo local || echo remote)
            if [ "$wrc" -eq "$grc" ] && [ "$(noweight <<<"$want")" == "$(noweight <<<"$got")" ] &&
                cmp -s "$T/nerr" "$T/xerr" &&
                same_weights "$(weights <<<"$want")" "$(weights <<<"$got")"; then
                ok "[$q] $opts: $where Xapian = native (exit $grc)"
            else
                nok "[$q] $opts: $where Xapian = native" "exit $wrc vs $grc; $(cat "$T/nerr" "$T/xerr")
$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -20)"
            fi
        done
    done
done

# Text output too (header lines, path:line, acronym note).
expect_eq "text output: remote = native" "$(native "technology enabled care")" \
    "$(xap "$T/remote.stub" "technology enabled care")"

# One shard down: exit 2, and the message names it.
stop_server "$PID1"
out=$(xap "$T/remote.stub" care 2>&1 >/dev/null); rc=$?
expect_rc "a shard down: exit 2" 2 $rc
expect_match "the message names the shard that is down" "127\.0\.0\.1:$PORT1" "$out"
out=$(xap "$T/remote.stub" care 2>/dev/null)
expect_eq "nothing on stdout when a shard is down" "" "$out"
finish
