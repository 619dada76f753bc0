#!/usr/bin/env bash
# bench/widget/run.sh: what the widget costs on this machine, against a bare
# Wails app (Wails' own vanilla template, generated and built here) measured
# in the same run under the same Xvfb + openbox:
#   - memory: PSS of the whole app (Go/GTK process + WebKit processes);
#   - idle CPU: share of one core over IDLE seconds, after settling;
#   - growth: PSS while and after 10 000 synthetic status events (aimonitor
#     only), sampled every 5 s while they arrive.
# Both run in the sandbox (private D-Bus session with its own keyring, so the
# accessibility bus is there for both). aimonitor runs its demo (simulator,
# 5 accounts). aimonitor sets two WebKit environment variables for itself
# (app_memory.go: JIT off, DMA-BUF renderer off), so the peer is also
# measured with the same two, to show what the settings alone are worth.
# Usage: bench/widget/run.sh   (after `make build`; output in bench/out/widget.txt)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=bench/out
mkdir -p "$OUT"
IDLE=${IDLE:-30}
EVENTS=${EVENTS:-10000}
PEER=$OUT/peer
[ -x build/bin/aimonitor ] || { echo "run make build first" >&2; exit 1; }

# --- the peer: Wails' vanilla template, unchanged, built with our pinned Wails.
if [ ! -x "$PEER/build/bin/peer" ]; then
  echo "building the peer (Wails vanilla template)…" >&2
  go build -o "$OUT/wails" github.com/wailsapp/wails/v2/cmd/wails
  rm -rf "$PEER"
  "$OUT/wails" init -n peer -t vanilla -d "$PEER" >/dev/null
  (cd "$PEER" && go mod edit -require=github.com/wailsapp/wails/v2@v2.9.2 && go mod tidy >/dev/null 2>&1 &&
    "../wails" build -m >/dev/null)
fi

