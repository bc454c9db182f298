#!/bin/sh
# Installs connwatch as a systemd user service for the current user:
#   install/install.sh [--dry-run] [--shims]
# It runs `connwatch install` with the node that will run the service ($NODE, else the first
# `node` on PATH), which must be Node 20.19 or newer; the unit records that node's absolute path.
# Run it as yourself, not with sudo: the service is per user.
set -eu

here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(dirname -- "$here")
agent="$root/dist/agent/cli/main.js"

node=${NODE:-$(command -v node || true)}
if [ -z "$node" ] || [ ! -x "$node" ]; then
  echo "install.sh: node not found; install Node.js 20.19 or newer, or set NODE=/path/to/node" >&2
  exit 1
fi
if ! "$node" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "install.sh: $node is Node $("$node" -p process.versions.node); connwatch needs 20.19 or newer (set NODE=/path/to/node)" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ]; then
  echo "install.sh: run this as $SUDO_USER, not with sudo: the service runs in your own session" >&2
  exit 1
fi
if [ ! -f "$agent" ]; then
  echo "install.sh: $agent is missing; building it (npm run build)" >&2
  (cd "$root" && npm run build)
fi
exec "$node" "$agent" install "$@"
