import { parseArgs } from 'node:util';
import type { CommandIo } from '../cli.js';
import { stageDomain } from '../../src/config/domains.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { LoadedConfig } from '../../src/config/loaded-config.js';
import { configWarnings } from '../../src/config/config-warnings.js';
import { secretRefs } from '../../src/config/secret-refs.js';
import { ConfigError, errorMessage, type ConfigIssue } from '../../src/core/errors.js';

const USAGE = `Usage: docker-watcher check-config [--require-secrets] FILE
Lists every problem of a config file as FILE:LINE  key.path  message (exit 1), or what a valid
file sets up (exit 0).

  --require-secrets      also check what start-up checks: every named variable set, every
                         env_file readable
  -h, --help             this text
`;

function policy(stage: LoadedConfig['config']['projects'][string]['stages'][string]): string {
  const parts = [stage.auto_deploy ? 'auto-deploy' : 'on approval'];
  if (stage.confirm) parts.push('confirm');
  if (stage.promote_from) parts.push(`promoted from ${stage.promote_from}`);
  return parts.join(', ');
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** What a valid file sets up: projects, stages with pattern, policy and domain, and the variables it names. */
export function configSummary(file: string, loaded: LoadedConfig, env: NodeJS.ProcessEnv): string {
  const { config } = loaded;
  const projects = Object.entries(config.projects);
  const stageCount = projects.reduce((sum, [, project]) => sum + Object.keys(project.stages).length, 0);
  const lines = [`${file} is valid: ${projects.length} project(s), ${stageCount} stage(s)`];
  for (const [name, project] of projects) {
    const registry = project.registry ? `, registry ${project.registry}` : '';
    lines.push('', `${name}  image ${project.image}, port ${project.port}${registry}`);
    const rows = Object.entries(project.stages).map(([stageName, stage]) => [
      `  ${stageName}`,
      stage.tag_pattern,
      policy(stage),
      stageDomain(config, name, stageName),
    ]);
    lines.push(...table([['  stage', 'tags', 'policy', 'domain'], ...rows]));
  }
  const names = [...new Set(secretRefs(config).map((ref) => ref.name))];
  const unset = names.filter((name) => !env[name]);
  lines.push('', `Environment variables named: ${names.join(', ')}`);
  if (unset.length > 0) lines.push(`Not set here (needed when the app starts): ${unset.join(', ')}`);
  const warnings = configWarnings(config, loaded.dir);
  if (warnings.length > 0) {
    lines.push('', `${warnings.length} warning(s):`, ...warnings.map((w) => `  ${w.path}  ${w.message}`));
  }
  return lines.join('\n') + '\n';
}

function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  return `${where}  ${issue.path || '(file)'}  ${issue.message}`;
}

/**
 * `docker-watcher check-config [--require-secrets] FILE`: prints every problem as
 * `FILE:LINE  path  message` and exits 1, or a summary and exits 0. `--require-secrets` also
 * checks what start-up checks: every named variable set, every env_file readable.
 */
export async function checkConfigCommand(args: string[], io: CommandIo): Promise<number> {
  let file: string | undefined;
  let requireSecrets: boolean;
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { 'require-secrets': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) return (io.stdout(USAGE), 0);
    [file] = positionals;
    requireSecrets = values['require-secrets'] === true;
    if (positionals.length !== 1) throw new Error('expected exactly one FILE');
  } catch (error) {
    io.stderr(`check-config: ${errorMessage(error)}\n${USAGE}`);
    return 2;
  }
  if (file === undefined) return 2;

  try {
    const loaded = loadConfig(file, io.env, { requireSecrets });
    io.stdout(configSummary(file, loaded, io.env));
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const lines = error.issues.map((issue) => formatIssue(file, issue));
    io.stdout(`${lines.join('\n')}\n\n${error.issues.length} problem(s) in ${file}\n`);
    return 1;
  }
}
