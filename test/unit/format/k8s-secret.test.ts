import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { renderK8sSecret } from '../../../src/format/k8s-secret.js';
import { trickyPairs } from '../../helpers/tricky-values.js';

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

  it('carries every tricky value byte for byte (yaml.parse; PyYAML: test/interop)', () => {
    const pairs = trickyPairs();
    const text = renderK8sSecret(pairs, { k8sName: 'tricky' });
    const decode = (manifest: Manifest): Record<string, string> =>
      Object.fromEntries(Object.entries(manifest.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    const manifest = parse(text) as Manifest;
    expect(manifest.kind).toBe('Secret');
    expect(decode(manifest)).toEqual(Object.fromEntries(pairs));
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

  it('--k8s-namespace: metadata.namespace, a DNS label', () => {
    const manifest = parse(renderK8sSecret([['k', 'v']], { k8sName: 'app', k8sNamespace: 'prod-1' })) as Manifest & { metadata: { namespace: string } };
    expect(manifest.metadata).toEqual({ name: 'app', namespace: 'prod-1' });
    for (const k8sNamespace of ['', 'Prod', 'a.b', '-x', 'x-', 'a'.repeat(64)]) {
      expect(() => renderK8sSecret([], { k8sName: 'app', k8sNamespace })).toThrow(/not a valid Kubernetes namespace/);
    }
    expect(() => renderK8sSecret([], { k8sName: 'app', k8sNamespace: 'a'.repeat(63) })).not.toThrow();
  });

  it('--env-keys: keys are variable names (strip prefix, naming rule), valid for envFrom and as Secret keys', () => {
    const pairs: Array<[string, string]> = [['app.db-url', 'postgres://x'], ['app.api.key', "k'ey\n"], ['other/thing', 'o'], ['app.2fa_ok', '2']];
    const manifest = parse(renderK8sSecret(pairs.slice(0, 3), { k8sName: 'app', envKeys: true, stripPrefix: 'app.' })) as Manifest;
    expect(Object.keys(manifest.data)).toEqual(['API_KEY', 'DB_URL', 'OTHER_THING']);
    for (const key of Object.keys(manifest.data)) {
      // Kubernetes IsConfigMapKey, and the C-identifier form envFrom needs to set the variable.
      expect(key).toMatch(/^[-._a-zA-Z0-9]+$/);
      expect(key.length).toBeLessThanOrEqual(253);
      expect(key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    }
    expect(Buffer.from(manifest.data.API_KEY ?? '', 'base64').toString('utf8')).toBe("k'ey\n");
    expect(() => renderK8sSecret([pairs[3] as [string, string]], { k8sName: 'app', envKeys: true, stripPrefix: 'app.' })).toThrow(/secret "app.2fa_ok" cannot be an environment variable name/);
    expect(() => renderK8sSecret([['a.b', '1'], ['a-b', '2']], { k8sName: 'app', envKeys: true })).toThrow(/would both become/);
    expect(() => renderK8sSecret([['app.ld_preload', 'x']], { k8sName: 'app', envKeys: true, stripPrefix: 'app.' })).toThrow(/LD_PRELOAD/);
    expect(() => renderK8sSecret([['x'.repeat(254), 'v']], { k8sName: 'app', envKeys: true })).toThrow(/secret "x+" cannot be a Kubernetes Secret key: it is longer than 253/);
    // Without --env-keys nothing changes: names are the keys, the prefix is kept.
    expect(Object.keys((parse(renderK8sSecret(pairs.slice(0, 1), { k8sName: 'app', stripPrefix: 'app.' })) as Manifest).data)).toEqual(['app.db-url']);
  });
});
