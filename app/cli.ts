import { checkConfigCommand } from './commands/check-config.js';
import { deployCommand } from './commands/deploy.js';
import { healthcheckCommand } from './commands/healthcheck.js';
import { logsCommand } from './commands/logs.js';
import { promoteCommand } from './commands/promote.js';
import { schemaCommand } from './commands/schema.js';
import { serveCommand } from './commands/serve.js';
import { teardownCommand } from './commands/teardown.js';

/** What a command may touch of the process: streams and environment, injected for tests. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Asks a yes/no question on the terminal; absent when there is none (CI, a pipe). */
  confirm?(question: string): Promise<boolean>;
}

type Command = (args: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  serve: {
    run: serveCommand,
    summary: 'serve [--config FILE]        run the app (API, dashboard, deploy engine)',
  },
  'check-config': {
    run: checkConfigCommand,
    summary: 'check-config FILE            validate a config file, list every problem',
  },
  schema: { run: schemaCommand, summary: 'schema                       print the config JSON Schema' },
  deploy: {
    run: deployCommand,
    summary: 'deploy --project P --tag T [--stage S] [--digest D]   send a signed deploy request, follow it',
  },
  promote: {
    run: promoteCommand,
    summary: 'promote PROJECT STAGE        deploy what is live in the promote_from stage, by digest',
  },
  logs: {
    run: logsCommand,
    summary: "logs PROJECT STAGE [--follow] [--tail N] [--since T]   print a stage's output",
  },
  healthcheck: {
    run: healthcheckCommand,
    summary: 'healthcheck [--config FILE]  exit 0 when the running app answers /healthz',
  },
  teardown: {
    run: teardownCommand,
    summary: "teardown PROJECT STAGE [--orphan] [--yes]   remove a stage's containers and proxy host",
  },
};

function usage(): string {
  return ['Usage: docker-watcher <command> [options]', '', 'Commands:']
    .concat(Object.values(COMMANDS).map((c) => `  ${c.summary}`))
    .concat('', 'docker-watcher <command> --help shows every option of a command.')
    .join('\n');
}

/** Runs one CLI invocation and returns its exit code. */
export async function runCli(argv: string[], io: CommandIo): Promise<number> {
  const [verb, ...args] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout(usage() + '\n');
    return verb === undefined ? 2 : 0;
  }
  const command = COMMANDS[verb];
  if (!command) {
    io.stderr(`docker-watcher: unknown command "${verb}"\n\n${usage()}\n`);
    return 2;
  }
  return command.run(args, io);
}
