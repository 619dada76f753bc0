#!/usr/bin/env bash
# The widget's first scan of a large Claude Code history: peak RSS of the
# widget's own process (aimonitor-widget: Go, SQLite, GTK and the WebKit
# client libraries; WebKit's web and network processes are separate) while
# its token ingester reads CORPUS for the first time, against the same
# widget with only the demo's few transcripts, measured the same way in the
# same run. Both run `aimonitor demo` (simulator, demo accounts) in the
# sandbox on a private Xvfb + openbox; the history is CORPUS/projects,
# hard-linked into the sandbox's ~/.claude/projects (nothing is copied or
# changed). It reports the process's own memory (RssAnon, sampled four
# times a second: Go heap, SQLite, GTK's heap) and its peak RSS with the
# shared libraries' pages (VmHWM), which WebKitGTK and GTK alone put at
# about 160 MB whatever the widget does.
#
# Usage: bench/tokens/widget.sh CORPUS   (after `make build`; run.sh calls it
#        for its large corpus). Prints one line per run and the increase.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
CORPUS=$(realpath "$1")
[ -x build/bin/aimonitor ] && [ -x build/bin/aimonitor-widget ] || {
	echo "widget.sh: run make build first" >&2
	exit 1
}

# One run, inside the sandbox and display: start the demo, find the widget's
# process, wait until its CPU time has stopped growing for 3 s (the first
# scan is over and the window idles), print its peak RSS (VmHWM) and CPU.
one() { # name corpus-or-empty
	local name=$1 corpus=$2 wid pid=
	if [ -n "$corpus" ]; then
		mkdir -p "$HOME/.claude"
		cp -al "$corpus/projects" "$HOME/.claude/projects"
	fi
	setsid build/bin/aimonitor demo >"$HOME/demo.log" 2>&1 &
	local grp=$!
	for _ in $(seq 600); do
		wid=$(xdotool search --onlyvisible --name '^aimonitor$' 2>/dev/null | head -1 || true)
		[ -n "$wid" ] && pid=$(xprop -id "$wid" _NET_WM_PID | awk '{print $3}')
		[ -n "$pid" ] && break
		sleep 0.2
	done
	[ -n "$pid" ] || {
		echo "widget.sh: no widget window" >&2
		cat "$HOME/demo.log" >&2
		return 1
	}
	local start=$SECONDS last=-1 now quiet=0 anon maxanon=0 i
	while [ $((SECONDS - start)) -lt 900 ]; do
		# RssAnon (the process's own memory: Go heap, SQLite, GTK's heap;
		# not the shared libraries' pages) four times a second.
		for i in 1 2 3 4; do
			anon=$(awk '/^RssAnon:/ {print $2}' /proc/"$pid"/status)
			[ "$anon" -gt "$maxanon" ] && maxanon=$anon
			sleep 0.25
		done
		now=$(awk '{print $14 + $15}' /proc/"$pid"/stat)
		# Less than 5 ticks (50 ms) of CPU in a second, three times running.
		if [ "$last" -ge 0 ] && [ $((now - last)) -lt 5 ]; then quiet=$((quiet + 1)); else quiet=0; fi
		[ $quiet -ge 3 ] && break
		last=$now
	done
	local hwm cpu
	hwm=$(awk '/^VmHWM:/ {print $2}' /proc/"$pid"/status)
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' /proc/"$pid"/stat)
	echo "$name peak_rss_kb=$hwm peak_anon_kb=$maxanon cpu_s=$cpu settled_s=$((SECONDS - start))"
	kill -- -"$grp" 2>/dev/null || true
	wait "$grp" 2>/dev/null || true
	for _ in $(seq 100); do [ -d /proc/"$pid" ] || break; sleep 0.1; done
	rm -rf "$HOME/.claude/projects"
}

if [ "${2:-}" = --one ]; then # inside the sandbox and display
	one "$3" "${4:-}"
	exit
fi
SELF=bench/tokens/widget.sh
RAW=$(AIMONITOR_FORCE_XVFB=1 scripts/with-display sh -c \
	"scripts/sandbox $SELF '$CORPUS' --one without && scripts/sandbox $SELF '$CORPUS' --one with '$CORPUS'")
echo "$RAW" >&2
awk -v mb="$(du -sm "$CORPUS/projects" | cut -f1)" '
	{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1]] = kv[2] } }
	END {
		printf "widget (aimonitor-widget process) during its first scan of %d MB (scan CPU %.1f s), against the widget without it:\n", mb, v["with", "cpu_s"] - v["without", "cpu_s"]
		printf "  own memory (peak RssAnon): %.1f MB, without %.1f MB (+%.1f MB); bound: 100 MB\n",
			v["with", "peak_anon_kb"] / 1024, v["without", "peak_anon_kb"] / 1024, (v["with", "peak_anon_kb"] - v["without", "peak_anon_kb"]) / 1024
		printf "  peak RSS with the shared libraries (VmHWM): %.1f MB, without %.1f MB (+%.1f MB)\n",
			v["with", "peak_rss_kb"] / 1024, v["without", "peak_rss_kb"] / 1024, (v["with", "peak_rss_kb"] - v["without", "peak_rss_kb"]) / 1024
	}' <<<"$RAW"
