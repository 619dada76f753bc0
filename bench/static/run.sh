#!/usr/bin/env bash
# bench/static/run.sh: what the static command line costs (issue 15), whole
# processes, medians, everything from the same run:
#   1. start-up: `aimonitor version` (the launcher, which answers it
#      itself), `aimonitor-core version` (the command line that links
#      everything, for the record) and `aimonitor-widget version` (the same
#      command in the binary that links GTK and WebKitGTK, i.e. the single
#      binary of before), and /bin/true (what starting any process costs on
#      this machine right now): wall time and peak RSS;
#   2. `aimonitor switch` with no refresh (fresh logins) against a real
#      gnome-keyring on a private D-Bus session, back and forth between two
#      of 5 saved accounts: through the launcher (launcher -> exec
#      aimonitor-core, what a user runs), aimonitor-core called directly (the
#      cost of the hop is the difference) and aimonitor-widget;
#   3. the daemon at rest with 5 accounts on the simulator: RSS (and PSS),
#      the median of samples every 2 s after it settled, against
#      `aimonitor-widget daemon`;
#   4. warm `aimonitor tokens --json` on the 300 MB corpus against ccusage's
#      native binary: bench/tokens/run.sh (default shape) does that run.
# Usage: bench/static/run.sh   (after `make build`; ROUNDS=21 SETTLE=20
#        SAMPLES=10 TOKENS=1; output in bench/out/static.txt)
#        RT=1 (as root) runs parts 1-3 under `chrt -f 10`, so other work on a
#        shared machine cannot take the cores from the processes timed (it
#        still shares the disk); the quiet-machine run is the reference.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
OUT=bench/out
mkdir -p "$OUT"
ROUNDS=${ROUNDS:-21}
SETTLE=${SETTLE:-20}
SAMPLES=${SAMPLES:-10}
TOKENS=${TOKENS:-1}
CHRT=()
[ "${RT:-0}" = 1 ] && CHRT=(chrt -f 10)
CLI=$PWD/build/bin/aimonitor
CORE=$PWD/build/bin/aimonitor-core
WIDGET=$PWD/build/bin/aimonitor-widget
[ -x "$CLI" ] && [ -x "$CORE" ] && [ -x "$WIDGET" ] || { echo "run make build first" >&2; exit 1; }
go build -o "$OUT/spawn" ./bench/static/spawn

{
echo "== bench/static $(date -u +%FT%TZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)${CHRT:+, under ${CHRT[*]}}"
echo "   targets: aimonitor version (launcher) <= 10 ms wall and <= 15 MB peak RSS; aimonitor switch (launcher -> core) <= 50 ms; daemon at rest <= 20 MB RSS; warm tokens <= 0.05x ccusage"
echo "   $($CLI version)"
echo
echo "-- 1. start-up (median of $ROUNDS rounds, the four taking turns)"
HOME=$(mktemp -d) "${CHRT[@]}" "$OUT/spawn" -rounds "$ROUNDS" \
  "/bin/true (process floor)=/bin/true" "aimonitor version=$CLI version" "aimonitor-core version=$CORE version" \
  "aimonitor-widget version=$WIDGET version"
echo
} | tee "$OUT/static.txt"

# 2 and 3 run inside the sandbox: temp HOME and XDG dirs, a private D-Bus
# session with an unlocked gnome-keyring.
cat >"$OUT/static-inner.sh" <<'INNER'
set -euo pipefail
CLI=$1 WIDGET=$2 SPAWN=$3 ROUNDS=$4 SETTLE=$5 SAMPLES=$6 OUT=$7 CORE=$8
"$CLI" sim >"$OUT/static-sim.log" 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null' EXIT
for _ in $(seq 100); do grep -q '^export AIMONITOR_API_BASE=' "$OUT/static-sim.log" 2>/dev/null && break; sleep 0.1; done
eval "$(grep '^export ' "$OUT/static-sim.log")"
BASE=$AIMONITOR_API_BASE
curl -sf -X POST "$BASE/_sim/accounts" -H 'content-type: application/json' \
  -d '{"email":"fifth@example.com","display_name":"Fifth","organization_name":"Fifth Org","subscription_type":"pro"}' >/dev/null
uuids=$(curl -sf "$BASE/_sim/accounts" | python3 -c 'import json,sys; print(" ".join(a["identity"]["account_uuid"] for a in json.load(sys.stdin)))')
mkdir -p "$HOME/.claude"
n=0
for u in $uuids; do
  n=$((n + 1))
  curl -sf -X POST "$BASE/_sim/accounts/$u/login" >"$OUT/static-login.json"
  python3 - "$OUT/static-login.json" "$HOME" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def blob(v): return v if isinstance(v, str) else json.dumps(v)
