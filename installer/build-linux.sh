#!/usr/bin/env bash
# Build the frozen Linux app (PyInstaller, one folder) and a .deb that installs it.
#
#   installer/build-linux.sh               # bundle + .deb
#   installer/build-linux.sh --bundle-only # just build/dist/softphone/
#
# Results:
#   build/dist/softphone/softphone              the frozen app (runs without Python)
#   build/softphone_<version>-1_<arch>.deb      /opt/softphone + /usr/bin/softphone, desktop
#                                               entry with tel:/sip:/callto: handlers, icons
#
# Environment: PYTHON (default .venv/bin/python, needs the [test] extra for PyInstaller),
# BUILD_DIR (default build/; PyInstaller's work dir there is reused, so a rebuild is faster),
# DEB_COMPRESSION (xz | zstd | gzip | none; default xz).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-$root/.venv/bin/python}"
build="${BUILD_DIR:-$root/build}"
compression="${DEB_COMPRESSION:-xz}"
bundle_only=0
[[ "${1:-}" == "--bundle-only" ]] && bundle_only=1

step() { printf '\n== %s\n' "$*"; }
mkdir -p "$build"

step "translations (.ts -> .qm)"
"$python" resources/translations/update_translations.py --compile

step "PyInstaller"
started=$(date +%s)
"$python" -m PyInstaller --noconfirm --log-level WARN \
    --distpath "$build/dist" --workpath "$build/pyinstaller" installer/softphone.spec
bundle="$build/dist/softphone"
echo "bundle: $bundle ($(du -sh "$bundle" | cut -f1), $(( $(date +%s) - started )) s)"
"$bundle/softphone" --version

[[ $bundle_only == 1 ]] && exit 0

step "Debian package"
version="$("$python" -c 'from softphone import __version__; print(__version__)')"
arch="$(dpkg --print-architecture)"
name="softphone_${version}-1_${arch}"
pkg="$build/deb/$name"
rm -rf "$pkg"
mkdir -p "$pkg/DEBIAN" "$pkg/opt" "$pkg/usr/bin" "$pkg/usr/share/applications" \
    "$pkg/usr/share/metainfo" "$pkg/usr/share/doc/softphone"
cp -a "$bundle" "$pkg/opt/softphone"
ln -s /opt/softphone/softphone "$pkg/usr/bin/softphone"
install -m 0644 resources/desktop/softphone.desktop "$pkg/usr/share/applications/"
install -m 0644 resources/desktop/softphone.metainfo.xml "$pkg/usr/share/metainfo/"
for png in resources/icons/softphone-*.png; do
    size="${png##*-}"; size="${size%.png}"
    install -D -m 0644 "$png" "$pkg/usr/share/icons/hicolor/${size}x${size}/apps/softphone.png"
done
install -D -m 0644 resources/icons/softphone.svg \
    "$pkg/usr/share/icons/hicolor/scalable/apps/softphone.svg"
cat > "$pkg/usr/share/doc/softphone/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: softphone
Source: the softphone project

Files: *
License: GPL-2.0-or-later
 On Debian systems the full text of the GNU General Public License version 2 is in
 /usr/share/common-licenses/GPL-2.
 .
 The bundle under /opt/softphone also contains Python, Qt (LGPL-3.0), PySide6 (LGPL-3.0),
 PJSIP (GPL-2.0-or-later), SQLAlchemy, Alembic (MIT) and other libraries under their own
 licenses; see /opt/softphone/_internal/*.dist-info.
EOF
chmod -R u+rwX,go+rX,go-w "$pkg"

depends="$("$python" installer/linux/deb_depends.py "$bundle")"
installed_kb="$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)"
cat > "$pkg/DEBIAN/control" <<EOF
Package: softphone
Version: ${version}-1
Architecture: ${arch}
Maintainer: softphone developers <softphone@localhost>
Installed-Size: ${installed_kb}
Depends: ${depends}
Recommends: xdg-utils
Suggests: gnome-keyring | kwalletmanager
Section: comm
Priority: optional
Description: SIP softphone with a built-in contact book
 Make and take phone calls over SIP, with a PBX or directly on the local
 network, and see who is calling: caller cards, call history, notes and
 follow-ups come from an embedded mini-CRM (SQLite or PostgreSQL).
 .
 Clicking a tel:, sip: or callto: link dials it. This package ships a
 self-contained build under /opt/softphone.
EOF
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z \
    | xargs -0 md5sum | sed 's| \./| |' > DEBIAN/md5sums)

started=$(date +%s)
dpkg-deb --root-owner-group -Z"$compression" --build "$pkg" "$build/$name.deb" >/dev/null
echo "package: $build/$name.deb ($(du -h "$build/$name.deb" | cut -f1), $(( $(date +%s) - started )) s)"
