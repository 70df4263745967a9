#!/usr/bin/env bash
# Installs (Debian) and starts what the tests need: Docker engine, two local registries
# (127.0.0.1:5000 open, 127.0.0.1:5001 with htpasswd auth: user "dw" password "dw-secret"),
# nginx and chromium. Idempotent: running services are left alone. Used by .ci/run and by
# developers (`bash .ci/services.sh`).
set -euo pipefail

need_pkgs=()
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
command -v docker-registry >/dev/null || need_pkgs+=(docker-registry)
[ -x /bin/busybox ] && busybox --list 2>/dev/null | grep -qx httpd || need_pkgs+=(busybox-static)
command -v nginx >/dev/null || need_pkgs+=(nginx-light)
command -v htpasswd >/dev/null || need_pkgs+=(apache2-utils)
command -v chromium >/dev/null || need_pkgs+=(chromium)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || need_pkgs+=(docker-compose)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "services: installing ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "services: starting dockerd"
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start:"; tail -n 30 /tmp/dockerd.log; exit 1; }
fi

start_registry() { # port dir [auth]
  local port=$1 dir=$2 auth=${3:-}
  if curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then return; fi
  mkdir -p "$dir/data"
  {
    echo "version: 0.1"
    echo "log: { level: warn }"
    echo "storage: { filesystem: { rootdirectory: $dir/data }, delete: { enabled: true } }"
    echo "http: { addr: 127.0.0.1:$port }"
    if [ -n "$auth" ]; then
      htpasswd -Bbn dw dw-secret >"$dir/htpasswd"
      echo "auth: { htpasswd: { realm: docker-watcher-test, path: $dir/htpasswd } }"
    fi
  } >"$dir/config.yml"
  nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  for _ in $(seq 1 30); do
    curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
    sleep 0.5
  done
  curl -s -o /dev/null "http://127.0.0.1:$port/v2/" || { echo "registry on $port did not start"; cat "$dir/registry.log"; exit 1; }
  echo "services: registry on 127.0.0.1:$port${auth:+ (htpasswd)}"
}
start_registry 5000 /tmp/dw-registry-open
start_registry 5001 /tmp/dw-registry-auth auth
docker version --format 'services: docker engine {{.Server.Version}} (API {{.Server.APIVersion}})'