# Every process in the tree rooted at $1.
tree() {
  local pids=("$1") i=0
  while [ $i -lt ${#pids[@]} ]; do
    for c in $(cat /proc/"${pids[$i]}"/task/*/children 2>/dev/null); do pids+=("$c"); done
    i=$((i + 1))
  done
  echo "${pids[@]}"
}
pss_kb() { # total PSS (kB) of the tree
  local t=0 p v
  for p in $(tree "$1"); do
    v=$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0)
    t=$((t + ${v:-0}))
  done
  echo $t
}
pss_median() { # median PSS (kB) of the tree $1 over $2 seconds, sampled every 5 s
  local i vals=()
  for ((i = 0; i < $2 / 5; i++)); do vals+=("$(pss_kb "$1")"); sleep 5; done
  printf '%s\n' "${vals[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
cpu_ticks() { # utime+stime of the tree
  local t=0 p
  for p in $(tree "$1"); do
    t=$((t + $(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null || echo 0)))
  done
  echo $t
}
app_root() { # the process that owns the window
  local wid pid
  for _ in $(seq 300); do
    wid=$(xdotool search --onlyvisible --name "$1" 2>/dev/null | head -1 || true)
    if [ -n "$wid" ]; then pid=$(xprop -id "$wid" _NET_WM_PID | awk '{print $3}'); [ -n "$pid" ] && { echo "$pid"; return; }; fi
    sleep 0.2
  done
  echo "no window named $1" >&2
  return 1
}

measure() { # name title cmd...
  local name=$1 title=$2; shift 2
  setsid "$@" >"$OUT/$name.log" 2>&1 &
  local grp=$!
  local pid; pid=$(app_root "$title")
  sleep 10
  # PSS is the median of samples every 5 s: WebKit's JavaScript heap is
  # collected in batches, so a single reading can land on either side of one.
  local hz; hz=$(getconf CLK_TCK)
  local c0; c0=$(cpu_ticks "$pid")
  local pss; pss=$(pss_median "$pid" "$IDLE")
  local c1; c1=$(cpu_ticks "$pid")
  local cpu; cpu=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v s="$IDLE" 'BEGIN {printf "%.2f", 100 * d / hz / s}')
  echo "$name pss_mb=$(awk -v k="$pss" 'BEGIN{printf "%.1f", k/1024}') idle_cpu_pct=$cpu" | tee -a "$OUT/widget.raw"
  for p in $(tree "$pid"); do # per process, for the record
    printf '  %-24s %8s kB\n' "$(cat /proc/"$p"/comm 2>/dev/null)" "$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null)"
  done >>"$OUT/$name.pss"
  if [ "$name" = aimonitor ]; then
    # The app was started with --bench-events: record PSS every 5 s while
    # they arrive (a leak climbs, a cache or a collector saws), then measure
    # again once they are done.
    : >"$OUT/widget.series"
    local t=0
    for _ in $(seq 300); do
      grep -q "bench: status events emitted" "$OUT/$name.log" && break
      echo "$t $(pss_kb "$pid")" >>"$OUT/widget.series"
      sleep 5
      t=$((t + 5))
    done
    local after; after=$(pss_median "$pid" "${SETTLE_AFTER:-30}")
    echo "aimonitor_after_events pss_mb=$(awk -v k="$after" 'BEGIN{printf "%.1f", k/1024}') events=$EVENTS" | tee -a "$OUT/widget.raw"
    awk '{ v[NR] = $2 } END {
      h = int(NR / 2)
      for (i = 1; i <= NR; i++) { if (i <= h && v[i] > first) first = v[i]; if (i > h && v[i] > last) last = v[i]
        if (min == "" || v[i] < min) min = v[i]; if (v[i] > max) max = v[i] }
      printf "aimonitor_during_events min_mb=%.1f max_mb=%.1f first_half_peak_mb=%.1f second_half_peak_mb=%.1f samples=%d\n", min/1024, max/1024, first/1024, last/1024, NR
    }' "$OUT/widget.series" | tee -a "$OUT/widget.raw"
    for p in $(tree "$pid"); do
      printf '  after events: %-24s %8s kB\n' "$(cat /proc/"$p"/comm 2>/dev/null)" "$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null)"
    done >>"$OUT/$name.pss"
  fi
  kill -- -"$grp" 2>/dev/null || true
  wait "$grp" 2>/dev/null || true
  # setsid may have forked: wait for the app itself, so the next run cannot
  # find this window.
  for _ in $(seq 100); do [ -d /proc/"$pid" ] || break; sleep 0.1; done
}

run() {
  : >"$OUT/widget.raw"
  rm -f "$OUT"/*.pss
  measure peer '^peer$' scripts/sandbox "$PEER/build/bin/peer"
  measure peer_settings '^peer$' env JSC_useJIT=false WEBKIT_DISABLE_DMABUF_RENDERER=1 scripts/sandbox "$PEER/build/bin/peer"
  measure aimonitor '^aimonitor$' scripts/sandbox build/bin/aimonitor demo --extra 1 --bench-events "$EVENTS"
}
export -f run measure tree pss_kb pss_median cpu_ticks app_root
export OUT PEER IDLE EVENTS
AIMONITOR_FORCE_XVFB=1 scripts/with-display bash -c run

NPROC=$(nproc) IDLE=$IDLE awk '
  { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1]] = kv[2] } }
  END {
    printf "machine: %s cores; idle window %ss\n", ENVIRON["NPROC"], ENVIRON["IDLE"]
    printf "%-28s %10s %12s\n", "", "PSS (MB)", "idle CPU (%)"
    printf "%-28s %10s %12s\n", "bare Wails app (peer)", v["peer","pss_mb"], v["peer","idle_cpu_pct"]
    printf "%-28s %10s %12s\n", "peer, same WebKit settings", v["peer_settings","pss_mb"], v["peer_settings","idle_cpu_pct"]
    printf "%-28s %10s %12s\n", "aimonitor, 5 accounts", v["aimonitor","pss_mb"], v["aimonitor","idle_cpu_pct"]
    printf "%-28s %10s\n", "aimonitor after " v["aimonitor_after_events","events"] " events", v["aimonitor_after_events","pss_mb"]
    printf "ratio aimonitor/peer PSS: %.3f\n", v["aimonitor","pss_mb"] / v["peer","pss_mb"]
    printf "ratio aimonitor/(peer, same settings) PSS: %.3f\n", v["aimonitor","pss_mb"] / v["peer_settings","pss_mb"]
    printf "growth after events: %+.1f MB\n", v["aimonitor_after_events","pss_mb"] - v["aimonitor","pss_mb"]
    printf "during events: %s to %s MB; peak of the first half %s MB, of the second half %s MB (%s samples)\n", v["aimonitor_during_events","min_mb"], v["aimonitor_during_events","max_mb"], v["aimonitor_during_events","first_half_peak_mb"], v["aimonitor_during_events","second_half_peak_mb"], v["aimonitor_during_events","samples"]
  }' "$OUT/widget.raw" | tee "$OUT/widget.txt"
