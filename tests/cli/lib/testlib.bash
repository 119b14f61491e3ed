# testlib.bash — helpers for the CLI tests in tests/cli/*.sh.
# Each test sources this, uses the expect_* helpers, and ends with finish.
# Env: AS_BIN (directory holding assess-index, assess-search), AS_SRCDIR
# (repository root).  Prints TAP-like lines and a closing "N passed, N failed".
set -u
BIN=${AS_BIN:?AS_BIN must name the directory with the programs}
SRC=${AS_SRCDIR:?AS_SRCDIR must name the repository root}
IDX_BIN="$BIN/assess-index"
SRCH_BIN="$BIN/assess-search"
pass=0
fail=0
T=$(mktemp -d "${TMPDIR:-/tmp}/as-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
export NO_COLOR=1
unset ASSESS_INDEX

ok() { pass=$((pass + 1)); echo "ok - $1"; }
nok() {
    fail=$((fail + 1))
    echo "not ok - $1"
    if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -n 40 | sed 's/^/#   /'; fi
}
# expect_eq DESC EXPECTED GOT
expect_eq() {
    if [ "$2" == "$3" ]; then ok "$1"; else nok "$1" "expected:
$2
got:
$3"; fi
}
# expect_rc DESC EXPECTED_RC GOT_RC
expect_rc() {
    if [ "$2" -eq "$3" ]; then ok "$1"; else nok "$1" "expected exit $2, got $3"; fi
}
# expect_match DESC REGEX TEXT
expect_match() {
    if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else nok "$1" "no match for /$2/ in:
$3"; fi
}
expect_nomatch() {
    if printf '%s' "$3" | grep -Eq -- "$2"; then nok "$1" "unexpected /$2/ in:
$3"; else ok "$1"; fi
}
# JSON field of each line: jfield NAME < jsonl  (strings only, good enough
# for our own output: the renderer escapes " and \ inside strings)
jfield() {
    sed -n "s/.*\"$1\":\"\\(\\([^\"\\\\]\\|\\\\.\\)*\\)\".*/\\1/p"
}
jnum() {
    sed -n "s/.*\"$1\":\\([0-9.eE+-]*\\|null\\).*/\\1/p"
}
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
