#!/bin/sh
# The audit trail of real sessions against the sandbox: every api_call
# names its method, path and the bank's request id, never a token; each
# session ends with exactly one session_end whose reason is the outcome,
# "reset" or "quit". Then `npdlink --audit-summary` counts that day, and a
# crafted file with other days and broken lines; an audit file that cannot
# be written makes quitting fail with the reason on the terminal.
. "$(dirname "$0")/lib.sh"

AUDIT="$T_STATE/npdlink/audit.jsonl"

# count_events PATTERN: lines of the audit file matching PATTERN.
count_events()
{
    grep -c -- "$1" "$AUDIT"
}

start_shell

# Four customers: a verdict, one left on the consent screen, another
# verdict, and one on the consent screen when Ctrl-C ends npdlink.
run_npdlink
submit_inn 500000000100
expect "Not self-employed" 40
send Escape
expect_inn_screen 5
submit_inn 500000000340
expect "Press Y if the customer agrees." 40
send Escape
expect_inn_screen 5
submit_inn 500000000276
expect "Already linked" 40
send Escape
expect_inn_screen 5
submit_inn 500000000340
expect "Press Y if the customer agrees." 40
send C-c
expect_prompt 5
read_last_status
[ "$last_status" -eq 130 ] || fail "Ctrl-C: exit status $last_status"

[ -s "$AUDIT" ] || fail "no audit file at $AUDIT"
[ "$(count_events '"event":"session_end"')" -eq 4 ] ||
    fail "want 4 session_end events: $(grep session_end "$AUDIT")"
for reason in not_self_employed reset already_linked signal; do
    [ "$(count_events "\"reason\":\"$reason\"")" -eq 1 ] ||
        fail "want one session_end with reason $reason"
done
note "one session_end per session: not_self_employed, reset," \
    "already_linked, signal"

# A quit from the INN screen has no session to end.
run_npdlink
quit_npdlink
[ "$(count_events '"event":"session_end"')" -eq 4 ] ||
    fail "a quit without a customer wrote a session_end"

checks=$(count_events '"call":"npd/check"')
[ "$checks" -ge 4 ] || fail "want at least 4 npd/check calls, got $checks"
[ "$(grep '"call":"npd/check"' "$AUDIT" |
    grep '"method":"POST"' | grep '"path":"/api/v1/npd/check"' |
    grep -c '"request_id":"')" -eq "$checks" ] ||
    fail "an npd/check api_call lacks method, path or request_id"
! grep -q -e public_token -e 500000000 "$AUDIT" ||
    fail "a token or a clear INN is in the audit file"
note "api_call events carry POST, the path and the request id"

# The summary of today's sessions.
today=$(date +%Y-%m-%d)
"$NPDLINK" --audit-summary "$AUDIT" >"$T_DIR/sum.out" 2>"$T_DIR/sum.err" ||
    fail "--audit-summary failed: $(cat "$T_DIR/sum.err")"
for line in "date: $today" "sessions: 4" "checks: $checks" \
    "not self-employed: 1" "already linked: 1" "linked: 0"; do
    grep -q -x -- "$line" "$T_DIR/sum.out" ||
        fail "summary lacks \"$line\": $(cat "$T_DIR/sum.out")"
done
grep -q '^malformed lines: 0 of ' "$T_DIR/sum.out" ||
    fail "npdlink's own audit file has malformed lines"
note "today's summary: 4 sessions, $checks checks"

# A crafted file: another day is left out, broken lines are counted.
CRAFTED="$T_DIR/crafted.jsonl"
{
    echo '{"ts":"2024-05-01T09:00:00.000Z","event":"api_call","call":"npd/check"}'
    echo '{"ts":"2024-05-01T09:00:01.000Z","event":"link_filed"}'
    echo '{"ts":"2024-05-01T09:00:02.000Z","event":"error","fault":"bank"}'
    echo '{"ts":"2024-05-01T09:00:03.000Z","event":"session_end"}'
    echo '{"ts":"2024-05-03T09:00:00.000Z","event":"linked"}'
    echo 'this is not json'
    echo '{"event":"linked"}'
} >"$CRAFTED"
TZ=UTC "$NPDLINK" --audit-summary "$CRAFTED" --date 2024-05-01 \
    >"$T_DIR/sum.out" 2>"$T_DIR/sum.err" || fail "crafted file refused"
for line in "sessions: 1" "checks: 1" "linked: 0" "link requests filed: 1" \
    "errors: 1" "  bank: 1" "malformed lines: 2 of 7"; do
    grep -q -x -- "$line" "$T_DIR/sum.out" ||
        fail "crafted summary lacks \"$line\": $(cat "$T_DIR/sum.out")"
done
grep -q "2 malformed lines" "$T_DIR/sum.err" ||
    fail "malformed lines not reported on stderr"
"$NPDLINK" --audit-summary "$CRAFTED" --date 1.5.2024 2>/dev/null &&
    fail "a bad --date was accepted"
"$NPDLINK" --audit-summary "$T_DIR/absent.jsonl" 2>/dev/null &&
    fail "a missing audit file was accepted"
note "crafted file: other days left out, 2 malformed lines reported"

# An audit file that takes nothing: the session_end written on the way
# out is lost, and the agent is told so after the terminal is restored.
run_npdlink --audit-file /dev/full
submit_inn 500000000100
expect "audit trail not written" 40
send C-c
expect_prompt 5
read_last_status
[ "$last_status" -ne 0 ] || fail "a lost session_end exited 0"
expect "npdlink: audit trail not written" 2
expect_sane_tty
note "a lost session_end: said after the screen, exit status $last_status"

# A file size limit reached: the write fails with EFBIG and is reported
# like any other, instead of SIGXFSZ killing npdlink in curses' modes.
# The file is named relative to the shell's directory ($T_DIR), so the
# whole reason fits on the error line.
head -c 10240 /dev/zero | tr '\0' x >"$T_DIR/full.jsonl"
type_text "(cd '$T_DIR' && ulimit -f 10 && exec '$NPDLINK' --sandbox \
--audit-file full.jsonl)"
send Enter
expect_inn_screen 15
submit_inn 500000000100
expect "audit trail not written: audit file" 40
expect "File too large" 1
send Escape
expect_inn_screen 5
send q
expect_prompt 5
read_last_status
[ "$last_status" -ne 153 ] || fail "killed by SIGXFSZ"
expect_sane_tty
note "file size limit: File too large on screen, exit status $last_status"
