/**
 * Import files, pure (no I/O, no store): the formats `keystash import` and `putall` read (JSON,
 * dotenv, YAML), detecting which one a file is in, and parsing a whole file into validated
 * name/value pairs — or refusing it with a UsageError that never quotes a value.
 */
import { createRequire } from 'node:module';
import { UsageError } from '../../errors.js';
import { parseDotenv } from '../../format/parse-dotenv.js';
import { quoteName } from '../../format/types.js';
import { validateSecretName } from '../secrets/names.js';

/** The formats an import file may be in. */
export const IMPORT_FORMATS = ['json', 'dotenv', 'yaml'] as const;
/** One of {@link IMPORT_FORMATS}. */
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The one tag a value may carry: `!!str` (explicitly a string). */
const STR_TAG = 'tag:yaml.org,2002:str';

/**
 * Parse YAML strictly, with the yaml package loaded on first YAML import only (a static import put
 * the whole package, ~260 KB, on every command's start-up path). Nothing is logged (`silent`), and
 * any error or warning, a second document, a tag other than `!!str`, an anchor, an alias or a
 * collection used as a key is refused: each is a way for the file to mean something other than
 * what it shows (`db.pw: !Passw0rd` is an unknown tag, which the parser turns into an empty
 * string with a warning quoting the line). Messages name the problem code and the line/column,
 * never the library's message, which quotes the file (secret values).
 */
function parseYaml(text: string, source: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const lines = new yaml.LineCounter();
  const docs = Array.from(yaml.parseAllDocuments(text, { uniqueKeys: true, schema: 'core', logLevel: 'silent', prettyErrors: false, lineCounter: lines }));
  const refuse = (offset: number | undefined, what: string): never => {
    const at = offset === undefined ? undefined : lines.linePos(offset);
    throw new UsageError(`${source}: ${at ? `line ${at.line} column ${at.col}: ` : ''}not valid YAML (${what}); nothing was imported`);
  };
  if (docs.length > 1) refuse(docs[1]?.range[0], 'MULTIPLE_DOCS');
  const doc = docs[0];
  if (doc === undefined) return null;
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) refuse(problem.pos[0], /^[A-Z_]+$/.test(problem.code) ? problem.code : 'error');
  yaml.visit(doc, (_key, node) => {
    if (yaml.isAlias(node)) refuse(node.range?.[0], 'an alias; write the value out');
    if (yaml.isPair(node)) {
      if (yaml.isCollection(node.key)) refuse(node.key.range?.[0], 'a collection as a key');
      return;
    }
    const n = node as { anchor?: string; tag?: string; range?: [number, number, number] | null };
    if (n.anchor) refuse(n.range?.[0], 'an anchor');
    if (n.tag !== undefined && n.tag !== STR_TAG) refuse(n.range?.[0], 'a tag other than !!str; quote the value');
  });
  return doc.toJS();
}

/** The format of a file from its name (`.json`, `.env`, `.yaml`/`.yml`), else by sniffing the text. */
export function detectFormat(text: string, fileName?: string): ImportFormat {
  const lower = (fileName ?? '').toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.env') || /(^|\/)\.env(\.[^/]*)?$/.test(lower)) return 'dotenv';
  const first = text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
  if (first.trim().startsWith('{')) return 'json';
  if (/^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*=/.test(first)) return 'dotenv';
  return 'yaml';
}

/** Parse a whole import file into name/value pairs; UsageError (with a line when known) otherwise. */
export function parseImport(text: string, format: ImportFormat, source = 'input'): Array<[string, string]> {
  // A leading byte order mark (Windows editors, PowerShell) is not part of the first name.
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const pairs = format === 'dotenv' ? parseDotenv(body, source) : objectPairs(parseStructured(body, format, source), source);
  for (const [name] of pairs) {
    try {
      validateSecretName(name);
    } catch (error) {
      throw new UsageError(`${source}: ${(error as Error).message}; nothing was imported`, { cause: error });
    }
  }
  return pairs;
}

function parseStructured(text: string, format: 'json' | 'yaml', source: string): unknown {
  if (format === 'yaml') return parseYaml(text, source);
  try {
    const data: unknown = JSON.parse(text);
    refuseDuplicateJsonKey(text, source);
    return data;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const where = jsonErrorLine(text, (error as Error).message);
    const message = safeJsonMessage((error as Error).message.split('\n')[0] ?? '');
    // No cause kept: V8's JSON.parse message quotes the file's text, which holds secret values.
    throw new UsageError(`${source}: ${where ? `line ${where}: ` : ''}not valid JSON (${message}); nothing was imported`);
  }
}

/**
 * A JSON.parse message reduced to what quotes nothing: V8 quotes the text around an unexpected
 * token (`Unexpected token 'h', ..."{"pw": hunter2"... is not valid JSON`; older versions
 * `Unexpected token h in JSON at position 7`), and that text is a secret value. Only the
 * position is kept.
 */
function safeJsonMessage(message: string): string {
  if (message === 'Unexpected end of JSON input') return message;
  const position = /at position (\d+)/.exec(message)?.[1];
  return position === undefined ? 'unexpected character' : `unexpected input at position ${position}`;
}

/**
 * JSON.parse keeps the last of two equal keys silently; a name given twice in an import file is
 * refused instead, as the YAML and dotenv readers do. `text` is valid JSON: only the keys of the
 * top-level object are compared.
 */
function refuseDuplicateJsonKey(text: string, source: string): void {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    else if (ch === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      let next = i + 1;
      while (text[next] === ' ' || text[next] === '\t' || text[next] === '\n' || text[next] === '\r') next++;
      if (depth !== 1 || text[next] !== ':') continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (seen.has(key)) {
        const line = text.slice(0, start).split('\n').length;
        throw new UsageError(`${source}: line ${line}: the name ${JSON.stringify(key)} is given twice; nothing was imported`);
      }
      seen.add(key);
    }
  }
}

/** The line of a JSON.parse error: Node ≥ 22 names it, Node 20 gives a character position. */
function jsonErrorLine(text: string, message: string): number | undefined {
  const line = /\(line (\d+) column \d+\)/.exec(message)?.[1];
  if (line !== undefined) return Number(line);
  const position = /at position (\d+)/.exec(message)?.[1];
  return position === undefined ? undefined : text.slice(0, Number(position)).split('\n').length;
}

function objectPairs(data: unknown, source: string): Array<[string, string]> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`${source}: expected an object of "name": "value" pairs; nothing was imported`);
  }
  const pairs = Object.entries(data as Record<string, unknown>);
  const bad = pairs.find(([, value]) => typeof value !== 'string');
  if (bad) throw new UsageError(`${source}: the value of ${quoteName(bad[0])} is not a string (quote it); nothing was imported`);
  return pairs as Array<[string, string]>;
}
