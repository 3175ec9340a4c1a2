#!/usr/bin/env bash
# Usage: source scripts/apt_need.sh; apt_need COMMAND PACKAGE
# Installs Debian's PACKAGE (with sudo when not root) when COMMAND is not on the PATH.
apt_need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "$2" >/dev/null
}
