#!/usr/bin/env bash
# mkdeb.sh CLI CORE WIDGET VERSION OUTPUT: build the Debian package —
# /usr/bin/aimonitor (the static launcher, on PATH), the rest of the static
# command line beside it as /usr/bin/aimonitor-core, the widget as
# /usr/bin/aimonitor-widget, desktop entry, hicolor icons, AppStream
# metainfo, shell completions (bash, zsh, fish) and man pages — with Depends
# computed by dpkg-shlibdeps from the libraries the widget really links (the
# command-line binaries link none).
set -euo pipefail
cli=$1 core=$2 widget=$3 version=$4 out=$5
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=packaging/common.sh
source "$repo/packaging/common.sh"
deb_version=$(debian_version "$version")
maintainer=${DEB_MAINTAINER:-aimonitor contributors <maintainers@aimonitor.invalid>}

work=$(mktemp -d "${TMPDIR:-/tmp}/aimonitor-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

install -D -m755 "$cli" "$root/usr/bin/aimonitor"
install -D -m755 "$core" "$root/usr/bin/aimonitor-core"
install -D -m755 "$widget" "$root/usr/bin/aimonitor-widget"
install_share_files "$root" "$version" "$repo"
install_cli_docs "$repo" "$root" "$work/cli-docs"

# The copyright file in Debian's machine-readable format, its licence text
# taken from LICENSE so the two cannot drift.
install -d "$root/usr/share/doc/aimonitor"
{
  cat <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: aimonitor
Source: https://github.com/aimonitor/aimonitor

Files: *
Copyright: 2026 aimonitor contributors
License: MIT
Comment: The binary also contains the Go modules and JavaScript packages it is
 built from, each under its own licence (BSD, MIT, Apache-2.0, ISC);
 \`go version -m /usr/bin/aimonitor-core\` lists the Go modules and their versions.

License: MIT
COPYRIGHT
  # Debian's form: each line indented by one space, an empty line as " .".
  sed -e '1,/^Copyright/d' -e 's/^$/./' -e 's/^/ /' "$repo/LICENSE" | sed '1{/^ \.$/d}'
} >"$root/usr/share/doc/aimonitor/copyright"
chmod 644 "$root/usr/share/doc/aimonitor/copyright"

# dpkg-shlibdeps wants a debian/control beside it naming the package.
mkdir -p "$work/debian"
printf 'Source: aimonitor\n\nPackage: aimonitor\nArchitecture: amd64\n' >"$work/debian/control"
(cd "$work" && dpkg-shlibdeps -O -e root/usr/bin/aimonitor-widget) >"$work/shlibs" 2>"$work/shlibs.log" ||
  { cat "$work/shlibs.log" >&2; exit 1; }
depends=$(sed -n 's/^shlibs:Depends=//p' "$work/shlibs")
if [ -z "$depends" ]; then
  echo "mkdeb: dpkg-shlibdeps found no dependencies for $widget" >&2
  exit 1
fi

mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: aimonitor
Version: $deb_version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $(du -sk "$root/usr" | cut -f1)
Depends: $depends
Section: utils
Priority: optional
Homepage: https://github.com/aimonitor/aimonitor
Description: watch and switch between several Claude subscriptions
 aimonitor is an always-on-top widget, a command-line tool and a background
 service for people who run Claude Code on more than one Claude subscription.
 It shows each account's usage windows, switches the login Claude Code uses
 and can swap accounts automatically before one reaches its limit.
 .
 Login tokens are kept in the system keyring (Secret Service) only.
CONTROL

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out.tmp" >/dev/null
mv -f "$out.tmp" "$out"
echo "built $out ($(du -h "$out" | cut -f1); Depends: $depends)"
