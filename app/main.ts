#!/usr/bin/env node
import { runCli } from './cli.js';

// Thin entry point: everything else is in the commands, which take their I/O as parameters.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
});
