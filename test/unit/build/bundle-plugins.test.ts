/**
 * The esbuild plugins of scripts/bundle.mjs, each on a small input: what it resolves, what the
 * generated module does when evaluated (with a recording `require`), and that vendor code loads
 * only on first use.
 */
import * as http2 from 'node:http2';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- build scripts are plain ES modules without declarations
import { builtinShimsPlugin } from '../../../scripts/bundle-plugins/builtin-shims.mjs';
// @ts-expect-error -- as above
import { facadesPlugin, moduleOf, vendorEntry } from '../../../scripts/bundle-plugins/facades.mjs';
// @ts-expect-error -- as above
import { lazyHttp2Source } from '../../../scripts/bundle-plugins/lazy-http2.mjs';
// @ts-expect-error -- as above
import { vendorBundlesPlugin } from '../../../scripts/bundle-plugins/vendor-bundles.mjs';
// @ts-expect-error -- as above
import { groupOf, vendorImports } from '../../../scripts/bundle-plugins/vendor-imports.mjs';
import { tempDir } from '../../helpers/run-cli.js';

const realRequire = createRequire(import.meta.url);
const ROOT = resolve(import.meta.dirname, '../../..');
const t = tempDir('keystash-bundle-plugins-');
afterAll(() => t.cleanup());

const GROUPS = { 'yaml.cjs': /^yaml$/, 'aws-sdk.cjs': /^@(aws-sdk|smithy)\// };

/** Bundle `contents` (CommonJS, in memory) with the given plugins. */
async function bundle(contents: string, plugins: Plugin[], resolveDir = ROOT): Promise<string> {
  const out = await build({
    stdin: { contents, resolveDir, loader: 'js', sourcefile: 'entry.js' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    logLevel: 'silent',
    plugins,
  });
  return out.outputFiles[0]!.text;
}

/** Evaluate CommonJS `code` with `require` answered by `modules`, recording each id asked for. */
function evaluate(code: string, modules: Record<string, unknown>): { exports: Record<string, unknown>; required: string[] } {
  const required: string[] = [];
  const module = { exports: {} as Record<string, unknown> };
  const fakeRequire = (id: string): unknown => {
    required.push(id);
    if (id in modules) return modules[id];
    if (isBuiltin(id)) return realRequire(id); // what vendor code itself needs, once it runs
    throw new Error(`unexpected require(${id})`);
  };
  new Function('module', 'exports', 'require', code)(module, module.exports, fakeRequire);
  return { exports: module.exports, required };
}

describe('vendorImports', () => {
  it('collects named imports of vendor packages, without type imports, aliases resolved', () => {
    const src = join(t.dir, 'src-ok');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'a.ts'), "import { stringify, type Document } from 'yaml';\nimport { join } from 'node:path';\n");
    writeFileSync(join(src, 'sub', 'b.ts'), "import {\n  KMSClient as Client,\n  DecryptCommand,\n} from '@aws-sdk/client-kms';\nimport type { X } from 'yaml';\n");
    const names = vendorImports(src, GROUPS, { yaml: ['parseAllDocuments'] }) as Map<string, Set<string>>;
    expect(Object.fromEntries([...names].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      yaml: ['parseAllDocuments', 'stringify'],
      '@aws-sdk/client-kms': ['DecryptCommand', 'KMSClient'],
    });
  });

  it('refuses an import form the bundles cannot serve', () => {
    const src = join(t.dir, 'src-bad');
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'c.ts'), "import YAML from 'yaml';\n");
    expect(() => vendorImports(src, GROUPS)).toThrow(/only named imports of yaml/);
  });

  it('groupOf names the bundle of a specifier, nothing for other packages', () => {
    expect(groupOf(GROUPS, '@smithy/node-http-handler')).toBe('aws-sdk.cjs');
    expect(groupOf(GROUPS, 'yaml')).toBe('yaml.cjs');
    expect(groupOf(GROUPS, 'commander')).toBeUndefined();
  });
});

