#!/bin/sh
# One customer from the INN to "linked" (sandbox INN 500000000340, who
# confirms 5 s after the request): consent, the waiting screen
# with a QR code that decodes to the configured My Tax address, a refused
# early refresh, the background re-check that finds the link, and a clean
# INN screen for the next customer. A first run with the address set in
# the config file proves that the code follows the configuration.
. "$(dirname "$0")/lib.sh"

CUSTOM_URL='https://my.example.org/npd/partners?tui=1'
LINKS='/self_employed_widget/link '

# From the INN screen to the waiting screen, checking the consent screen
# on the way: nothing is filed before the customer agrees.
to_waiting()
{
    links=$(log_count "$LINKS")
    submit_inn 500000000340
    expect "Self-employed, not linked to Bank 131" 15
    expect "INN: 50********40" 1
    expect "asks the customer for these permissions" 1
    expect "may record income in your name" 1
    expect "may read the list of income you have recorded" 1
    expect "Press Y if the customer agrees." 1
    refute "Scan the code"
    [ "$(log_count "$LINKS")" -eq "$links" ] ||
        fail "a link request was filed before the customer agreed"
    note "consent screen lists the permissions"

    send y
    expect "Waiting for the customer to confirm in My Tax" 15
    [ "$(log_count "$LINKS")" -eq $((links + 1)) ] ||
        fail "agreeing did not file exactly one link request"
}

start_shell

# CONFIGURED ADDRESS: the QR code and the text follow the config file.
mkdir -p "$T_CONFIG/npdlink"
printf 'mytax_url = %s\n' "$CUSTOM_URL" >"$T_CONFIG/npdlink/npdlink.conf"
run_npdlink
to_waiting
expect_qr "$CUSTOM_URL"
expect "$CUSTOM_URL" 1
refute "$MYTAX_DEFAULT"
send Escape
expect_inn_screen 5
quit_npdlink
rm -f "$T_CONFIG/npdlink/npdlink.conf"

# DEFAULT ADDRESS, to the end.
run_npdlink
to_waiting
expect_qr "$MYTAX_DEFAULT"
expect_colour_check_bites
expect "$MYTAX_DEFAULT" 1
expect "Scan the code or open:" 1
expect "1. Open Settings → Partners." 1
expect "2. Find Bank 131" 1
expect "3. Check the permissions and tap Confirm" 1
expect "Next check in" 5
note "waiting screen: code, address, steps and countdown"

# REFRESH TOO SOON: refused on this computer, nothing sent.
checks=$(log_count '/npd/check')
send R
expect "nothing sent" 2
sleep 1
[ "$(log_count '/npd/check')" -eq "$checks" ] ||
    fail "R sent a check within the 30 s gap"
note "early R refused: nothing sent"

# The remark fades after a few seconds; the countdown stays.
expect_gone "nothing sent" 8
expect "Next check in" 1
[ "$(log_count '/npd/check')" -eq "$checks" ] ||
    fail "a check went out within the 30 s gap"
note "the refusal remark fades, the countdown stays"

# LINKED: the background re-check after the gap finds the link.
expect "Linked to Bank 131" 60
expect "INN: 50********40" 1
expect "Payouts with receipts can go ahead." 1
refute "Scan the code"
[ "$(log_count '/npd/check')" -gt "$checks" ] ||
    fail "linked without a new check"
note "linked after the background re-check"

# NEXT CUSTOMER: any key gives a clean INN screen.
send x
expect_inn_screen 5
refute "50********40"
refute "INN: 50"
refute "Linked to Bank 131"
note "clean INN screen for the next customer"

quit_npdlink
