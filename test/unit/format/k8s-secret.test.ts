import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { renderK8sSecret } from '../../../src/format/k8s-secret.js';
import { trickyPairs } from '../../helpers/tricky-values.js';
import { pyyamlLoad } from './consumers.js';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  type: string;
  data: Record<string, string>;
}

describe('renderK8sSecret', () => {
  it('renders an Opaque Secret with sorted base64 data', () => {
    expect(
      renderK8sSecret(
        [
          ['b.key', 'two'],
          ['A-key', 'h\u00e9'],
        ],
        { k8sName: 'app-secrets' },
      ),
    ).toBe('apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secrets\ntype: Opaque\ndata:\n  A-key: aMOp\n  b.key: dHdv\n');
    expect(renderK8sSecret([], { k8sName: 'empty' })).toBe('apiVersion: v1\nkind: Secret\nmetadata:\n  name: empty\ntype: Opaque\ndata: {}\n');
  });

  it('carries every tricky value byte for byte (yaml.parse and PyYAML)', () => {
    const pairs = trickyPairs();
    const text = renderK8sSecret(pairs, { k8sName: 'tricky' });
    const decode = (manifest: Manifest): Record<string, string> =>
      Object.fromEntries(Object.entries(manifest.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    const manifest = parse(text) as Manifest;
    expect(manifest.kind).toBe('Secret');
    expect(decode(manifest)).toEqual(Object.fromEntries(pairs));
    const viaPython = pyyamlLoad(text) as Manifest | undefined;
    if (viaPython !== undefined) expect(decode(viaPython)).toEqual(Object.fromEntries(pairs));
  });

  it('keeps digit-only keys and all-digit base64 values strings (YAML 1.1 and 1.2)', () => {
    // 'Ӎ4' is U+04CD then '4': its UTF-8 bytes d3 8d 34 encode to the base64 text 0400.
    const text = renderK8sSecret([['123', '\u04cd4']], { k8sName: 'n' });
    for (const version of ['1.1', '1.2'] as const) {
      expect((parse(text, { version }) as Manifest).data).toEqual({ '123': '0400' });
    }
  });

  it.each([['db/password'], ['has space'], ['caf\u00e9'], [''], ['.'], ['..'], ['..x'], ['x'.repeat(254)]])('refuses the data key %j', (name) => {
    let caught: unknown;
    try {
      renderK8sSecret([[name, 'v']], { k8sName: 'n' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as Error).message).toContain(`secret ${JSON.stringify(name)} cannot be a Kubernetes Secret key`);
  });

  it.each([[undefined], [''], ['Upper'], ['-lead'], ['trail-'], ['has_underscore'], ['a'.repeat(254)]])('refuses the Secret name %j', (k8sName) => {
    expect(() => renderK8sSecret([['k', 'v']], { k8sName })).toThrow(UsageError);
  });

  it('accepts DNS subdomain names', () => {
    for (const k8sName of ['a', 'my-app.secrets', '0abc', 'a'.repeat(253)]) expect(() => renderK8sSecret([], { k8sName })).not.toThrow();
  });
});
