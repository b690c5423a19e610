/**
 * The exit-code table (src/cli/exit-codes.ts) is the only mapping from errors to codes, and the
 * `Exit codes:` line of `keystash --help` is generated from it.
 */
import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_SUMMARY, exitCodeFor, exitCodesHelp } from '../../../src/cli/exit-codes.js';
import type { CliDeps } from '../../../src/cli/deps.js';
import { createProgram } from '../../../src/cli/program.js';
import {
  CancelledError,
  ConfigError,
  DecryptError,
  IntegrityError,
  InternalError,
  KeystashError,
  KmsError,
  PartialFailureError,
  SkippedUnreadableError,
  SecretNotFoundError,
  StoreError,
  UsageError,
  VersionConflictError,
  VersionExistsError,
} from '../../../src/errors.js';
import { memoryIo } from '../../helpers/io.js';

/** A subclass the table does not name: it must still map by its nearest listed ancestor. */
class ThrottledKmsError extends KmsError {}

describe('exitCodeFor', () => {
  it.each<[string, unknown, number]>([
    ['UsageError', new UsageError('bad flag'), EXIT.USAGE],
    ['SecretNotFoundError', new SecretNotFoundError('db.pw'), EXIT.NOT_FOUND],
    ['SecretNotFoundError with a version', new SecretNotFoundError('db.pw', '2'), EXIT.NOT_FOUND],
    ['VersionExistsError', new VersionExistsError('db.pw', '1'), EXIT.VERSION_EXISTS],
    ['VersionConflictError', new VersionConflictError('expected version 1'), EXIT.VERSION_EXISTS],
    ['IntegrityError', new IntegrityError(), EXIT.INTEGRITY],
    ['DecryptError', new DecryptError(), EXIT.DECRYPT],
    ['KmsError', new KmsError('no key', { code: 'kms.notFound' }), EXIT.KMS],
    ['a subclass of KmsError', new ThrottledKmsError('throttled'), EXIT.KMS],
    ['StoreError', new StoreError('no table', { code: 'store.tableMissing' }), EXIT.STORE],
    ['ConfigError', new ConfigError('bad config'), EXIT.CONFIG],
    ['PartialFailureError', new PartialFailureError('1 of 2 failed', [{ name: 'a', error: new KmsError('x') }]), EXIT.PARTIAL],
    ['SkippedUnreadableError', new SkippedUnreadableError('skipped 1', ['a']), EXIT.SKIPPED],
    ['CancelledError', new CancelledError(), EXIT.INTERRUPTED],
    ['InternalError (a bug)', new InternalError('invariant'), EXIT.FAILURE],
    ['a bare KeystashError', new KeystashError('other', { code: 'keystash.error' }), EXIT.FAILURE],
    ['a plain Error', new Error('boom'), EXIT.FAILURE],
    ['a TypeError', new TypeError('x is undefined'), EXIT.FAILURE],
    ['a string', 'thrown text', EXIT.FAILURE],
    ['undefined', undefined, EXIT.FAILURE],
    ['null', null, EXIT.FAILURE],
    ['an object with a KeystashError-like code', { code: 'secret.notFound', message: 'x' }, EXIT.FAILURE],
  ])('%s → its code', (_label, error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });

  it('keeps credstash’s 0 / 1 / 2 and never gives two names one number', () => {
    expect([EXIT.OK, EXIT.FAILURE, EXIT.USAGE]).toEqual([0, 1, 2]);
    const codes = Object.values(EXIT);
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('the exit codes in the help', () => {
  const unused = () => Promise.reject(new Error('not used'));
  const rendered = (): string => {
    const mem = memoryIo();
    const deps: CliDeps = { io: mem.io, open: unused, openKeys: unused, openLocalKms: unused, auditLogPath: () => '/nonexistent' };
    const program = createProgram(deps);
    program.outputHelp();
    return mem.stdout();
  };

  it.each(Object.entries(EXIT))('names %s (%i) with its summary', (name, code) => {
    const summary = EXIT_SUMMARY[name as keyof typeof EXIT];
    const text = rendered().replaceAll('\n', ' ');
    expect(text).toMatch(new RegExp(`(?:Exit codes: |, |\\s)${code} ${summary.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}[,.]`));
  });

  it('keeps the wording of the hand-written line it replaced, in table order', () => {
    expect(exitCodesHelp()).toBe(
      'Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 version exists, 5 integrity,\n' +
        '6 decrypt/context mismatch, 7 KMS, 8 store, 9 configuration, 10 partial bulk failure,\n' +
        '11 unreadable secrets skipped, 130 interrupted, 141 stdout closed.',
    );
    expect(rendered()).toContain(`\n\n${exitCodesHelp()}\nEnvironment: `);
  });

  it('wraps at the given width without splitting an entry', () => {
    for (const width of [20, 40, 60, 88, 200]) {
      const lines = exitCodesHelp(width).split('\n');
      for (const line of lines) expect(line.length <= width || /^(?:Exit codes: )?\d+ [^,]*[,.]$/.test(line)).toBe(true);
      expect(lines.join(' ')).toBe(exitCodesHelp(10_000));
    }
  });
});
