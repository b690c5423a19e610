/**
 * The output formats by name (the `--format` choices). credstash offered json, yaml, csv and
 * dotenv (docs/format.md §3.8); shell, github-env, github-output, k8s-secret and docker (alias
 * env-no-quotes) are keystash additions.
 * Every renderer is pure (github-env draws random delimiters) and throws only UsageError.
 */
import { renderCsv } from './csv.js';
import { renderDockerEnv } from './docker-env.js';
import { renderDotenv } from './dotenv.js';
import { renderGithubEnv, renderGithubOutput } from './github-env.js';
import { renderJson } from './json.js';
import { renderK8sSecret } from './k8s-secret.js';
import { renderShell } from './shell.js';
import type { Renderer } from './types.js';
import { renderYaml } from './yaml.js';

export type { FormatOptions, Renderer, SecretMap } from './types.js';
export { renderGithubMask } from './github-env.js';
export { toVarName, toVarNames } from './varname.js';

/** Format name → renderer. */
export const FORMATS = {
  json: renderJson,
  yaml: renderYaml,
  csv: renderCsv,
  dotenv: renderDotenv,
  shell: renderShell,
  'github-env': (secrets, options) => renderGithubEnv(secrets, options),
  'github-output': (secrets, options) => renderGithubOutput(secrets, options),
  'k8s-secret': renderK8sSecret,
  docker: renderDockerEnv,
  'env-no-quotes': renderDockerEnv,
} as const satisfies Readonly<Record<string, Renderer>>;

/** One of the keys of {@link FORMATS}. */
export type FormatName = keyof typeof FORMATS;

/** The format names, in the order help text should list them. */
export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];
