#!/usr/bin/env bash
# mktarball.sh CLI CORE VERSION OUTPUT: the command line alone, for machines
# that will never have a display (servers, dev boxes over SSH): one directory,
# aimonitor-VERSION-linux-amd64/, holding the two static binaries (aimonitor,
# the launcher, and aimonitor-core beside it, which it runs), the files in
# TARBALL_FILES below, the shell completions (completions/bash/aimonitor,
# completions/zsh/_aimonitor, completions/fish/aimonitor.fish) and the man
# pages (man/man1/), both written by tools/clidocs from the same source. Reproducible: sorted, root-owned, the commit's time.
set -euo pipefail
cli=$1 core=$2 version=$3 out=$4
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Shipped beside the binary when present in the repository.
TARBALL_FILES=(README.md LICENSE)

for b in "$cli" "$core"; do
  if ! file -b "$b" | grep -q 'statically linked'; then
    echo "mktarball: $b is not statically linked; build it with make build" >&2
    exit 1
  fi
done
name=$(basename "$out" .tar.gz)
work=$(mktemp -d "${TMPDIR:-/tmp}/aimonitor-tarball.XXXXXX")
trap 'rm -rf "$work"' EXIT
install -D -m755 "$cli" "$work/$name/aimonitor"
install -D -m755 "$core" "$work/$name/aimonitor-core"
for f in "${TARBALL_FILES[@]}"; do
  if [ -f "$repo/$f" ]; then
    install -m644 "$repo/$f" "$work/$name/$f"
  else
    echo "mktarball: $f is missing from the repository; the tarball goes without it" >&2
  fi
done
(cd "$repo" && CGO_ENABLED=0 go run ./tools/clidocs "$work/cli-docs") >/dev/null
install -D -m644 "$work/cli-docs/completions/aimonitor" "$work/$name/completions/bash/aimonitor"
install -D -m644 "$work/cli-docs/completions/_aimonitor" "$work/$name/completions/zsh/_aimonitor"
install -D -m644 "$work/cli-docs/completions/aimonitor.fish" "$work/$name/completions/fish/aimonitor.fish"
install -d "$work/$name/man/man1"
install -m644 "$work"/cli-docs/man1/*.1 "$work/$name/man/man1/"
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
mkdir -p "$(dirname "$out")"
tar -C "$work" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -cf - "$name" | gzip -n9 >"$out.tmp"
mv -f "$out.tmp" "$out"
echo "built $out ($(du -h "$out" | cut -f1), $(tar -tzf "$out" | grep -vc '/$') files)"
