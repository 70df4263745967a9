import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Ties a service the tests started to the life of this process: a tiny shell guard polls both
 * every second and, once this process is gone (a failed run, Ctrl-C, even SIGKILL) while the
 * service still runs, sends the service `signal`. The guard ends by itself when the service does.
 * Returns the child, for chaining.
 */
export function tieToThisProcess<T extends ChildProcess>(child: T, signal: 'TERM' | 'QUIT' = 'TERM'): T {
  if (child.pid === undefined) return child;
  const guard = spawn(
    '/bin/sh',
    [
      '-c',
      'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
        'kill -0 "$1" 2>/dev/null || kill -"$3" "$2" 2>/dev/null',
      'dw-test-guard',
      String(process.pid),
      String(child.pid),
      signal,
    ],
    { stdio: 'ignore', detached: true },
  );
  // The guard must not keep this process alive, nor die with its process group on Ctrl-C.
  guard.unref();
  return child;
}
