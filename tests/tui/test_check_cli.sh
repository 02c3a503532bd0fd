#!/bin/sh
# `npdlink check` against the sandbox, without a terminal: the answer and
# exit status for every sandbox customer in text and JSON, a malformed INN
# answered without a request, an INN on the command line refused, and
# batches in CSV and JSON Lines (masked INNs, mode 600, the 30-second rule
# for a repeated INN, progress lines, a clean stop on SIGINT).
. "$(dirname "$0")/lib.sh"

OUT="$T_DIR/out"
ERR="$T_DIR/err"
STAMP='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'

T_ENV=

# npd ARGS...: npdlink with a clean environment plus $T_ENV, standard
# input from $T_IN; sets $rc.
npd()
{
    env -i PATH="$PATH" HOME="$T_HOME" XDG_CONFIG_HOME="$T_CONFIG" \
        XDG_STATE_HOME="$T_STATE" $T_ENV "$NPDLINK" "$@" \
        <"$T_IN" >"$OUT" 2>"$ERR"
    rc=$?
}

# chk INN ARGS...: one check of INN given on standard input.
chk()
{
    T_IN="$T_DIR/in.txt"
    printf '%s\n' "$1" >"$T_IN"
    shift
    npd check --sandbox "$@"
}

# expect_answer INN STATUS TEXT JSON: TEXT is the whole text line; JSON a
# pattern for the whole compact object, STAMP standing for the time. A
# TEXT of "-" skips the text run (for the slow customer).
expect_answer()
{
    if [ "$3" != - ]; then
        chk "$1"
        [ "$rc" -eq "$2" ] || fail "$1: exit $rc, want $2: $(cat "$OUT" "$ERR")"
        [ "$(cat "$OUT")" = "$3" ] || fail "$1: text \"$(cat "$OUT")\""
    fi

    chk "$1" --json
    [ "$rc" -eq "$2" ] || fail "$1 --json: exit $rc, want $2"
    [ "$(wc -l <"$OUT")" -eq 1 ] || fail "$1 --json: $(cat "$OUT")"
    grep -q -x -- "$4" "$OUT" || fail "$1 --json: $(cat "$OUT")"
    grep -q -F "$1" "$OUT" "$ERR" && fail "$1 appears in clear"
    note "$1: exit $2, $(cat "$OUT")"
}

verdict_json()
{
    printf '{"inn":"%s","verdict":"%s","checked_at":"%s"}' "$1" "$2" "$STAMP"
}

expect_answer 500000000340 1 '50********40: self-employed, not linked to Bank 131' \
    "$(verdict_json '50\*\*\*\*\*\*\*\*40' not_linked)"
expect_answer 500000000413 1 '50********13: self-employed, not linked to Bank 131' \
    "$(verdict_json '50\*\*\*\*\*\*\*\*13' not_linked)"
expect_answer 500000000276 0 '50********76: self-employed, linked to Bank 131' \
    "$(verdict_json '50\*\*\*\*\*\*\*\*76' linked)"
expect_answer 500000000100 3 '50********00: not self-employed' \
    "$(verdict_json '50\*\*\*\*\*\*\*\*00' not_self_employed)"
expect_answer 500000000597 1 - \
    "$(verdict_json '50\*\*\*\*\*\*\*\*97' not_linked)"
expect_answer 500000000734 1 '50********34: self-employed, not linked to Bank 131' \
    "$(verdict_json '50\*\*\*\*\*\*\*\*34' not_linked)"
expect_answer 500000000660 5 \
    '50********60: no answer, the tax service failed (npd/request/status, HTTP 200, npd_service_internal_error): the tax service did not answer' \
    "{\"inn\":\"50\\*\\*\\*\\*\\*\\*\\*\\*60\",\"error\":{\"who\":\"tax_service\",\"call\":\"npd/request/status\",\"http_status\":200,\"code\":\"npd_service_internal_error\",\"detail\":\"[^\"]*\"},\"checked_at\":\"$STAMP\"}"

# Only the first check: no token or link request ever left.
[ "$(log_count '/token')" -eq 0 ] || fail "a token was asked for"
[ "$(log_count 'npd/check')" -eq 13 ] ||
    fail "$(log_count 'npd/check') checks logged, want 13"
grep -q -F 'INN: ' "$ERR" && fail "prompted although stdin is a file"

