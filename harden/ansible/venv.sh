#!/bin/bash
# Creates the Python venv for harden/ansible and its tests (`make deps` runs it; docs/harden.md "Ansible"):
#   harden/ansible/venv.sh VENV_DIR
# with the system python3 (Debian 12: 3.11, 13: 3.13; needs python3-venv), the pinned packages of
# requirements.txt + constraints.txt, and community.general + ansible.posix taken from the pinned `ansible` wheel.
#
# Why not `pip install ansible`: that meta-package unpacks ~100 collections (~500 MB) of which the playbook
# uses one; Ansible Galaxy (ansible-galaxy collection install) is a second registry that a CI machine may not
# reach. The `ansible` wheel from PyPI holds the exact community.general release that `ansible` pins, so this
# extracts only the collections used (community.general, ansible.posix) from it into the venv's site-packages, where ansible-core
# finds collections on sys.path. Re-running is safe: a finished venv carries .installed and is left alone.
set -euo pipefail
VENV=${1:?usage: venv.sh VENV_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
ANSIBLE_WHEEL_VERSION=11.13.0   # ships community.general 10.7.x for ansible-core 2.18
# community.general: the Redfish modules; ansible.posix: the json stdout callback bm-harden parses.
COLLECTIONS="ansible_collections/community/general/ ansible_collections/ansible/posix/"

die() { echo "venv.sh: $*" >&2; exit 1; }
[ -e "$VENV/.installed" ] && exit 0
command -v "$PYTHON" >/dev/null || die "$PYTHON not found (install python3: make deps as root)"
"$PYTHON" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))' \
  || die "$("$PYTHON" -V) is outside what ansible-core 2.18 supports on the controller (3.11-3.13)"
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || die "python3-venv is missing: run make deps as root (it installs it)"

started=$(date +%s)
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" -c "$HERE/constraints.txt" \
  || die "pip could not install $HERE/requirements.txt"
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
"$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$wheels" "ansible==$ANSIBLE_WHEEL_VERSION" \
  || die "pip could not download ansible==$ANSIBLE_WHEEL_VERSION"
# shellcheck disable=SC2086 # COLLECTIONS is a list
"$VENV/bin/python" - "$wheels"/ansible-"$ANSIBLE_WHEEL_VERSION"-*.whl $COLLECTIONS <<'PY'
import sys, sysconfig, zipfile
wheel, prefixes = sys.argv[1], sys.argv[2:]
site = sysconfig.get_paths()["purelib"]
with zipfile.ZipFile(wheel) as z:
    for prefix in prefixes:
        members = [m for m in z.namelist() if m.startswith(prefix)]
        if not members:
            sys.exit(f"{wheel} has no {prefix}")
        z.extractall(site, members)
PY
"$VENV/bin/ansible-doc" -t module community.general.redfish_config >/dev/null && "$VENV/bin/ansible-doc" -t callback ansible.posix.json >/dev/null \
  || die "ansible-core does not find community.general.redfish_config or ansible.posix.json in $VENV"
touch "$VENV/.installed"
echo "venv $VENV ready in $(( $(date +%s) - started )) s, $(du -sh "$VENV" | cut -f1)"
