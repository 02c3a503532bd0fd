#!/bin/sh
# English and Russian: F2 (and `l` on the INN screen) switches the
# language at once, the header names it, the texts that come from core
# (INN verdicts, permissions) follow, Cyrillic wraps by display width,
# and the start language comes from LANGUAGE or LANG even when the
# ru_RU.UTF-8 locale is not installed.
. "$(dirname "$0")/lib.sh"

INN_TITLE_RU='ИНН клиента (12 цифр)'
CONSENT_RU='Нажмите Y, если клиент согласен.'
CONSENT_EN='Press Y if the customer agrees.'
PERM_RU='Банк 131 сможет регистрировать доход от вашего имени'
PERMS_HEAD_RU='Банк 131 просит у клиента в «Мой налог» такие разрешения:'

# expect_header CODE: the header's language mark reads CODE.
expect_header()
{
    lib_n=25
    while [ "$lib_n" -gt 0 ]; do
        screen | head -n 1 | grep -q -- " $1 " && return 0
        sleep 0.2
        lib_n=$((lib_n - 1))
    done
    fail "the header does not show $1: $(screen | head -n 1)"
}

# start_in ENV: npdlink --sandbox started with extra environment.
start_in()
{
    type_text "env $1 '$NPDLINK' --sandbox"
    send Enter
}

start_shell

# ENGLISH FIRST, under the test's C.UTF-8 locale.
run_npdlink
expect_header EN
refute "$INN_TITLE_RU"
screen | tail -n 1 | grep -q 'F2 русский *$' ||
    fail "the footer does not name F2 in Russian"

# INN SCREEN: `l` switches, and so does an INN verdict from core.
send l
expect_soon "$INN_TITLE_RU"
expect_header RU
expect "ПЕСОЧНИЦА" 1
refute "$INN_TITLE"
screen | tail -n 1 | grep -q 'F2 English *$' ||
    fail "the footer does not name F2 in English"
note "the footer names F2 in the other language"
submit_inn 500000000341
expect "12-я цифра не сходится с первыми одиннадцатью" 5
send Escape
expect_soon '[____________]'
note "l: the INN screen and its verdict in Russian"

# CONSENT: the permissions from core and the terms in Russian; F2 goes
# back and forth, and `l` means nothing here.
submit_inn 500000000340
expect "$CONSENT_RU" 15
expect "$PERM_RU" 1
expect "Настройки → Партнёры" 1
send F2
expect_soon "$CONSENT_EN"
expect "Bank 131 may record income in your name" 1
expect_header EN
refute "$CONSENT_RU"
send F2
expect_soon "$CONSENT_RU"
expect_header RU
send l
sleep 0.5
expect "$CONSENT_RU" 1
note "F2: the consent screen in both languages"

# DISPLAY WIDTH: at 60 columns a 57-letter Cyrillic line still fits on
# one row (counted in bytes it would be twice as long).
tm resize-window -t "$T_PANE" -x 60 -y "$T_ROWS"
expect "$PERMS_HEAD_RU" 5
tm resize-window -t "$T_PANE" -x "$T_COLS" -y "$T_ROWS"
note "Cyrillic wraps by display width"

# Back to English on the INN screen with F2, and quit.
send Escape
expect "$INN_TITLE_RU" 5
send F2
expect_inn_screen 2
expect_header EN
quit_npdlink

# LANGUAGE=ru under C.UTF-8: Russian from the start; `l` gives English.
start_in "LANGUAGE=ru"
expect "$INN_TITLE_RU" 15
expect_header RU
send l
expect_inn_screen 2
send q
expect_prompt 5
expect_npdlink_gone 5
note "LANGUAGE=ru starts in Russian"

# LANG=ru_RU.UTF-8 without LC_ALL: Russian whether or not that locale is
# installed.
start_in "-u LC_ALL -u LANGUAGE LANG=ru_RU.UTF-8"
expect "$INN_TITLE_RU" 15
expect_header RU
send l
expect_inn_screen 2
send q
expect_prompt 5
expect_npdlink_gone 5
note "LANG=ru_RU.UTF-8 starts in Russian"

# RUSSIAN KEYBOARD LAYOUT: the letter keys work with the Cyrillic letters
# they carry (н is Y, в is D, й is Q); the data form keeps them as typed.
run_npdlink
submit_inn 500000000340
expect "$CONSENT_EN" 15
type_text 'н'
expect "Waiting for the customer to confirm in My Tax" 15
expect "Linked to Bank 131" 40
type_text 'в'
expect "Check the customer's data" 5
type_text 'Иванов'
expect "> Last name: Иванов_" 5
send Escape
expect "Linked to Bank 131" 5
send Escape
expect_inn_screen 5
submit_inn 500000000276
expect "Already linked to Bank 131" 15
type_text 'в'
expect "Check the customer's data" 5
send Escape
expect "Already linked to Bank 131" 5
send Escape
expect_inn_screen 5
type_text 'й'
expect_prompt 5
expect_npdlink_gone 5
note "Russian layout: н agrees, в opens the data form, й quits"
