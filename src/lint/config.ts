// Reads the "lint" part of pgshift.json: { "lint": { "rules": { "drop-table": "off", "rename-column": "error" } } }.
// Other top-level keys belong to other parts of pgshift and are left alone.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../errors';
import { FIXED_RULES, RULES_BY_ID } from './rules';
import { closestRuleId } from './suggest';
import type { LintConfig, Severity } from '../types';

export const CONFIG_FILE = 'pgshift.json';
const SETTINGS = new Set<string>(['error', 'warning', 'off']);

/** The config at `path` (or ./pgshift.json, which may be absent); ConfigError names the file and the fix. */
export function loadLintConfig(path?: string, cwd = process.cwd()): LintConfig {
  const file = resolve(cwd, path ?? CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (path === undefined && code === 'ENOENT') return { rules: {} };
    throw new ConfigError(
      code === 'ENOENT' ? `config file ${file} does not exist: check the path given with --config.` : `config file ${file} cannot be read (${code ?? String(err)}): check its permissions.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid JSON (${(err as Error).message}): fix it, e.g. {"lint": {"rules": {"drop-table": "off"}}}.`);
  }
  return parseLintConfig(json, file);
}

export function parseLintConfig(json: unknown, file: string): LintConfig {
  if (!isObject(json)) throw new ConfigError(`config file ${file} must hold a JSON object, e.g. {"lint": {"rules": {"drop-table": "off"}}}.`);
  const lint = json.lint;
  if (lint === undefined) return { rules: {} };
  if (!isObject(lint)) throw new ConfigError(`${file}: "lint" must be an object, e.g. "lint": {"rules": {"drop-table": "off"}}.`);
  for (const key of Object.keys(lint)) {
    if (key !== 'rules') throw new ConfigError(`${file}: unknown key "lint.${key}". The lint section takes "rules" only.`);
  }
  if (lint.rules === undefined) return { rules: {} };
  if (!isObject(lint.rules)) throw new ConfigError(`${file}: "lint.rules" must be an object of rule id → "error" | "warning" | "off".`);
  const rules: Record<string, Severity | 'off'> = {};
  for (const [id, value] of Object.entries(lint.rules)) {
    if (!RULES_BY_ID.has(id)) {
      const near = closestRuleId(id);
      throw new ConfigError(`${file}: unknown lint rule "${id}" in lint.rules.${near ? ` Did you mean "${near}"?` : ''} The rule ids are listed in docs/rules.md.`);
    }
    if (typeof value !== 'string' || !SETTINGS.has(value)) {
      throw new ConfigError(`${file}: lint.rules["${id}"] is ${JSON.stringify(value)}; use "error", "warning" or "off".`);
    }
    if (FIXED_RULES.has(id)) throw new ConfigError(`${file}: lint.rules["${id}"] cannot be set: it reports SQL that cannot run at all. Remove the entry.`);
    rules[id] = value as Severity | 'off';
  }
  return { rules };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
