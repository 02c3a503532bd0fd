#!/bin/sh
# The command line without the screen: --help, --version, --print-config
# with every settings layer, settings errors before any terminal output,
# sandbox = yes in a file starting the sandbox, and `make install` /
# `make uninstall` into a staging directory.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$T_DIR/out"
ERR="$T_DIR/err"

# npd ARGS...: npdlink with a clean environment plus $T_ENV, stdin and
# stdout not a terminal; sets $rc.
npd()
{
    env -i PATH="$PATH" HOME="$T_HOME" XDG_CONFIG_HOME="$T_CONFIG" \
        XDG_STATE_HOME="$T_STATE" TERM=xterm-256color $T_ENV \
        "$NPDLINK" "$@" </dev/null >"$OUT" 2>"$ERR"
    rc=$?
}

has_line()
{
    grep -q -x -F -- "$1" "$OUT" || fail "no line \"$1\" in: $(cat "$OUT")"
}

T_ENV=
npd --help
[ "$rc" -eq 0 ] || fail "--help exited $rc"
grep -q '^Usage: npdlink' "$OUT" || fail "--help: $(cat "$OUT")"
grep -q -e '--print-config' "$OUT" || fail "--help lacks --print-config"
grep -q '^ *npdlink check ' "$OUT" || fail "--help lacks npdlink check"
note "--help"

# fits_80 WHAT: no line of $OUT is wider than 80 columns, counted by
# display width, so that a Cyrillic letter counts once.
fits_80()
{
    widest=$(LC_ALL=C.UTF-8 wc -L <"$OUT")
    [ "$widest" -le 80 ] || fail "$1 has a line $widest columns wide"
}

fits_80 "--help"
npd check --help
[ "$rc" -eq 0 ] || fail "check --help exited $rc"
grep -q '^Usage: npdlink check' "$OUT" || fail "check --help: $(cat "$OUT")"
fits_80 "check --help"
T_ENV="LANGUAGE=ru LC_ALL=C.UTF-8"
npd --help
grep -q '^Использование: npdlink' "$OUT" || fail "Russian --help: $(cat "$OUT")"
fits_80 "the Russian --help"
T_ENV=
note "--help and check --help fit 80 columns, in English and Russian"

npd --version
[ "$rc" -eq 0 ] || fail "--version exited $rc"
grep -q -x 'npdlink [0-9][0-9.]*' "$OUT" || fail "--version: $(cat "$OUT")"
note "--version: $(cat "$OUT")"

# Each layer sets base_url and one key of its own; the later layer wins.
mkdir -p "$T_CONFIG/npdlink"
cat >"$T_CONFIG/npdlink/npdlink.conf" <<'CONF'
base_url = https://user.example
path.token = /user/token
connect_timeout_ms = 4000
ca_file = /user/ca.pem
CONF
cat >"$T_DIR/extra.conf" <<'CONF'
# given with --config
base_url = https://conf.example
path.check = /conf/check
ca_file = /conf/ca.pem
key_file = /conf/partner.key
CONF
T_ENV="NPDLINK_BASE_URL=https://env.example NPDLINK_CA_FILE=/env/ca.pem \
NPDLINK_PROJECT_ID=partner-777-9876 NPDLINK_PATH_LINK=/env/link"
npd --config "$T_DIR/extra.conf" --print-config --base-url https://flag.example
[ "$rc" -eq 0 ] || fail "--print-config exited $rc: $(cat "$ERR")"
[ ! -s "$ERR" ] || fail "--print-config wrote to stderr: $(cat "$ERR")"
has_line 'base_url = https://flag.example'
has_line 'ca_file = /env/ca.pem'
has_line 'path.link = /env/link'
has_line 'key_file = /conf/partner.key'
has_line 'path.check = /conf/check'
has_line 'path.token = /user/token'
has_line 'connect_timeout_ms = 4000'
has_line 'total_timeout_ms = 30000'
has_line 'sandbox = no'
has_line '# project_id = ****9876 (masked)'
grep -q 'partner-777' "$OUT" && fail "the project id is shown in full"
# Every key of the settings table in core/config.c is printed once.
want=$(grep -c '^    {"[a-z_.]*", CONFIG_' "$ROOT/core/config.c")
[ "$(grep -c ' = \| =$' "$OUT")" -eq "$want" ] ||
    fail "not $want keys: $(cat "$OUT")"
note "--print-config: flag > env > --config > user file > defaults"

# What empty settings and the sandbox stand for is said in comments, and
# the output still holds each key once.
npd --print-config --sandbox
[ "$rc" -eq 0 ] || fail "--print-config --sandbox exited $rc"
has_line 'audit_file ='
grep -q '^# audit_file is empty: the audit trail goes to audit.jsonl' \
    "$OUT" || fail "no word on the default audit file: $(cat "$OUT")"
