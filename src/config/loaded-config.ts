import type { Config } from './schema.js';

/** A validated config file and what it refers to outside itself. */
export interface LoadedConfig {
  config: Config;
  /** Absolute path of the file it was read from. */
  file: string;
  /** Directory relative paths in the config (env_file, volumes, data_dir) are resolved against. */
  dir: string;
  /** Values of the environment variables the config names in `*_env` keys, by variable name. */
  secrets: Readonly<Record<string, string>>;
}
