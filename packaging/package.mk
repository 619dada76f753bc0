# Packaging (issue 10): the AppImage and the .deb, built offline from Debian
# packages and our own code, the command line's tarball, and the macOS .app
# recipe. Each holds the static command line (the launcher aimonitor and
# aimonitor-core) and, but for the tarball, the widget beside it. Included by
# the top-level Makefile, whose VERSION, BIN, CORE, CLI, WIDGET, WAILS,
# LDFLAGS, SUDO and build rules it uses. See
# packaging/README.md.

DEB_VERSION  := $(shell bash -c 'source packaging/common.sh && debian_version "$(VERSION)"' 2>/dev/null || echo invalid)
APPIMAGE     := build/bin/aimonitor-$(VERSION)-x86_64.AppImage
# The same widget linked against WebKitGTK 4.1 (libsoup 3), for
# distributions that no longer ship 4.0 (Debian 13, Ubuntu 24.04 and later).
WIDGET41     := build/bin/aimonitor-widget-webkit41
APPIMAGE41   := build/bin/aimonitor-$(VERSION)-webkit41-x86_64.AppImage
DEB          := build/bin/aimonitor_$(DEB_VERSION)_amd64.deb
TARBALL      := build/bin/aimonitor-$(VERSION)-linux-amd64.tar.gz
RUNTIME      := build/bin/appimage-runtime
ICON_SIZES   := 16 22 24 32 48 64 128 256 512
LINUX_ASSETS := $(wildcard build/linux/* build/linux/icons/*) build/appicon.svg packaging/AppRun packaging/common.sh

# Debian packages for packaging and its test: SquashFS and FUSE (runtime
# build and run), dpkg-shlibdeps, validators for the desktop entry and the
# AppStream file, rsvg-convert for the icons.
PKG_APT := gcc libc6-dev libsquashfuse-dev libfuse3-dev zlib1g-dev liblz4-dev liblzo2-dev libzstd-dev liblzma-dev \
	squashfs-tools fuse3 dpkg-dev desktop-file-utils appstream librsvg2-bin util-linux libwebkit2gtk-4.1-dev

RUNTIME_LIBS := -lsquashfuse_ll -lfuse3 -lzstd -lz -llz4 -llzo2 -llzma -lpthread

.PHONY: package package-test package-macos setup-package icons

setup-package:
	@missing=$$(for p in $(PKG_APT); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "setup-package: installing $$(echo $$missing | wc -w) Debian package(s): $$missing"; \
	  $(SUDO) apt-get update -qq >/dev/null; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The runtime: static (static-pie) so it needs nothing from the host but the
# kernel's FUSE and, for ordinary users, fusermount3. The AppImage magic
# "AI\2" goes into the ELF identification padding at offset 8. glibc warns
# that libfuse's unused module loader calls dlopen; the log is shown only on
# failure.
$(RUNTIME): packaging/runtime/runtime.c
	@mkdir -p $(@D)
	@gcc -std=gnu11 -O2 -Wall -Wextra -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -static-pie -s \
	  -o $@.tmp $< $(RUNTIME_LIBS) >/tmp/aimonitor-runtime-build.log 2>&1 || { cat /tmp/aimonitor-runtime-build.log; exit 1; }
	@printf 'AI\002' | dd of=$@.tmp bs=1 seek=8 conv=notrunc status=none
	@mv -f $@.tmp $@

$(APPIMAGE): $(CLI) $(WIDGET) $(RUNTIME) $(LINUX_ASSETS) packaging/mkappimage.sh
	@packaging/mkappimage.sh $(BIN) $(CORE) $(WIDGET) $(RUNTIME) $(VERSION) $@

$(WIDGET41): $(GO_SRC) frontend/dist/index.html
	@$(WAILS) build -s -skipbindings -tags webkit2_41 -ldflags "$(LDFLAGS)" -o $(notdir $@) >/tmp/aimonitor-build41.log 2>&1 || { cat /tmp/aimonitor-build41.log; exit 1; }
	@echo "built $@ $(VERSION) (WebKitGTK 4.1)"

$(APPIMAGE41): $(CLI) $(WIDGET41) $(RUNTIME) $(LINUX_ASSETS) packaging/mkappimage.sh
	@packaging/mkappimage.sh $(BIN) $(CORE) $(WIDGET41) $(RUNTIME) $(VERSION) $@

$(DEB): $(CLI) $(WIDGET) $(LINUX_ASSETS) packaging/mkdeb.sh
	@packaging/mkdeb.sh $(BIN) $(CORE) $(WIDGET) $(VERSION) $@

$(TARBALL): $(CLI) README.md $(wildcard LICENSE) packaging/mktarball.sh
	@packaging/mktarball.sh $(BIN) $(CORE) $(VERSION) $@

# A binary built before the last tag still carries the old version: rebuild
# it rather than package a wrong `aimonitor version`.
package: setup setup-package ## build the AppImages (WebKitGTK 4.0 and 4.1), the .deb and the command line's tarball into build/bin
	@[ "$(DEB_VERSION)" != invalid ] || { echo "package: cannot turn version '$(VERSION)' into a Debian version" >&2; exit 1; }
	@for b in $(CLI) $(WIDGET) $(WIDGET41); do $$b version 2>/dev/null | grep -qF ' $(VERSION) ' || rm -f $$b; done
	@$(MAKE) -f $(firstword $(MAKEFILE_LIST)) $(CLI) $(WIDGET) $(WIDGET41) $(APPIMAGE) $(APPIMAGE41) $(DEB) $(TARBALL)

package-test: package ## build the packages, then test them (AppImage runs, FUSE, Xvfb window, dpkg -i/-r, tarball)
	@packaging/test.sh $(APPIMAGE) $(DEB) $(VERSION) $(RUNTIME) $(TARBALL) $(APPIMAGE41)

# Wails only builds darwin apps on a Mac: elsewhere `wails build -platform
# darwin/...` prints a warning and exits 0 having built nothing, so this
# target refuses to start instead.
package-macos: ## build, version-stamp and sign build/bin/aimonitor.app (macOS only)
	@if [ "$$(uname -s)" != Darwin ]; then \
	  echo "package-macos: this must run on macOS (with Xcode's command-line tools): Wails cannot build a" >&2; \
	  echo "  darwin app on $$(uname -s), it would silently build nothing. See docs/install.md." >&2; \
	  exit 1; \
	fi
	@$(MAKE) frontend/dist/index.html
	@packaging/macos.sh "$(VERSION)" "$(LDFLAGS)"

# Regenerate the committed PNG icons from the SVG source.
icons: setup-package ## render build/appicon.png (1024 px, the macOS icon) and build/linux/icons/*.png from build/appicon.svg
	@for s in $(ICON_SIZES); do rsvg-convert -w $$s -h $$s build/appicon.svg -o build/linux/icons/$${s}x$${s}.png; done
	@rsvg-convert -w 1024 -h 1024 build/appicon.svg -o build/appicon.png # macOS wants 1024 px for its .icns