describe('vendorBundlesPlugin', () => {
  it('turns a vendor import into a getter that requires the vendor bundle on first use only', async () => {
    const names = new Map([['yaml', new Set(['stringify'])]]);
    const code = await bundle("import { stringify } from 'yaml';\nexports.render = (v) => stringify(v);", [vendorBundlesPlugin(GROUPS, names)]);
    expect(code.length).toBeLessThan(4000); // the yaml package itself is not in it
    const yamlBundle = { yaml: { stringify: (v: unknown) => `yaml:${String(v)}` } };
    const { exports, required } = evaluate(code, { './yaml.cjs': yamlBundle });
    expect(required).toEqual([]); // loading the module did not load yaml
    expect((exports.render as (v: string) => string)('x')).toBe('yaml:x');
    expect(required).toEqual(['./yaml.cjs']);
  });
});

describe('facadesPlugin and moduleOf', () => {
  it('points an AWS client name at its own module, anything else at the package', () => {
    expect(moduleOf('@aws-sdk/client-kms', 'DecryptCommand', join(ROOT, 'node_modules'))).toBe('@aws-sdk/client-kms/dist-es/commands/DecryptCommand.js');
    expect(moduleOf('@aws-sdk/client-kms', 'KMSClient', join(ROOT, 'node_modules'))).toBe('@aws-sdk/client-kms/dist-es/KMSClient.js');
    expect(moduleOf('@aws-sdk/client-kms', 'NoSuchThing', join(ROOT, 'node_modules'))).toBe('@aws-sdk/client-kms');
    expect(moduleOf('yaml', 'stringify')).toBe('yaml');
  });

  it('builds a vendor bundle exporting exactly the imported names, each package on first use', async () => {
    const names = new Map([['yaml', new Set(['stringify', 'parse'])]]);
    const code = await bundle(vendorEntry(['yaml']), [facadesPlugin(names, join(ROOT, 'node_modules'))]);
    const { exports, required } = evaluate(code, {});
    expect(required).toEqual([]); // nothing of yaml ran yet
    const yaml = exports.yaml as Record<string, unknown>;
    expect(Object.keys(yaml).sort()).toEqual(['parse', 'stringify']);
    expect((yaml.stringify as (v: unknown) => string)({ a: 1 })).toBe('a: 1\n');
  });
});

describe('builtinShimsPlugin', () => {
  it("gives keystash's createRequire a require that routes vendor packages to their bundles", async () => {
    const code = await bundle("import { createRequire } from 'node:module';\nexports.load = (id) => createRequire(import.meta.url)(id);", [
      builtinShimsPlugin({ 'yaml.cjs': /^yaml$/ }),
    ]);
    const { exports, required } = evaluate(code, { './yaml.cjs': { yaml: 'the yaml bundle' }, 'node:fs': 'fs' });
    expect((exports.load as (id: string) => unknown)('yaml')).toBe('the yaml bundle');
    expect((exports.load as (id: string) => unknown)('node:fs')).toBe('fs');
    expect(required).toEqual(['./yaml.cjs', 'node:fs']);
  });

  it("hands commander a node:child_process that loads on first use, and leaves everyone else's alone", async () => {
    const dir = join(t.dir, 'fake', 'node_modules', 'commander');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.js'), "const cp = require('node:child_process');\nexports.spawn = () => cp.spawn;\n");
    const code = await bundle("exports.commander = require('commander');\nexports.own = () => require('node:child_process');", [builtinShimsPlugin({})], join(t.dir, 'fake'));
    const childProcess = { spawn: 'spawn!' };
    const { exports, required } = evaluate(code, { 'node:child_process': childProcess });
    expect(required).toEqual([]);
    expect((exports.commander as { spawn: () => unknown }).spawn()).toBe('spawn!');
    expect(required).toEqual(['node:child_process']);
    expect((exports.own as () => unknown)()).toBe(childProcess); // keystash's own require: the module itself
  });
});

describe('lazyHttp2Source', () => {
  it('serves the constants without loading node:http2, and loads it for anything else', () => {
    const { exports, required } = evaluate(lazyHttp2Source(), { 'node:http2': http2 });
    expect(exports.constants).toEqual(http2.constants);
    expect(required).toEqual([]);
    expect(exports.connect).toBe(http2.connect);
    expect(required).toEqual(['node:http2']);
  });
});
