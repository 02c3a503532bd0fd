#!/bin/sh
# The verdict screens for the sandbox's customers, the INN checks made on
# this computer (no request leaves for a bad INN), Esc on the INN field,
# and quitting with the terminal given back in a sane state.
. "$(dirname "$0")/lib.sh"

# expect_no_qr: no code is drawn on a verdict screen.
expect_no_qr()
{
    screen_e | "$SCREEN2PBM" >/dev/null 2>&1 &&
        fail "a QR code is drawn on the $1 screen"
    refute "Scan the code"
}

# next_customer KEY: a verdict screen goes back to a clean INN screen.
next_customer()
{
    send "$1"
    expect_inn_screen 5
}

start_shell
run_npdlink

# NOT SELF-EMPLOYED: nested booleans, both false.
submit_inn 500000000100
expect "Not self-employed" 15
expect "Payouts without a receipt" 1
expect "INN: 50********00" 1
refute "500000000100"
refute "Linked to Bank 131"
expect_no_qr "not self-employed"
note "500000000100: not self-employed, no QR"
next_customer Enter

# ALREADY LINKED: top-level booleans, both true.
submit_inn 500000000276
expect "Already linked to Bank 131" 15
expect "ready for payouts with receipts" 1
expect "INN: 50********76" 1
refute "Not self-employed"
expect_no_qr "already linked"
note "500000000276: already linked"
next_customer Escape

# TAX SERVICE ERROR: no verdict, and the screen says so.
submit_inn 500000000660
expect "This is not an answer about the customer." 15
expect "The tax service did not answer" 1
expect "npd_service_internal_error" 1
refute "ot self-employed"
refute "Already linked"
expect_no_qr "tax service error"
note "500000000660: tax service error, not a verdict"
next_customer Escape

# CHECK DIGIT: refused on this computer, the digits kept for correcting;
# the sandbox sees no check.
checks=$(log_count '/npd/check')
[ "$checks" -ge 3 ] || fail "the sandbox log shows $checks checks, want 3"
submit_inn 500000000341
expect "The 12th digit does not match" 5
expect "[500000000341]" 1
refute "Checking the customer"
sleep 1
[ "$(log_count '/npd/check')" -eq "$checks" ] ||
    fail "a check was sent for an INN with a wrong check digit"
[ "$(log_count 'inn=50********41')" -eq 0 ] ||
    fail "the sandbox saw the INN with a wrong check digit"
note "500000000341: check digit refused, nothing sent"

# ESC: clears the field and the reason at once (no curses escape delay).
send Escape
expect_soon "$INN_EMPTY_FIELD"
refute "[500000000341]"
refute "The 12th digit does not match"
note "Esc cleared the field"

# COMPANY: a 10-digit INN is a company's.
submit_inn 7707083893
expect "belongs to a company" 5
expect "[7707083893__]" 1
refute "Checking the customer"
sleep 1
[ "$(log_count '/npd/check')" -eq "$checks" ] ||
    fail "a check was sent for a company's INN"
note "7707083893: company INN refused, nothing sent"
send Escape
expect_soon "$INN_EMPTY_FIELD"

quit_npdlink