# A malformed INN: exit 4, the reason, and no request at all.
checks=$(log_count 'npd/check')
chk ' 500000000341 ' --json
[ "$rc" -eq 4 ] || fail "bad check digit: exit $rc"
grep -q -x -F '{"inn":"50********41","invalid":{"code":"bad_check12","detail":"The 12th digit does not match the first eleven digits: one of digits 1-12 was mistyped."}}' "$OUT" ||
    fail "bad check digit: $(cat "$OUT")"
chk 7707083893
[ "$rc" -eq 4 ] || fail "company INN: exit $rc"
grep -q '^\*\*\*\*\*\*\*\*\*\*: not a valid INN: ' "$OUT" ||
    fail "company INN: $(cat "$OUT")"
[ "$(log_count 'npd/check')" -eq "$checks" ] ||
    fail "a request was sent for a malformed INN"
note "malformed INNs: exit 4, nothing sent"

# The INN on the command line: refused, and not echoed.
T_IN=/dev/null
npd check --sandbox 500000000276
[ "$rc" -eq 2 ] || fail "positional INN: exit $rc"
grep -q 'not taken from the command line' "$ERR" ||
    fail "positional INN: $(cat "$ERR")"
grep -q 500000000276 "$ERR" "$OUT" && fail "the refused INN was echoed"
[ "$(log_count 'npd/check')" -eq "$checks" ] || fail "a check was sent"

# Two INNs on standard input: refused, pointing to --batch.
printf '500000000276\n500000000100\n' >"$T_DIR/two.txt"
T_IN="$T_DIR/two.txt"
npd check --sandbox
[ "$rc" -eq 2 ] || fail "two INNs on stdin: exit $rc"
grep -q -e '--batch' "$ERR" || fail "two INNs on stdin: $(cat "$ERR")"
[ "$(log_count 'npd/check')" -eq "$checks" ] || fail "a check was sent"
note "usage errors: exit 2, no request"

# expect_private FILE: mode 600 and no INN of the batch in clear.
expect_private()
{
    [ "$(stat -c %a "$1")" = 600 ] || fail "$1 has mode $(stat -c %a "$1")"
    grep -q -e 5000000 -e 7707083893 "$1" && fail "$1 holds an INN in clear: $(cat "$1")"
    return 0
}

# Another process's check, through a shared ledger: the second run waits
# for the first one's 30 seconds, and says so; it runs alongside the CSV
# batch below, which waits as long.
T_ENV="NPDLINK_LEDGER_FILE=$T_DIR/checks.db"
chk 500000000413
[ "$rc" -eq 1 ] || fail "ledger run 1: exit $rc: $(cat "$ERR")"
env -i PATH="$PATH" HOME="$T_HOME" XDG_CONFIG_HOME="$T_CONFIG" \
    XDG_STATE_HOME="$T_STATE" $T_ENV "$NPDLINK" check --sandbox \
    <"$T_IN" >"$T_DIR/ledger.out" 2>"$T_DIR/ledger.err" &
ledger_pid=$!
T_ENV=

# CSV batch: a repeated INN waits for the 30-second rule.
printf '500000000276\n\n 500000000100\r\n500000000341\n500000000276\n' \
    >"$T_DIR/batch.txt"
: >"$T_DIR/out.csv"
chmod 644 "$T_DIR/out.csv"
n76=$(log_count 'inn=50********76')
n00=$(log_count 'inn=50********00')
n41=$(log_count 'inn=50********41')
T_IN=/dev/null
npd check --sandbox --batch "$T_DIR/batch.txt" --output "$T_DIR/out.csv"
[ "$rc" -eq 4 ] || fail "CSV batch: exit $rc, want 4: $(cat "$ERR")"
[ ! -s "$OUT" ] || fail "CSV batch wrote to stdout: $(cat "$OUT")"
expect_private "$T_DIR/out.csv"
sed 's/[0-9-]*T[0-9:]*Z$/STAMP/' "$T_DIR/out.csv" >"$T_DIR/got.csv"
cat >"$T_DIR/want.csv" <<'CSV'
inn_masked,verdict,who,code,detail,checked_at
50********76,linked,,,,STAMP
50********00,not_self_employed,,,,STAMP
50********41,invalid_inn,,bad_check12,The 12th digit does not match the first eleven digits: one of digits 1-12 was mistyped.,
50********76,linked,,,,STAMP
CSV
cmp -s "$T_DIR/want.csv" "$T_DIR/got.csv" ||
    fail "CSV batch: $(diff "$T_DIR/want.csv" "$T_DIR/got.csv")"
