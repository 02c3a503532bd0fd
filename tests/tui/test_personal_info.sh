#!/bin/sh
# The personal data check after linking: on the already linked screen D
# opens the form, the name and phone go to the sandbox's tax service, and
# the result names the field that differs; D there takes corrected data.
# Nothing typed reaches the log.
. "$(dirname "$0")/lib.sh"

start_shell
run_npdlink

submit_inn 500000000276
expect "Already linked to Bank 131" 15
expect "D check the customer's data" 1
send d
expect "Check the customer's data" 5
expect "Last name" 1
note "D opened the data form"

# Esc goes back to the verdict and forgets the form.
type_text "Петров"
send Escape
expect "Already linked to Bank 131" 5
send d
expect "Check the customer's data" 5
refute "Петров"

# A missing phone is refused here; nothing is sent.
type_text "иванов"
send Tab
type_text "Иван"
send Enter
expect "Last name, first name and phone are needed." 5

send Tab
type_text "Иванович"
send Tab
type_text "+7 999 000 00 01"
send Enter
expect "The customer's data and the tax service's records" 15
expect "Last name: matches" 1
expect "First name: matches" 1
expect "Middle name: matches" 1
expect "Phone: differs from the tax service's records" 1
expect "INN: matches" 1
note "the phone differs, the name matches (case folded)"

[ "$(log_count 'check_personal_info')" -eq 1 ] ||
    fail "want exactly one personal data check in the sandbox log"

# D on the result: the form again, empty, for the corrected data.
expect "D correct the data" 1
send d
expect "Check the customer's data" 5
refute "иванов"
type_text "Иванов"
send Tab
type_text "Иван"
send Tab
type_text "Иванович"
send Tab
type_text "+7 999 000 00 00"
send Enter
expect "Phone: matches" 15
expect "Last name: matches" 1
[ "$(log_count 'check_personal_info')" -eq 2 ] ||
    fail "want two personal data checks in the sandbox log"
note "D on the result: corrected phone sent, now it matches"

[ "$(log_count 'Иван')" -eq 0 ] || fail "a name reached the sandbox log"
send Enter
expect_inn_screen 5
note "any key: next customer"

quit_npdlink
