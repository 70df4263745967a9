import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { parseEnvFile } from './env-file.js';
import type { LoadedConfig } from './loaded-config.js';
import { bestEffortConfig } from './best-effort-config.js';
import { configSchema, type Config } from './schema.js';
import { secretRefs } from './secret-refs.js';
import { validateConfig } from './validate-config.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';
import { zodIssuesToRaw, type RawIssue } from './zod-issues.js';

export interface LoadConfigOptions {
  /**
   * Check what the app needs at start-up besides a valid file: every variable named by a `*_env`
   * key is set (global.secret_env and global.api_token_env included, since the app serves), and
   * every env_file exists and parses. `check-config` leaves this off so a file can be checked on
   * a machine without the secrets.
   */
  requireSecrets?: boolean;
  /** The file's text, when it was already read (tests, stdin); `path` still sets `dir`. */
  text?: string;
  /**
   * Called once with the valid config, before the start-up checks: returns the environment they
   * check and take the secrets from (the zero-set-up start fills in the credentials it generated),
   * so the file is read and parsed once.
   */
  fillEnv?: (loaded: Pick<LoadedConfig, 'config' | 'dir'>, env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
}

function startUpIssues(config: Config, dir: string, env: NodeJS.ProcessEnv): RawIssue[] {
  const issues: RawIssue[] = secretRefs(config)
    .filter((ref) => !env[ref.name])
    .map((ref) => ({
      path: ref.path,
      message: `environment variable ${ref.name} (named by ${ref.path.join('.')}) is not set; set it before starting docker-watcher`,
    }));
  for (const [name, project] of Object.entries(config.projects)) {
    if (project.env_file === undefined) continue;
    const file = resolve(dir, project.env_file);
    const path = ['projects', name, 'env_file'];
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      issues.push({
        path,
        message: `env_file ${file} cannot be read (${code}); create it or remove env_file`,
      });
      continue;
    }
    for (const problem of parseEnvFile(text).problems) {
      issues.push({ path, message: `${file}:${problem.line}: ${problem.message}` });
    }
  }
  return issues;
}

// A cross-field check is unreliable where an object had to be dropped (its project, or a
// registry/forge that a project refers to).
function touchesDamaged(issue: RawIssue, damaged: readonly PropertyKey[][]): boolean {
  const [section, name] = issue.path;
  return damaged.some(([dSection, dName, dStages]) => {
    if (dSection === 'projects') {
      if (section !== 'projects' || (dName !== undefined && dName !== name)) return false;
      // A dropped stage only makes promote_from and "no stages" checks of its project unreliable.
      return dStages === undefined || ['promote_from', 'stages'].includes(String(issue.path.at(-1)));
    }
    if (dSection === 'registries' || dSection === 'forges') {
      return dName === undefined || issue.message.includes(`"${String(dName)}"`);
    }
    return dSection === section;
  });
}

function sortByLine(source: YamlSource, issues: RawIssue[]): RawIssue[] {
  const line = (issue: RawIssue) => source.lineOf(issue.path) ?? 0;
  return issues.toSorted((a, b) => line(a) - line(b));
}

function withLines(source: YamlSource, issues: RawIssue[]): ConfigIssue[] {
  return issues.map((issue) => {
    const line = source.lineOf(issue.path);
    const path = issue.path.map(String).join('.');
    return line === undefined ? { path, message: issue.message } : { path, line, message: issue.message };
  });
}

function fail(file: string, issues: ConfigIssue[]): never {
  const lines = issues.map(
    (issue) => `  ${file}:${issue.line ?? '-'}  ${issue.path || '(file)'}  ${issue.message}`,
  );
  throw new ConfigError(`${file} has ${issues.length} problem(s):\n${lines.join('\n')}`, issues);
}

/**
 * Reads, parses and validates a config file, collecting every problem (YAML syntax, schema,
 * cross-field; with `requireSecrets` also unset variables and unreadable env files) with its key
 * path and line. Secret values go into `secrets`, keyed by variable name, and never into a message.
 *
 * @throws ConfigError with all issues when anything is wrong
 */
export function loadConfig(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadConfigOptions = {},
): LoadedConfig {
  const file = resolve(path);
  const dir = dirname(file);
  let text = options.text;
  if (text === undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      fail(file, [
        { path: '', message: `cannot read the config file (${code}); check the path or pass --config FILE` },
      ]);
    }
  }

  const source = parseYamlSource(text);
  if (source.issues.length > 0) fail(file, source.issues);
  const data = source.data ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    fail(file, [
      {
        path: '',
        line: 1,
        message:
          'expected a mapping with global, registries, forges and projects, found a single value or list',
      },
    ]);
  }

  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const issues = zodIssuesToRaw(parsed.error.issues, data, configSchema);
    const { config, damaged } = bestEffortConfig(data);
    if (config) issues.push(...validateConfig(config).filter((issue) => !touchesDamaged(issue, damaged)));
    fail(file, withLines(source, sortByLine(source, issues)));
  }
  const config = parsed.data;

  const issues = validateConfig(config);
  const filled = issues.length === 0 && options.fillEnv ? options.fillEnv({ config, dir }, env) : env;
  if (options.requireSecrets) issues.push(...startUpIssues(config, dir, filled));
  if (issues.length > 0) fail(file, withLines(source, sortByLine(source, issues)));

  const secrets: Record<string, string> = {};
  for (const { name } of secretRefs(config)) {
    const value = filled[name];
    if (value) secrets[name] = value;
  }
  return { config, file, dir, secrets };
}
