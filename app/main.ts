#!/usr/bin/env node
import { isatty } from 'node:tty';
import { runCli } from './cli.js';

/** How long a finished command's process may linger for its output to drain before it exits. */
const EXIT_GRACE_MS = 500;

// Thin entry point: everything else is in the commands, which take their I/O as parameters.
// isatty(0), not process.stdin.isTTY: reading process.stdin builds the stream, and with it
// fs/promises and readline, which serve never uses.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  ...(isatty(0) ? { confirm: askOnTerminal } : {}),
});
// The command is done (serve: after `stopped`, every loop of ours closed). A timer a library
// still holds, such as Octokit's retry limiter, must not keep a stopped app alive.
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();

/** The terminal prompt of `teardown`: readline is loaded here, when it asks, not by every command. */
async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
