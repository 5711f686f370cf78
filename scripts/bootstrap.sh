#!/usr/bin/env bash
# Sets up everything softphone needs on Debian/Ubuntu: system packages (when root or with sudo)
# and a virtual environment in .venv with the pinned Python dependencies.
#   scripts/bootstrap.sh app    -> what the app needs to run
#   scripts/bootstrap.sh test   -> also the real peers and servers the test suite drives
#   scripts/bootstrap.sh bench  -> test, plus the peers and tools the benchmarks measure beside
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
profile="${1:-app}"

# gcc, libc6-dev, python3-dev: the package build compiles the call-audio C (softphone/sip/audio)
# libopus0: the Opus codec loads it at the first call
app_packages=(python3 python3-venv gcc libc6-dev python3-dev libportaudio2 libopus0 libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0
  libfontconfig1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
  libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0)
# slapd, ldap-utils: the LDAP directory the directory tests start (own config, never the system's)
# nftables, coturn, dnsmasq-base: the network lab's NAT/loss rules, its TURN server and DNS
# (tests/integration/network; without them those tests were skipped on a fresh machine)
# dunst, xdg-desktop-portal(-gtk), dconf-service: a desktop's notifications and light/dark
# setting for the reminder and colour-scheme tests (tests/ui/test_tasks_and_reminders.py,
# test_look.py)
test_packages=(espeak-ng kamailio kamailio-tls-modules kamailio-presence-modules openssl baresip-core linphone-cli jackd2 sox postgresql xvfb xauth iproute2 xdotool
  trayer x11-utils dbus-daemon libglib2.0-bin desktop-file-utils slapd ldap-utils
  nftables coturn dnsmasq-base dunst xdg-desktop-portal xdg-desktop-portal-gtk dconf-service)
# bench: the desktop peers timed beside softphone, an X observer's tools, a D-Bus session;
# espeak-ng speaks the listening benchmark's sentences (bench/bench_voice.py), nftables drops
# its packets
bench_packages=(linphone-desktop twinkle xdotool x11-utils tcpdump dbus-daemon espeak-ng nftables)

packages=("${app_packages[@]}")
case "$profile" in
  test) packages+=("${test_packages[@]}") ;;
  bench) packages+=("${test_packages[@]}" "${bench_packages[@]}") ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else sudo="none"; fi
  if [ "$sudo" = none ]; then
    echo "bootstrap: these Debian packages are missing and I cannot install them without root:" >&2
    echo "  sudo apt-get install ${missing[*]}" >&2
  else
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    # jackd2 asks whether to enable realtime limits; answer no so the install is unattended.
    echo "jackd2 jackd/tweak_rt_limits boolean false" | $sudo debconf-set-selections
    # slapd: no system directory is configured (nor started); tests run their own
    echo "slapd slapd/no_configuration boolean true" | $sudo debconf-set-selections
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# The package build compiles the C extensions (setup.py, softphone/sip/audio/native_build.py):
# a changed C source or header reinstalls, so an editable install never runs a stale module.
sources="$(cat pyproject.toml setup.py softphone/*/*/*_build.py softphone/*/*/*.[ch] 2>/dev/null | sha1sum | cut -c1-12)"
stamp=".venv/.installed-$sources-$profile"
if [ ! -f "$stamp" ]; then
  # A module compiled in place by an older checkout (the bootstrap once built
  # _native.cpython-3XX-*.so itself) would be imported before the package build's abi3 one.
  rm -f softphone/sip/audio/_*.cpython-*.so
  .venv/bin/python -m pip install -q --upgrade pip
  case "$profile" in test) extra="[test]" ;; bench) extra="[test,bench]" ;; *) extra="" ;; esac
  .venv/bin/python -m pip install -q -e ".$extra"
  touch "$stamp"
fi
