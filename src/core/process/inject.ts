/**
 * Templates with secret references (`keystash inject`, like `op inject`): every
 * `{{ keystash:NAME }}` or `{{ keystash:NAME@VERSION }}` (spaces inside the braces optional) is
 * replaced by the secret's value; all other text, other `{{ … }}` included, is kept byte for byte.
 * A version suffix is recognised only when it is all digits, so a name may itself contain `@`
 * (as for `exec --env`). A reference must close on its own line.
 */
import { isSetupError, KeystashError, missingOf, notFoundError, PartialFailureError, UsageError } from '../../errors.js';
import type { EncryptionContext } from '../../envelope/keyservice.js';
import { mapSettled } from '../secrets/concurrency.js';
import type { KeystashReader } from '../secrets/parts.js';

/** One reference found in a template. */
interface TemplateReference {
  /** 1-based line of the opening `{{`. */
  line: number;
  name: string;
  version?: string | undefined;
  /** Offsets of the whole `{{ … }}` in the template text. */
  start: number;
  end: number;
}

const OPENER = /\{\{[ \t]*keystash:/g;

/**
 * Every reference of `text`, in order. UsageError naming the line for a `{{ keystash:` with no
 * `}}` before the end of its line, or a reference with no name or with spaces inside the name.
 */
export function parseTemplate(text: string): TemplateReference[] {
  const references: TemplateReference[] = [];
  for (const match of text.matchAll(OPENER)) {
    const start = match.index;
    const line = lineAt(text, start);
    const bodyStart = start + match[0].length;
    const lineEnd = nextLineBreak(text, bodyStart);
    const close = text.indexOf('}}', bodyStart);
    if (close < 0 || close > lineEnd) throw new UsageError(`line ${line}: unterminated reference: "{{ keystash:" without "}}" on the same line`);
    const body = text.slice(bodyStart, close).replace(/[ \t]+$/, '');
    if (body === '' || /\s/.test(body)) throw new UsageError(`line ${line}: malformed reference: expected {{ keystash:NAME }} or {{ keystash:NAME@VERSION }}`);
    const versioned = /^(.+)@(\d+)$/.exec(body);
    references.push({ line, name: versioned?.[1] ?? body, version: versioned?.[2], start, end: close + 2 });
  }
  return references;
}

export interface InjectOptions {
  context?: EncryptionContext | undefined;
}

/**
 * `text` with every reference replaced. Each distinct NAME@VERSION is read once, all of them in
 * one concurrent pass (the keystash's concurrency limit); any failure throws before anything is
 * returned: one failure as its own error class with `line N:` in front of its message, several as
 * a PartialFailureError listing each line.
 */
export async function renderTemplate(keystash: Pick<KeystashReader, 'get' | 'keys' | 'concurrency'>, text: string, options: InjectOptions = {}): Promise<string> {
  const references = parseTemplate(text);
  const keyOf = (r: TemplateReference) => `${r.name}\0${r.version ?? ''}`;
  const unique = new Map<string, TemplateReference>();
  for (const r of references) if (!unique.has(keyOf(r))) unique.set(keyOf(r), r);
  const read = () =>
    mapSettled([...unique.values()], keystash.concurrency, (r) => keystash.get(r.name, { version: r.version, context: options.context }), { stopOn: isSetupError });
  // One audit record per key for the whole template (a local KMS), as for getall.
  const names = [...unique.values()].map((r) => r.name);
  const settled = keystash.keys?.bulk ? await keystash.keys.bulk('inject', names, read) : await read();
  const values = new Map<string, string>();
  const failures: Array<{ name: string; error: KeystashError }> = [];
  for (const outcome of settled) {
    if (outcome.ok) values.set(keyOf(outcome.item), outcome.value);
    else if (outcome.error instanceof KeystashError) failures.push({ name: `line ${outcome.item.line}`, error: outcome.error });
    else throw outcome.error;
  }
  // References to secrets that do not exist: one error naming all of them (as exec and export).
  const notFound = failures.flatMap((f) => missingOf(f.error));
  if (failures.length > 1 && notFound.length === failures.length) throw notFoundError(notFound);
  if (failures.length === 1) {
    const [{ name, error }] = failures as [{ name: string; error: KeystashError }];
    error.message = `${name}: ${error.message}`;
    throw error;
  }
  if (failures.length > 1) {
    throw new PartialFailureError(`${failures.length} references could not be read: ${failures.map((f) => `${f.name}: ${f.error.message}`).join('; ')}`, failures);
  }
  let out = '';
  let at = 0;
  for (const r of references) {
    out += text.slice(at, r.start) + (values.get(keyOf(r)) ?? '');
    at = r.end;
  }
  return out + text.slice(at);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function nextLineBreak(text: string, from: number): number {
  const lf = text.indexOf('\n', from);
  return lf < 0 ? text.length : lf;
}
