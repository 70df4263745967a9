import type { CommandIo } from '../cli.js';
import { configJsonSchemaText } from '../../src/config/json-schema.js';

/**
 * `docker-watcher schema`: prints the config's JSON Schema, as committed in
 * docker-watcher.schema.json (`npm run schema` rewrites that file).
 */
export async function schemaCommand(args: string[], io: CommandIo): Promise<number> {
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    io.stdout(
      'Usage: docker-watcher schema > docker-watcher.schema.json\nPrints the JSON Schema of the config file (for editors); takes no options.\n',
    );
    return 0;
  }
  if (args.length > 0) {
    io.stderr(
      `schema: takes no arguments, found ${JSON.stringify(args.join(' '))}\nUsage: docker-watcher schema > docker-watcher.schema.json\n`,
    );
    return 2;
  }
  io.stdout(configJsonSchemaText());
  return 0;
}
