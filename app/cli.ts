/** What a command may touch of the process: streams and environment, injected for tests. */
export interface CommandIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Asks a yes/no question on the terminal; absent when there is none (CI, a pipe). */
  confirm?(question: string): Promise<boolean>;
}

type Command = (args: string[], io: CommandIo) => Promise<number>;

// Each command is loaded when run: `serve` does not load the deploy client's HTTP stack, and a
// quick `check-config` does not load the Docker client.

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  serve: {
    run: async (args, io) => (await import('./commands/serve.js')).serveCommand(args, io),
    summary: 'serve [--config FILE] [--port N]   run the app (API, dashboard, deploy engine)',
  },
  'check-config': {
    run: async (args, io) => (await import('./commands/check-config.js')).checkConfigCommand(args, io),
    summary: 'check-config FILE            validate a config file, list every problem',
  },
  schema: {
    run: async (args, io) => (await import('./commands/schema.js')).schemaCommand(args, io),
    summary: 'schema                       print the config JSON Schema',
  },
  deploy: {
    run: async (args, io) => (await import('./commands/deploy.js')).deployCommand(args, io),
    summary: 'deploy --project P --tag T [--stage S] [--digest D]   send a signed deploy request, follow it',
  },
  promote: {
    run: async (args, io) => (await import('./commands/promote.js')).promoteCommand(args, io),
    summary: 'promote PROJECT STAGE        deploy what is live in the promote_from stage, by digest',
  },
  logs: {
    run: async (args, io) => (await import('./commands/logs.js')).logsCommand(args, io),
    summary: "logs PROJECT STAGE [--follow] [--tail N] [--since T]   print a stage's output",
  },
  healthcheck: {
    run: async (args, io) => (await import('./commands/healthcheck.js')).healthcheckCommand(args, io),
    summary: 'healthcheck [--config FILE]  exit 0 when the running app answers /healthz',
  },
  teardown: {
    run: async (args, io) => (await import('./commands/teardown.js')).teardownCommand(args, io),
    summary: "teardown PROJECT STAGE [--orphan] [--yes]   remove a stage's containers and proxy host",
  },
  token: {
    run: async (args, io) => (await import('./commands/token.js')).tokenCommand(args, io),
    summary: 'token [--config FILE]        print the dashboard/API token (set or generated)',
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