open(sys.argv[2] + "/.claude/.credentials.json", "w").write(blob(d["claude_code_json"]))
acct = d["oauth_account_json"]
acct = json.loads(acct) if isinstance(acct, str) else acct
open(sys.argv[2] + "/.claude.json", "w").write(json.dumps({"oauthAccount": acct}))
PY
  "$CLI" add --adopt-current --label "acct$n" >/dev/null
done
rm -f "$OUT/static-login.json"
echo "-- 2. switch, no refresh, real gnome-keyring, $n saved accounts (median of $ROUNDS rounds; each round switches acct1 -> acct2 -> acct1 with each binary)"
echo "   aimonitor switch = the launcher execing aimonitor-core, as a user runs it; aimonitor-core switch = core called directly"
"$SPAWN" -rounds "$ROUNDS" \
  "aimonitor switch=$CLI switch acct1" "aimonitor switch=$CLI switch acct2" \
  "aimonitor-core switch=$CORE switch acct1" "aimonitor-core switch=$CORE switch acct2" \
  "aimonitor-widget switch=$WIDGET switch acct1" "aimonitor-widget switch=$WIDGET switch acct2"
echo
echo "-- 3. daemon at rest, $n accounts on the simulator: RSS and PSS, median of $SAMPLES samples every 2 s after ${SETTLE} s"
for bin in "$CLI" "$WIDGET"; do
  "$bin" daemon >"$OUT/static-daemon.log" 2>&1 &
  pid=$!
  sleep "$SETTLE"
  kill -0 "$pid" || { cat "$OUT/static-daemon.log"; exit 1; }
  rss=() pss=()
  for _ in $(seq "$SAMPLES"); do
    rss+=("$(awk '/^VmRSS:/ {print $2}' /proc/$pid/status)")
    pss+=("$(awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup)")
    sleep 2
  done
  med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.1f MB", a[int((NR+1)/2)]/1024}'; }
  printf '%-28s RSS %s  PSS %s  (peak RSS %s)\n' "$(basename "$bin") daemon" "$(med "${rss[@]}")" "$(med "${pss[@]}")" \
    "$(awk '/^VmHWM:/ {printf "%.1f MB", $2/1024}' /proc/$pid/status)"
  kill -INT "$pid"; wait "$pid" || true
done
INNER
"${CHRT[@]}" scripts/sandbox bash "$OUT/static-inner.sh" "$CLI" "$WIDGET" "$PWD/$OUT/spawn" "$ROUNDS" "$SETTLE" "$SAMPLES" "$PWD/$OUT" "$CORE" 2>&1 |
  grep -v 'dbus-daemon\|fd limit' | tee -a "$OUT/static.txt"
rm -f "$OUT/static-inner.sh"

if [ "$TOKENS" = 1 ]; then
  {
    echo
    echo "-- 4. tokens --json on the 300 MB corpus, warm, against ccusage (bench/tokens/run.sh, default shape)"
  } | tee -a "$OUT/static.txt"
  SHAPES=default LARGE_MB=0 BIN=build/bin/aimonitor bench/tokens/run.sh 2>&1 | tee -a "$OUT/static.txt"
fi
# The issue's targets next to this run's figures.
{
  echo
  echo "-- targets (issue 15), load now $(cut -d' ' -f1-3 /proc/loadavg)"
  awk '
    function verdict(ok) { return ok ? "met" : "NOT met" }
    substr($0, 1, 29) ~ /^aimonitor version +$/ { split(substr($0, 30), f, " ")
      printf "aimonitor version (launcher): median wall %s ms (target <= 10 ms: %s); peak RSS %s MB (target <= 15 MB: %s)\n", f[2], verdict(f[2] <= 10), f[10], verdict(f[10] <= 15) }
    substr($0, 1, 29) ~ /^aimonitor-core version +$/ { split(substr($0, 30), f, " ")
      printf "aimonitor-core version (for the record, no target): median wall %s ms, peak RSS %s MB\n", f[2], f[10] }
    substr($0, 1, 29) ~ /^aimonitor switch +$/ { split(substr($0, 30), f, " ")
      printf "aimonitor switch (launcher -> core), no refresh: median wall %s ms (target <= 50 ms: %s)\n", f[2], verdict(f[2] <= 50) }
    substr($0, 1, 29) ~ /^aimonitor-core switch +$/ { split(substr($0, 30), f, " ")
      printf "aimonitor-core switch (core alone, for the record): median wall %s ms\n", f[2] }
    /^aimonitor daemon +RSS/ { printf "aimonitor daemon at rest, 5 accounts: RSS %s MB (target <= 20 MB: %s)\n", $4, verdict($4 <= 20) }
    /^aimonitor tokens, warm/ { printf "aimonitor tokens --json, warm: %s x ccusage (target <= 0.05: %s)\n", $6, verdict($6 <= 0.05) }
  ' "$OUT/static.txt"
} | tee -a "$OUT/static.txt"
echo "written: $OUT/static.txt"
