/**
 * What a test image does when it runs:
 * - healthy: busybox httpd, GET /health -> 200, GET / -> body with the version; exits 0 on SIGTERM
 * - unhealthy: same, but GET /health -> 404
 * - exit: exits at once with code 3
 * - slow: serves GET / at once, GET /health -> 200 only after healthDelaySeconds
 * - ignore-term: healthy, but ignores SIGTERM (docker stop needs its timeout, then SIGKILL)
 * - no-listen: runs, listens on no port, exits 0 on SIGTERM
 * - chatty: prints numbered lines to stdout and stderr, then serves like healthy
 */
export type TestImageBehaviour =
  'healthy' | 'unhealthy' | 'exit' | 'slow' | 'ignore-term' | 'no-listen' | 'chatty';

interface ScriptOptions {
  behaviour: TestImageBehaviour;
  port: number;
  healthDelaySeconds: number;
  chattyLines: number;
}

// PID 1 ignores SIGTERM unless it installs a handler, and sh runs a trap only between commands,
// so every long-running child is started in the background and the shell waits on it.
const serve = [
  'httpd -f -p "${PORT:-PORT_DEFAULT}" -h /www &',
  'child=$!',
  'echo "listening on ${PORT:-PORT_DEFAULT} version ${DW_TEST_VERSION}"',
  'wait "$child"',
];
const stopOnTerm = `trap 'echo "got SIGTERM"; kill "$child" 2>/dev/null; exit 0' TERM INT`;

/** The /app/run.sh of a test image. */
export function behaviourScript(options: ScriptOptions): string {
  const lines = ['#!/bin/sh', ...bodyOf(options)];
  return lines.join('\n').replaceAll('PORT_DEFAULT', String(options.port)) + '\n';
}

function bodyOf({ behaviour, healthDelaySeconds, chattyLines }: ScriptOptions): string[] {
  switch (behaviour) {
    case 'healthy':
    case 'unhealthy':
      return [stopOnTerm, ...serve];
    case 'exit':
      return ['echo "exiting with code 3" >&2', 'exit 3'];
    case 'slow':
      return [
        stopOnTerm,
        `(sleep ${healthDelaySeconds}; echo ok > /www/health; echo "healthy now") &`,
        ...serve,
      ];
    case 'ignore-term':
      return [`trap 'echo "ignoring SIGTERM"' TERM`, ...serve, 'while true; do wait "$child"; done'];
    case 'no-listen':
      return [
        stopOnTerm,
        'echo "running without listening"',
        'sleep 2147483647 &',
        'child=$!',
        'wait "$child"',
      ];
    case 'chatty':
      return [
        stopOnTerm,
        'i=1',
        `while [ "$i" -le ${chattyLines} ]; do echo "stdout line $i"; echo "stderr line $i" >&2; i=$((i + 1)); done`,
        ...serve,
      ];
  }
}
