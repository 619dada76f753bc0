#!/usr/bin/env bash
# Token accounting benchmark: `aimonitor tokens --json` against
# `ccusage daily --json --offline -z UTC` (npm ccusage@20.0.24, its native
# linux binary) on the same generated ~300 MB corpus of Claude Code
# transcripts. It reports, from the same run:
#   - cold time: ours on an empty data directory (reads and records everything)
#   - warm time: ours again with nothing changed
#   - ccusage's time (it has no cache: every run reads everything)
#   - peak RSS of each (/usr/bin/time)
#   - whether the totals are identical (bench/tokens/compare)
# Medians of RUNS rounds; each round reads the corpus once first, so both
# tools find it in the page cache.
#
# The CLI wiring of `aimonitor tokens` may not exist yet, so this builds
# bench/tokens/aimon-tokens, which runs the very same cobra command
# (backend/cli, cmd_tokens.go) without the desktop parts.
#
# Usage: bench/tokens/run.sh            (SIZE_MB=300 RUNS=7 by default)
# Output goes to bench/out/tokens (git-ignored); nothing outside the
# repository is touched: HOME points at an empty directory there, so neither
# tool sees a real ~/.claude.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

SIZE_MB=${SIZE_MB:-300}
RUNS=${RUNS:-7}
OUT=bench/out/tokens
CORPUS=$OUT/corpus-${SIZE_MB}mb
CC_DIR=.cache/ccusage
CC_BIN=$CC_DIR/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage
mkdir -p "$OUT/home"

log() { printf '%s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
	log "installing GNU time (for peak RSS)"
	SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
	$SUDO apt-get install -y -qq time >/dev/null
fi
if [ ! -f "$CC_BIN" ]; then
	log "installing ccusage@20.0.24 into $CC_DIR"
	npm install --prefix "$CC_DIR" --no-audit --no-fund --loglevel=error ccusage@20.0.24 >/dev/null
fi
chmod +x "$CC_BIN" # npm leaves the native binary without its exec bit
log "building"
go build -o "$OUT/gen" ./bench/tokens/gen
go build -o "$OUT/aimon-tokens" ./bench/tokens/aimon-tokens
go build -o "$OUT/compare" ./bench/tokens/compare

# --- corpus ------------------------------------------------------------------
if [ ! -f "$CORPUS/.complete" ]; then
	log "generating a ${SIZE_MB} MB corpus in $CORPUS"
	"$OUT/gen" -out "$CORPUS" -size $((SIZE_MB << 20))
	touch "$CORPUS/.complete"
fi

# --- runs --------------------------------------------------------------------
HOME_DIR=$PWD/$OUT/home
DATA=$PWD/$OUT/data
# Both tools see the same environment: HOME is an empty directory, the
# corpus is CLAUDE_CONFIG_DIR, and our data directory is under $OUT.
export HOME="$HOME_DIR" CLAUDE_CONFIG_DIR="$PWD/$CORPUS" AIMONITOR_DATA_DIR="$DATA"
export AIMONITOR_CONFIG="$PWD/$OUT/config.yaml" XDG_STATE_HOME="$HOME_DIR/state"
OURS=("$PWD/$OUT/aimon-tokens" --json --tz UTC)
THEIRS=("$PWD/$CC_BIN" daily --json --offline -z UTC)
warm_cache() { find "$CORPUS" -name '*.jsonl' -exec cat {} + >/dev/null; }
# elapsed microseconds of one run, output discarded
usec() {
	local s e
	s=$(date +%s%N)
	"$@" >/dev/null
	e=$(date +%s%N)
	echo $(((e - s) / 1000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
spread() { sort -n | awk '{a[NR]=$1} END {printf "%.1f-%.1f", a[1] / 1000, a[NR] / 1000}'; }
rss_kb() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }

log "checking totals"
rm -rf "$DATA"
"${OURS[@]}" >"$OUT/ours.json"
"${THEIRS[@]}" >"$OUT/ccusage.json"
"$OUT/compare" "$OUT/ours.json" "$OUT/ccusage.json" | tee "$OUT/compare.txt"

log "timing ($RUNS rounds)"
: >"$OUT/cc.us"
: >"$OUT/cold.us"
: >"$OUT/warm.us"
for i in $(seq "$RUNS"); do
	warm_cache
	usec "${THEIRS[@]}" >>"$OUT/cc.us"
	rm -rf "$DATA"
	warm_cache
	usec "${OURS[@]}" >>"$OUT/cold.us"
	usec "${OURS[@]}" >/dev/null # the first warm run may still settle the database
	usec "${OURS[@]}" >>"$OUT/warm.us"
done

log "peak RSS"
warm_cache
RSS_CC=$(rss_kb "${THEIRS[@]}")
rm -rf "$DATA"
RSS_COLD=$(rss_kb "${OURS[@]}")
RSS_WARM=$(rss_kb "${OURS[@]}")

CC=$(median <"$OUT/cc.us")
COLD=$(median <"$OUT/cold.us")
WARM=$(median <"$OUT/warm.us")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
ms() { awk -v a="$1" 'BEGIN {printf "%.1f", a / 1000}'; }
mb() { awk -v a="$1" 'BEGIN {printf "%.1f", a / 1024}'; }
BYTES=$(du -sb "$CORPUS" | cut -f1)
FILES=$(find "$CORPUS" -name '*.jsonl' | wc -l)

{
	echo "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(uname -sr)"
	echo "corpus: $(mb $((BYTES / 1024))) MB in $FILES files ($CORPUS)"
	echo "runs: $RUNS rounds, medians; corpus in the page cache"
	printf '%-26s %10s %14s %12s %10s\n' "" "time (ms)" "min-max (ms)" "vs ccusage" "RSS (MB)"
	printf '%-26s %10s %14s %12s %10s\n' "ccusage daily (native)" "$(ms "$CC")" "$(spread <"$OUT/cc.us")" "1.000" "$(mb "$RSS_CC")"
	printf '%-26s %10s %14s %12s %10s\n' "aimonitor tokens, cold" "$(ms "$COLD")" "$(spread <"$OUT/cold.us")" "$(ratio "$COLD" "$CC")" "$(mb "$RSS_COLD")"
	printf '%-26s %10s %14s %12s %10s\n' "aimonitor tokens, warm" "$(ms "$WARM")" "$(spread <"$OUT/warm.us")" "$(ratio "$WARM" "$CC")" "$(mb "$RSS_WARM")"
	echo "targets: cold <= 0.7, warm <= 0.05, RSS <= 100 MB"
	echo "totals: $(cat "$OUT/compare.txt")"
} | tee "$OUT/result.txt"
