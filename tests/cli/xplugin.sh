#!/usr/bin/env bash
# xplugin.sh — the programs without Xapian: neither links libxapian or
# libstdc++; --engine xapian and --xapian load assess-xapian.so from beside
# the program (else the installed one), and without it, or with a file that
# is not it, refuse in one line and exit 2 before doing any work; with it,
# a copy of the programs in another directory searches a Xapian export as
# the native engine does.
. "$(dirname "$0")/lib/testlib.bash"

# Under tests/valgrind/run.sh the programs are wrapper scripts: nothing
# here can be copied elsewhere, and the linking is the real binaries' anyway.
if [ "$(head -c 4 "$SRCH_BIN" | od -An -c | tr -d ' ')" != '177ELF' ]; then
    ok "skipped: $SRCH_BIN is not the program itself (a wrapper)"
    finish
    exit
fi

for p in "$SRCH_BIN" "$IDX_BIN"; do
    if command -v readelf >/dev/null; then
        need=$(readelf -d "$p" | grep NEEDED)
        expect_nomatch "$(basename "$p") does not link libxapian or libstdc++" \
            'libxapian|libstdc\+\+' "$need"
    fi
done

# The installed place compiled into the program; a test machine where the
# plugin is installed there cannot show the "missing" case.
installed=$(grep -a -o '/[[:print:]]*/assess-xapian\.so' "$SRCH_BIN" | head -n 1)
expect_match "the installed plugin path is compiled in" '/lib/assess-search/assess-xapian\.so$' \
    "$installed"

mkdir -p "$T/lone"
cp "$SRCH_BIN" "$IDX_BIN" "$T/lone/"
"$T/lone/assess-index" --index "$T/ix" "$SRC/corpus" >/dev/null 2>"$T/err"
expect_rc "a copy without the plugin indexes the corpus" 0 $?
out=$("$T/lone/assess-search" --index "$T/ix" "technology enabled care" 2>"$T/err"); rc=$?
expect_rc "... and searches it natively" 0 $rc
expect_match "... finding the TEC sentence" 'technology enabled care \(TEC\)' "$out"

if [ -e "$installed" ]; then
    ok "skipped: a plugin is installed at $installed"
else
    out=$("$T/lone/assess-search" --engine xapian --index "$T/x" care 2>"$T/err"); rc=$?
    expect_rc "--engine xapian without the plugin: exit 2" 2 $rc
    expect_eq "... nothing on stdout" "" "$out"
    expect_eq "... one line naming the plugin and the reason" \
        "assess-search: --engine xapian: cannot load $installed: No such file or directory" \
        "$(cat "$T/err")"
    "$T/lone/assess-index" --index "$T/ix2" --xapian "$T/x" "$SRC/corpus" >/dev/null 2>"$T/err"
    rc=$?
    expect_rc "--xapian without the plugin: exit 2" 2 $rc
    expect_eq "... one line naming the plugin and the reason" \
        "assess-index: --xapian: cannot load $installed: No such file or directory" \
        "$(cat "$T/err")"
    expect_eq "... before building anything" "no" "$([ -e "$T/ix2" ] && echo yes || echo no)"
fi

# A file of that name that is not a shared object: refused, not run.
printf 'not a shared object\n' > "$T/lone/assess-xapian.so"
out=$("$T/lone/assess-search" --engine xapian --index "$T/x" care 2>"$T/err"); rc=$?
expect_rc "a bad plugin beside the program: exit 2" 2 $rc
expect_eq "... nothing on stdout" "" "$out"
expect_match "... one line: cannot load it, and the loader's reason" \
    "^assess-search: --engine xapian: cannot load $T/lone/assess-xapian\\.so: .+\$" "$(cat "$T/err")"
expect_eq "... exactly one line" "1" "$(wc -l < "$T/err" | tr -d ' ')"

# The real plugin beside the copy: export and search as the native engine.
if [ -e "$BIN/assess-xapian.so" ]; then
    cp "$BIN/assess-xapian.so" "$T/lone/"
    "$T/lone/assess-index" --index "$T/ix" --xapian "$T/x" "$SRC/corpus" >/dev/null 2>"$T/err"
    expect_rc "with the plugin beside it: --xapian exports" 0 $?
    nat=$("$T/lone/assess-search" --index "$T/ix" --json "technology enabled care" 2>&1)
    xap=$("$T/lone/assess-search" --engine xapian --index "$T/x/STUB" --json \
        "technology enabled care" 2>&1); rc=$?
    expect_rc "... --engine xapian finds hits" 0 $rc
    expect_eq "... the same hit texts as the native engine" \
        "$(printf '%s\n' "$nat" | jfield text)" "$(printf '%s\n' "$xap" | jfield text)"
    dir=$("$T/lone/assess-search" --engine xapian --index "$T/x" --json \
        "technology enabled care" 2>&1); rc=$?
    expect_rc "... the export directory itself as --index (its STUB used)" 0 $rc
    expect_eq "... the same hits as through the stub" "$xap" "$dir"
else
    nok "the plugin was not built beside $SRCH_BIN"
fi
finish