grep -q '^# sandbox is on: ' "$OUT" || fail "no word on the sandbox"
grep -q '^# ledger_file is empty' "$OUT" &&
    fail "a ledger is named for a sandbox run, which shares none"
[ "$(grep -c ' = \| =$' "$OUT")" -eq "$want" ] ||
    fail "not $want keys with --sandbox: $(cat "$OUT")"
note "--print-config --sandbox: the defaults behind empty values said"

# Settings errors: exit 2 and a reason before curses writes anything.
T_ENV=
printf 'project_id = p\ncolour = blue\n' >"$T_DIR/bad.conf"
for mode in --print-config --sandbox; do
    npd --config "$T_DIR/bad.conf" $mode
    [ "$rc" -eq 2 ] || fail "bad key with $mode exited $rc"
    grep -q -F "$T_DIR/bad.conf:2: unknown key \"colour\"" "$ERR" ||
        fail "bad key with $mode: $(cat "$ERR")"
    [ ! -s "$OUT" ] || fail "output before the error: $(od -c "$OUT" | head)"
done
note "bad key: $(cat "$ERR")"

T_ENV="NPDLINK_BASEURL=https://x.example"
npd --sandbox
[ "$rc" -eq 2 ] || fail "unknown variable exited $rc"
grep -q 'NPDLINK_BASEURL: ' "$ERR" || fail "unknown variable: $(cat "$ERR")"
[ ! -s "$OUT" ] || fail "output before the error: $(od -c "$OUT" | head)"
T_ENV="NPDLINK_CONNECT_TIMEOUT_MS=soon"
npd --print-config
[ "$rc" -eq 2 ] || fail "bad variable value exited $rc"
grep -q 'NPDLINK_CONNECT_TIMEOUT_MS: connect_timeout_ms: ' "$ERR" ||
    fail "bad variable value: $(cat "$ERR")"
note "variables: $(cat "$ERR")"

# sandbox = yes in a file means what --sandbox means: the built-in
# sandbox answers (base_url and the missing project id are its own), and
# no shared ledger of real checks is written.
T_ENV=
printf 'sandbox = yes\nbase_url = https://bank.invalid\n' >"$T_DIR/sb.conf"
printf '500000000276\n' >"$T_DIR/sb.in"
env -i PATH="$PATH" HOME="$T_HOME" XDG_CONFIG_HOME="$T_CONFIG" \
    XDG_STATE_HOME="$T_STATE" "$NPDLINK" check --config "$T_DIR/sb.conf" \
    <"$T_DIR/sb.in" >"$OUT" 2>"$ERR"
rc=$?
[ "$rc" -eq 0 ] || fail "sandbox = yes: exit $rc: $(cat "$OUT" "$ERR")"
[ "$(cat "$OUT")" = '50********76: self-employed, linked to Bank 131' ] ||
    fail "sandbox = yes: $(cat "$OUT")"
[ "$(log_count 'npd/check')" -eq 1 ] ||
    fail "sandbox = yes: $(log_count 'npd/check') sandbox checks, want 1"
[ ! -e "$T_STATE/npdlink/checks.db" ] ||
    fail "sandbox = yes wrote the shared ledger"
note "sandbox = yes in a file: $(cat "$OUT")"

# A private build directory, so the shared one keeps its own LOCALEDIR.
DEST="$T_DIR/dest"
make -C "$ROOT" -s install BUILD="$T_DIR/build" DESTDIR="$DEST" \
    PREFIX=/usr >"$T_DIR/make.log" 2>&1 ||
    fail "make install: $(tail -n 5 "$T_DIR/make.log")"
for f in bin/npdlink bin/npdlink-sandbox share/man/man1/npdlink.1 \
    share/man/man1/npdlink-sandbox.1 share/man/man5/npdlink.conf.5; do
    [ -f "$DEST/usr/$f" ] || fail "make install did not place /usr/$f"
done
[ -x "$DEST/usr/bin/npdlink" ] || fail "the installed npdlink is not executable"
"$DEST/usr/bin/npdlink" --version | grep -q '^npdlink ' ||
    fail "the installed npdlink does not run"
note "make install placed the binaries and man pages under /usr"

make -C "$ROOT" -s uninstall BUILD="$T_DIR/build" DESTDIR="$DEST" \
    PREFIX=/usr >"$T_DIR/make.log" 2>&1 ||
    fail "make uninstall: $(tail -n 5 "$T_DIR/make.log")"
left=$(find "$DEST" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
note "make uninstall removed them"
