#!/bin/sh
# Input that makes no key is input all the same: bytes that are not UTF-8
# (what a terminal set to CP1251 sends for Cyrillic) and letters that
# share their numbers with curses' key codes, many in a row, on the INN
# screen and on the consent screen. npdlink must neither take them for a
# closed terminal nor act on them, and must go on taking keys.
. "$(dirname "$0")/lib.sh"

# junk N: N undecodable bytes and N letters U+0142, one key press each.
junk()
{
    junk_n=$1
    while [ "$junk_n" -gt 0 ]; do
        send -H e9
        send 'ł'
        junk_n=$((junk_n - 1))
    done
}

start_shell
run_npdlink
pid=$(npdlink_pid)
[ -n "$pid" ] || fail "cannot find the npdlink process"

junk 40
sleep 1
[ "$(npdlink_pid)" = "$pid" ] || fail "npdlink ended on undecodable input"
refute "the terminal went away"
expect "$INN_EMPTY_FIELD" 1
type_text 5000
expect '[5000________]' 2
note "INN screen: 80 undecodable keys ignored, digits still typed"

send Escape
submit_inn 500000000734
expect "Press Y if the customer agrees." 15
junk 40
sleep 1
[ "$(npdlink_pid)" = "$pid" ] || fail "npdlink ended on the consent screen"
expect "Press Y if the customer agrees." 1
refute "Waiting for the customer to confirm in My Tax"
note "consent screen: the same keys change nothing"

send Escape
expect_inn_screen 5
quit_npdlink
