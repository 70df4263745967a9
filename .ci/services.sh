#!/usr/bin/env bash
# Installs (Debian) the packages the tests need and starts the Docker engine, the one service
# they expect to be running. The registries and nginx the tests use are started by the test run
# itself (test/helpers/global-setup.ts), on free ports, and end with it. Idempotent: a running
# engine is left alone. Used by .ci/run and by developers (`sudo bash .ci/services.sh`).
set -euo pipefail

need_pkgs=()
command -v dockerd >/dev/null || need_pkgs+=(docker.io)
command -v docker-registry >/dev/null || need_pkgs+=(docker-registry)
[ -x /bin/busybox ] && busybox --list 2>/dev/null | grep -qx httpd || need_pkgs+=(busybox-static)
command -v nginx >/dev/null || need_pkgs+=(nginx-light)
command -v htpasswd >/dev/null || need_pkgs+=(apache2-utils)
command -v openssl >/dev/null || need_pkgs+=(openssl)
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

docker version --format 'services: docker engine {{.Server.Version}} (API {{.Server.APIVersion}})'
