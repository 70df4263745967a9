import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { DRILL_APP_ENTRY } from './build-app.js';

/** One JSON log line of the app. */
export type LogLine = { time: string; level: string; msg: string } & Record<string, unknown>;

export interface AppProcessOptions {
  configPath: string;
  env: Record<string, string>;
  /** `pause-after:<phase>` (DOCKER_WATCHER_FAILPOINT). */
  failpoint?: string;
}

/** The real app as a child process: `node main.mjs serve --config FILE`. */
export interface AppProcess {
  url: string;
  pid: number;
  lines: LogLine[];
  stderr(): string;
  /** Resolves with the first log line (past or future) that matches, or rejects after timeoutMs. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  /** Resident set size in kB (/proc/<pid>/status VmRSS). */
  rssKb(): number;
  /** The time of the `listening` log line. */
  listenedAt: string;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts the app and resolves once it logged `listening` and its start-up reconcile ended (the
 * app listens while reconcile runs; `listenedAt` says when it began to answer).
 */
export async function startApp(options: AppProcessOptions, timeoutMs = 30_000): Promise<AppProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [DRILL_APP_ENTRY, 'serve', '--config', options.configPath],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LOG_LEVEL: 'info',
        ...options.env,
        ...(options.failpoint ? { DOCKER_WATCHER_FAILPOINT: options.failpoint } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { time: '', level: 'raw', msg: text };
    }
    lines.push(line);
    for (const waiter of waiters) if (waiter.match(line)) waiter.resolve(line);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );

  const waitForLog = (match: (line: LogLine) => boolean, wait: number) => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = {
        match,
        resolve: (line: LogLine) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`no matching app log line within ${wait} ms; last lines:\n${tail(lines, stderr)}`));
      }, wait);
      waiters.add(waiter);
      void exited.then((code) => {
        if (!waiters.has(waiter)) return;
        clearTimeout(timer);
        waiters.delete(waiter);
        reject(new Error(`the app exited (${code}) before the awaited log line:\n${tail(lines, stderr)}`));
      });
    });
  };

  const [listening] = await Promise.all([
    waitForLog((line) => line.msg === 'listening', timeoutMs),
    waitForLog((line) => line.msg === 'reconciled' || line.msg.startsWith('reconcile failed'), timeoutMs),
  ]).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    url: String(listening.url),
    listenedAt: listening.time,
    pid: child.pid!,
    lines,
    stderr: () => stderr,
    waitForLog,
    rssKb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    },
    exited,
    kill: (signal) => void child.kill(signal),
  };
}

/** SIGKILL (if still running) and wait for the exit. */
export async function killApp(app: AppProcess | undefined): Promise<void> {
  if (!app) return;
  app.kill('SIGKILL');
  await app.exited;
}

function tail(lines: LogLine[], stderr: string): string {
  const last = lines.slice(-15).map((line) => JSON.stringify(line));
  return [...last, stderr.trim() ? `stderr: ${stderr.trim().slice(-2000)}` : ''].join('\n');
}
