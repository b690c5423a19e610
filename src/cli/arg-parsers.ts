/**
 * Argument parsers for commander: each throws commander's InvalidArgumentError so bad input
 * becomes a usage error (exit 2) with credstash's wording where it has one (§3.4).
 */
import { InvalidArgumentError } from 'commander';
import type { EncryptionContext } from '../envelope/keyservice.js';
import { UsageError } from '../errors.js';
import { DIGEST_NAMES } from '../envelope/digests.js';
import { MAX_VERSION_LENGTH } from '../core/versions.js';


/** One `key=value` pair: exactly one '=', non-empty sides (UsageError: parsed inside actions). */
export function parseContextPair(text: string): [string, string] {
  const parts = text.split('=');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new UsageError(`'${text}' is not the form of "key=value"`);
  }
  return [parts[0]!, parts[1]!];
}

/** `key=value ...` → an encryption context; a repeated key is an error. */
export function parseContext(pairs: readonly string[]): EncryptionContext {
  const context: Record<string, string> = {};
  for (const pair of pairs) {
    const [key, value] = parseContextPair(pair);
    if (Object.hasOwn(context, key)) throw new UsageError(`context key '${key}' given twice`);
    // defineProperty, not `context[key] =`: an assignment to '__proto__' is silently dropped, and
    // the secret would be stored without the context the user asked to bind it to.
    Object.defineProperty(context, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return context;
}

/** `-d DIGEST`: one of credstash's names, exact case. */
export function parseDigest(text: string): string {
  if (!(DIGEST_NAMES as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(`invalid choice: '${text}' (choose from ${DIGEST_NAMES.join(', ')})`);
  }
  return text;
}

/** A version given on the command line: digits, or a 19+ character stored form. */
export function parseVersionArg(text: string): string {
  // No stored version can be longer (DynamoDB range-key limit; keystash never writes one).
  if (text.length > MAX_VERSION_LENGTH) throw new InvalidArgumentError(`version is longer than ${MAX_VERSION_LENGTH} characters`);
  if (/^\d+$/.test(text) || (text.length >= 19 && /^[\x21-\x7e]+$/.test(text))) return text;
  throw new InvalidArgumentError(`invalid version '${text}' (use a number such as 3, or the 19-digit stored form)`);
}

/** A positive integer option (concurrency, limits). */
export function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${text}' is not a positive integer`);
  return n;
}
