#!/usr/bin/env bash
# System packages Spaces Desktop needs on Debian/Ubuntu: Janus (the SFU), PortAudio (sound),
# xdg-utils to register spaces:// links, the libraries Qt needs without a desktop, a colour emoji font
# for reactions, Chromium for the web player tests, Xvfb for screenshots, iproute2 for test namespaces,
# nftables for packet loss in tests and benchmarks (these kernels have no netem), redis-server and haproxy
# for several backends sharing one Redis behind a load balancer (`serve --redis`, `bench cluster`).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
PACKAGES=(janus libportaudio2 iproute2 nftables util-linux procps xvfb libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-render-util0
  libxcb-image0 libdbus-1-3 libfontconfig1 fonts-dejavu-core fonts-noto-color-emoji
  chromium xdg-utils desktop-file-utils redis-server haproxy)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package starts a system-wide Janus; Spaces runs its own private one instead.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet janus 2>/dev/null; then
  $SUDO systemctl disable --now janus >/dev/null 2>&1 || true
fi
# Likewise Redis and HAProxy: tests and benchmarks start private ones; a deployment configures its own.
for unit in redis-server haproxy; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$unit" 2>/dev/null; then
    $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
  fi
done
