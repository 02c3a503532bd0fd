#!/bin/sh
# A DNS server that takes the question and never answers: the bank's
# name cannot be looked up for 15 s, and npdlink must still give up at
# its own time limit with "no answer in time", not wait for the resolver.
# The lookup counts against the connect limit (2 s here), which is the
# one that ends it. Runs `npdlink check` in a user, mount and network
# namespace of its own (unshare), where /etc/resolv.conf names
# tests/tools/udpsink on 127.0.0.1; nothing leaves the machine.
. "$(dirname "$0")/lib.sh"

UDPSINK="$BUILD/tools/udpsink"
KEY="$T_STATE/npdlink/sandbox-key.pem"

command -v unshare >/dev/null 2>&1 || fail "unshare is not installed"
unshare -r -m -n true 2>"$T_DIR/unshare.err" ||
    fail "this machine allows no user namespaces: $(cat "$T_DIR/unshare.err")"

# The sandbox's first run makes a key pair, used here as the partner key.
printf '500000000100\n' | env -i PATH="$PATH" HOME="$T_HOME" \
    XDG_STATE_HOME="$T_STATE" "$NPDLINK" check --sandbox >/dev/null
[ $? -eq 3 ] || fail "the sandbox run that makes the key failed"
[ -f "$KEY" ] || fail "no key at $KEY"

cat >"$T_DIR/resolv.conf" <<'CONF'
nameserver 127.0.0.1
options timeout:15 attempts:1
CONF

cat >"$T_DIR/inner.sh" <<INNER
mount --bind '$T_DIR/resolv.conf' /etc/resolv.conf || exit 90
'$UDPSINK' 53 40 >'$T_DIR/sink.out' &
sink=\$!
n=0
until grep -q ready '$T_DIR/sink.out' 2>/dev/null; do
    n=\$((n + 1)); [ \$n -gt 50 ] && exit 91; sleep 0.1
done
start=\$(date +%s%N)
printf '500000000340\n' | env -i PATH='$PATH' HOME='$T_HOME' \
    XDG_STATE_HOME='$T_STATE' NPDLINK_CONNECT_TIMEOUT_MS=2000 \
    NPDLINK_TOTAL_TIMEOUT_MS=3000 '$NPDLINK' check --json \
    --base-url https://bank.example.org --project-id p --key-file '$KEY' \
    >'$T_DIR/out.json' 2>'$T_DIR/err.txt'
echo "\$? \$(((\$(date +%s%N) - start) / 1000000))" >'$T_DIR/result'
kill \$sink
exit 0
INNER

timeout 60 unshare -r -m -n sh "$T_DIR/inner.sh"
case $? in
0) ;;
90) fail "cannot bind-mount resolv.conf in a mount namespace" ;;
91) fail "the silent DNS server did not start: $(cat "$T_DIR/sink.out")" ;;
*) fail "unshare failed or timed out" ;;
esac

read -r rc ms <"$T_DIR/result"
[ "$rc" -eq 5 ] || fail "exit status $rc, want 5: $(cat "$T_DIR/err.txt")"
grep -q '"detail":"no answer in time"' "$T_DIR/out.json" ||
    fail "not a timeout: $(cat "$T_DIR/out.json")"
grep -q '"who":"network"' "$T_DIR/out.json" ||
    fail "not a network fault: $(cat "$T_DIR/out.json")"
# The resolver waits 15 s; the limit is 2 s. Anything under 10 s shows
# the limit held, with room for a slow machine.
[ "$ms" -lt 10000 ] || fail "gave up after $ms ms: the lookup held it"
note "silent DNS server: network fault, no answer in time, after $ms ms"