[ "$(log_count 'inn=50********76')" -eq $((n76 + 2)) ] &&
    [ "$(log_count 'inn=50********00')" -eq $((n00 + 1)) ] &&
    [ "$(log_count 'inn=50********41')" -eq "$n41" ] ||
    fail "CSV batch: not 2, 1 and 0 checks: $(tail -n 8 "$T_LOG")"

first=$(date -d "$(sed -n 2p "$T_DIR/out.csv" | cut -d, -f6)" +%s)
again=$(date -d "$(sed -n 5p "$T_DIR/out.csv" | cut -d, -f6)" +%s)
[ $((again - first)) -ge 29 ] ||
    fail "the repeated INN was checked again after $((again - first)) s"
grep -q '50\*\*\*\*\*\*\*\*76 was checked less than 30 s ago; waiting' "$ERR" ||
    fail "no word of the wait: $(cat "$ERR")"
[ "$(grep -c '^npdlink check: [1-4]/4 done, [0-9]* s elapsed' "$ERR")" -eq 4 ] ||
    fail "progress lines: $(cat "$ERR")"
note "CSV batch: 3 checks, the repeat after $((again - first)) s, mode 600"

wait "$ledger_pid"
rc=$?
[ "$rc" -eq 1 ] || fail "ledger run 2: exit $rc: $(cat "$T_DIR/ledger.err")"
grep -q '50\*\*\*\*\*\*\*\*13 was checked less than 30 s ago; waiting [23][0-9] s' \
    "$T_DIR/ledger.err" || fail "ledger run 2: $(cat "$T_DIR/ledger.err")"
[ "$(cat "$T_DIR/ledger.out")" = \
    '50********13: self-employed, not linked to Bank 131' ] ||
    fail "ledger run 2: $(cat "$T_DIR/ledger.out")"
note "a check by another process through the ledger: waited and said so"

# JSON Lines batch, stopped by SIGINT while a repeat waits. Its stderr
# goes to a new file, so no earlier "waiting" is mistaken for its own.
printf '500000000100\n7707083893\n500000000340\n500000000100\n' \
    >"$T_DIR/batch2.txt"
env -i PATH="$PATH" HOME="$T_HOME" XDG_CONFIG_HOME="$T_CONFIG" \
    XDG_STATE_HOME="$T_STATE" "$NPDLINK" check --sandbox --format jsonl \
    --batch "$T_DIR/batch2.txt" --output "$T_DIR/out.jsonl" \
    </dev/null >"$OUT" 2>"$T_DIR/batch2.err" &
pid=$!
ERR="$T_DIR/batch2.err"
n=50
while ! grep -q 'waiting' "$ERR" && [ "$n" -gt 0 ]; do
    sleep 0.2
    n=$((n - 1))
done
[ "$n" -gt 0 ] || fail "the repeat did not wait: $(cat "$ERR")"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT: exit $rc"
grep -q 'interrupted: 3 of 4 INNs written' "$ERR" || fail "$(cat "$ERR")"
expect_private "$T_DIR/out.jsonl"
[ "$(wc -l <"$T_DIR/out.jsonl")" -eq 3 ] || fail "$(cat "$T_DIR/out.jsonl")"
sed -n 1p "$T_DIR/out.jsonl" |
    grep -q -x "$(verdict_json '50\*\*\*\*\*\*\*\*00' not_self_employed)" ||
    fail "JSON line 1: $(sed -n 1p "$T_DIR/out.jsonl")"
sed -n 2p "$T_DIR/out.jsonl" |
    grep -q -x '{"inn":"\*\*\*\*\*\*\*\*\*\*","invalid":{"code":"company","detail":"[^"]*"}}' ||
    fail "JSON line 2: $(sed -n 2p "$T_DIR/out.jsonl")"
sed -n 3p "$T_DIR/out.jsonl" |
    grep -q -x "$(verdict_json '50\*\*\*\*\*\*\*\*40' not_linked)" ||
    fail "JSON line 3: $(sed -n 3p "$T_DIR/out.jsonl")"
sleep 0.5
[ -z "$(our_processes)" ] || fail "left running: $(our_processes)"
note "JSON Lines batch: 3 lines kept after SIGINT, exit 130, sandbox gone"
