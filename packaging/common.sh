# shellcheck shell=bash
# common.sh: helpers shared by mkappimage.sh and mkdeb.sh (sourced, not run).

# plain_version v1.2.3-rc.1 → 1.2.3-rc.1 (metadata wants no leading v).
plain_version() { printf '%s\n' "${1#v}"; }

# debian_version maps a `git describe` version onto Debian's ordering:
# v1.2.3 → 1.2.3, v1.2.3-rc.1 → 1.2.3~rc.1 (sorts before 1.2.3),
# v1.2.3-4-gabc1234 → 1.2.3+4.gabc1234 (4 commits after the tag sorts after it),
# v0.1.0-dev → 0.1.0~dev.
debian_version() {
  local v=${1#v} post=
  if [[ $v =~ ^(.+)-([0-9]+)-g([0-9a-f]+)$ ]]; then
    v=${BASH_REMATCH[1]}
    post="+${BASH_REMATCH[2]}.g${BASH_REMATCH[3]}"
  fi
  if [[ $v == *-* ]]; then
    local pre=${v#*-}
    v="${v%%-*}~${pre//-/.}"
  fi
  v="$v$post"
  if ! [[ $v =~ ^[0-9][A-Za-z0-9.+~]*$ ]]; then
    echo "cannot turn version '$1' into a Debian version (got '$v')" >&2
    return 1
  fi
  printf '%s\n' "$v"
}

# release_date: the day of the commit being packaged (reproducible, unlike today).
release_date() { git -C "$1" log -1 --format=%cs 2>/dev/null || date -u +%F; }

# install_cli_docs REPO ROOT WORK: the shell completions and man pages,
# generated from the command tree of the source being packaged
# (tools/clidocs, as make cli-docs does), where Debian's shells and man look
# for them.
install_cli_docs() {
  local repo=$1 root=$2 work=$3 page
  (cd "$repo" && CGO_ENABLED=0 go run ./tools/clidocs "$work") >/dev/null
  install -D -m644 "$work/completions/aimonitor" "$root/usr/share/bash-completion/completions/aimonitor"
  install -D -m644 "$work/completions/_aimonitor" "$root/usr/share/zsh/vendor-completions/_aimonitor"
  install -D -m644 "$work/completions/aimonitor.fish" "$root/usr/share/fish/vendor_completions.d/aimonitor.fish"
  install -d "$root/usr/share/man/man1"
  for page in "$work"/man1/*.1; do
    gzip -9n <"$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
    chmod 644 "$root/usr/share/man/man1/$(basename "$page").gz"
  done
}

# install_share_files ROOT VERSION REPO: lay out /usr/share in ROOT the way
# both the AppImage and the .deb ship it: desktop entry, hicolor icons and
# AppStream metainfo carrying a <release> for VERSION.
install_share_files() {
  local root=$1 version=$2 repo=$3 size
  local plain; plain=$(plain_version "$version")
  install -D -m644 "$repo/build/linux/aimonitor.desktop" "$root/usr/share/applications/aimonitor.desktop"
  for png in "$repo"/build/linux/icons/*x*.png; do
    size=$(basename "$png" .png)
    install -D -m644 "$png" "$root/usr/share/icons/hicolor/$size/apps/aimonitor.png"
  done
  install -D -m644 "$repo/build/appicon.svg" "$root/usr/share/icons/hicolor/scalable/apps/aimonitor.svg"
  install -d "$root/usr/share/metainfo"
  sed "s|</component>|  <releases>\n    <release version=\"$plain\" date=\"$(release_date "$repo")\"/>\n  </releases>\n</component>|" \
    "$repo/build/linux/dev.aimonitor.app.metainfo.xml" >"$root/usr/share/metainfo/dev.aimonitor.app.metainfo.xml"
  chmod 644 "$root/usr/share/metainfo/dev.aimonitor.app.metainfo.xml"
}
