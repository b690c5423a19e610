/**
 * The layer rules of docs/architecture.md "Layers", read from the import graph of src/ (static imports,
 * re-exports, type imports and dynamic import()): a back-edge fails here, not in review.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseSync } from 'vite';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';

const SRC = resolve(import.meta.dirname, '../../src');

interface Edge {
  from: string; // module path relative to src/, e.g. 'core/keystash.ts'
  to: string; // the same for keystash's own modules; the package name otherwise
}

/**
 * A syntax tree node as the parser gives it (ESTree with TypeScript's nodes, offsets into the
 * text): read by its fields' names, walked by {@link children}.
 */
type Node = { type: string; start: number; end: number } & Record<string, unknown>;

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';

/** The nodes directly below `node`, in source order. */
function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) out.push(...value.filter(isNode));
    else if (isNode(value)) out.push(value);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Parse a TypeScript file (vite's parser, oxc): its program and module record; a syntax error fails the test. */
function parse(file: string, text: string) {
  const result = parseSync(file, text, { lang: 'ts' });
  if (result.errors.length > 0) throw new Error(`${file}: ${result.errors[0]?.message ?? 'syntax error'}`);
  return { program: result.program as unknown as Node & { body: Node[] }, module: result.module };
}

/**
 * What `text` imports: static imports, re-exports, type imports, dynamic import() of a string,
 * `import('…')` in a type and `require('…')`.
 */
function importedFiles(file: string, text: string): string[] {
  const { program, module } = parse(file, text);
  const literal = (start: number, end: number) => /^(['"`])(.*)\1$/s.exec(text.slice(start, end))?.[2];
  const inTypesAndRequires: string[] = [];
  const walk = (node: Node): void => {
    const source = node['source'] as Node | undefined;
    const callee = node['callee'] as Node | undefined;
    const first = (node['arguments'] as Node[] | undefined)?.[0];
    if (node.type === 'TSImportType' && source?.type === 'Literal') inTypesAndRequires.push(source['value'] as string);
    if (node.type === 'CallExpression' && callee?.type === 'Identifier' && callee['name'] === 'require' && first?.type === 'Literal' && typeof first['value'] === 'string') inTypesAndRequires.push(first['value']);
    children(node).forEach(walk);
  };
  walk(program);
  return [
    ...module.staticImports.map((i) => i.moduleRequest.value),
    ...module.staticExports.flatMap((e) => e.entries.flatMap((entry) => (entry.moduleRequest ? [entry.moduleRequest.value] : []))),
    ...module.dynamicImports.flatMap((d) => literal(d.moduleRequest.start, d.moduleRequest.end) ?? []),
    ...inTypesAndRequires,
  ];
}

function moduleGraph(): Edge[] {
  const edges: Edge[] = [];
  for (const file of readdirSync(SRC, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'))) {
    for (const fileName of importedFiles(file, readFileSync(join(SRC, file), 'utf8'))) {
      const to = fileName.startsWith('.')
        ? relative(SRC, resolve(dirname(join(SRC, file)), fileName)).replace(/\.js$/, '.ts')
        : fileName.startsWith('@') ? fileName.split('/').slice(0, 2).join('/') : fileName.split('/')[0]!;
      edges.push({ from: file, to });
    }
  }
  return edges;
}

/** 'cli/commands/get.ts' → 'cli'; 'wiring.ts' → 'wiring'. */
const folderOf = (module: string): string => module.split('/')[0]!.replace(/\.ts$/, '');
const isOwn = (module: string): boolean => module.endsWith('.ts');

const GRAPH = moduleGraph();
const render = (edges: Edge[]): string[] => edges.map((e) => `${e.from} → ${e.to}`);

describe('the import graph of src/', () => {
  it('is read from the sources (a sanity check of the reader itself)', () => {
    expect(GRAPH.length).toBeGreaterThan(300);
    expect(GRAPH).toContainEqual({ from: 'cli/backends.ts', to: 'wiring.ts' });
    expect(GRAPH).toContainEqual({ from: 'wiring.ts', to: 'secretstore/index.ts' }); // a dynamic-import user
    expect(GRAPH).toContainEqual({ from: 'secretstore/index.ts', to: 'secretstore/sqlite.ts' }); // import()
    expect(GRAPH).toContainEqual({ from: 'cli/commands/get.ts', to: 'commander' });
  });

  it('has no edge into src/cli/ from outside it (the library never loads the CLI)', () => {
    expect(render(GRAPH.filter((e) => isOwn(e.to) && folderOf(e.to) === 'cli' && folderOf(e.from) !== 'cli'))).toEqual([]);
  });

  it('loads the composition root only from the CLI (its real backends) and createKeystash', () => {
    const users = [...new Set(GRAPH.filter((e) => e.to === 'wiring.ts').map((e) => e.from))].sort();
    expect(users).toEqual(['cli/backends.ts', 'open.ts']);
  });


  it('keeps commander and chalk inside src/cli/', () => {
    expect(render(GRAPH.filter((e) => (e.to === 'commander' || e.to === 'chalk') && folderOf(e.from) !== 'cli'))).toEqual([]);
  });

  it('keeps the backends and the crypto below the core: none imports core, cli, wiring or open', () => {
    const lower = new Set(['envelope', 'localkms', 'secretstore', 'kmsserver', 'aws', 'format']);
    const upper = new Set(['core', 'cli', 'wiring', 'open', 'index', 'compat']);
    expect(render(GRAPH.filter((e) => lower.has(folderOf(e.from)) && isOwn(e.to) && upper.has(folderOf(e.to))))).toEqual([]);
  });

  it('keeps the core free of backend implementations and SDKs (it sees stores and key services through their interfaces)', () => {
    const allowed = (to: string) =>
      !isOwn(to) ? !/^@aws-sdk|^@smithy|^better-sqlite3$|^node:sqlite$|^commander$|^chalk$/.test(to) : !['aws', 'wiring', 'cli', 'open', 'kmsserver'].includes(folderOf(to)) && !/^secretstore\/(?!types\.ts$)/.test(to);
    expect(render(GRAPH.filter((e) => folderOf(e.from) === 'core' && !allowed(e.to)))).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const next = new Map<string, Set<string>>();
    for (const e of GRAPH) {
      if (!isOwn(e.to) || folderOf(e.from) === folderOf(e.to)) continue;
      const set = next.get(folderOf(e.from)) ?? new Set();
      set.add(folderOf(e.to));
      next.set(folderOf(e.from), set);
    }
    const cycles: string[] = [];
    const visit = (node: string, path: string[]): void => {
      if (path.includes(node)) {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' → '));
        return;
      }
      for (const to of next.get(node) ?? []) visit(to, [...path, node]);
    };
    for (const folder of next.keys()) visit(folder, []);
    expect(cycles).toEqual([]);
  });
});

/** 'core/transfer/restore.ts' → 'transfer'; 'core/keystash.ts' → 'keystash.ts' (the facade); undefined outside core. */
const roomOf = (module: string): string | undefined => (module.startsWith('core/') ? module.split('/')[1] : undefined);

describe('the rooms of src/core/ (docs/architecture.md "Core rooms")', () => {
  const coreEdges = GRAPH.filter((e) => roomOf(e.from) !== undefined && isOwn(e.to) && roomOf(e.to) !== undefined && roomOf(e.from) !== roomOf(e.to));

  it('has the facade and four rooms, nothing else', () => {
    const rooms = new Set(GRAPH.map((e) => roomOf(e.from)).filter((r) => r !== undefined));
    expect([...rooms].sort()).toEqual(['keystash.ts', 'policy', 'process', 'secrets', 'transfer']);
  });

  it('no room imports the facade, not even its type', () => {
    expect(render(coreEdges.filter((e) => e.to === 'core/keystash.ts'))).toEqual([]);
  });

  it('secrets imports no other room; transfer, process and policy import only secrets', () => {
    const allowed = (from: string, to: string) => from === 'keystash.ts' || (from !== 'secrets' && to === 'secrets');
    expect(render(coreEdges.filter((e) => !allowed(roomOf(e.from)!, roomOf(e.to)!)))).toEqual([]);
  });
});

/**
 * The core's operations: exported functions whose first parameter is a keystash or its parts (a
 * store, a key service, replicas), by module ('core/transfer/import.ts' → ['importSecrets']).
 */
function coreOperations(): Map<string, Set<string>> {
  const operations = new Map<string, Set<string>>();
  const partsType = /\b(Keystash\w*|SecretReader|SealingParts|SecretStore|KeyService|Replica)\b/;
  for (const file of readdirSync(join(SRC, 'core'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(SRC, 'core', file), 'utf8');
    const names = new Set<string>();
    for (const statement of parse(file, text).program.body) {
      const fn = statement.type === 'ExportNamedDeclaration' ? (statement['declaration'] as Node | null) : null;
      if (fn?.type !== 'FunctionDeclaration' || !isNode(fn['id'])) continue;
      const type = ((fn['params'] as Node[])[0]?.['typeAnnotation'] as Node | null | undefined)?.['typeAnnotation'] as Node | undefined;
      if (type !== undefined && partsType.test(text.slice(type.start, type.end))) names.add(fn['id']['name'] as string);
    }
    operations.set(`core/${file}`, names);
  }
  return operations;
}

/** Value imports of `names` by the CLI, as 'cli/commands/rotate.ts imports rotateSecrets from core/secrets/rotate.ts'. */
function cliOperationImports(operations: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  for (const file of readdirSync(join(SRC, 'cli'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts'))) {
    const from = join('cli', file);
    for (const statement of parse(file, readFileSync(join(SRC, from), 'utf8')).program.body) {
      if (statement.type !== 'ImportDeclaration' || statement['importKind'] === 'type') continue;
      const target = relative(SRC, resolve(dirname(join(SRC, from)), (statement['source'] as Node)['value'] as string)).replace(/\.js$/, '.ts');
      for (const element of (statement['specifiers'] as Node[]).filter((e) => e.type === 'ImportSpecifier')) {
        const imported = element['imported'] as Node;
        const name = (imported['name'] ?? imported['value']) as string;
        if (element['importKind'] !== 'type' && operations.get(target)?.has(name)) found.push(`${from} imports ${name} from ${target}`);
      }
    }
  }
  return found;
}

describe('the facade (docs/architecture.md "The facade")', () => {
  const operations = coreOperations();

  it('finds the operations (a sanity check of the reader itself)', () => {
    for (const [module, name] of [['core/secrets/rotate.ts', 'rotateSecrets'], ['core/secrets/select-secrets.ts', 'readSelection'], ['core/process/exec-env.ts', 'resolveExecEnv'], ['core/process/inject.ts', 'renderTemplate'], ['core/transfer/replicate.ts', 'compareReplicas']] as const) {
      expect(operations.get(module)).toContain(name);
    }
    expect(operations.get('core/process/exec-env.ts')).not.toContain('parseEnvMapping'); // a pure helper
  });

  it('is the CLI\'s only way to an operation: the CLI imports none of them', () => {
    expect(cliOperationImports(operations)).toEqual([]);
  });

  it('the probe sees an operation imported by the CLI', () => {
    expect(cliOperationImports(new Map([['core/process/exec-env.ts', new Set(['parseEnvMapping'])]]))).toContain('cli/command-grammar.ts imports parseEnvMapping from core/process/exec-env.ts');
  });
});

describe('one way to do a thing', () => {
  it('commands print --json through printJson (cli/deps.ts), never by hand', () => {
    const commands = join(SRC, 'cli/commands');
    const byHand = readdirSync(commands)
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /stdout\.write\([^;]*JSON\.stringify\([^;]*null, 2\)/.test(readFileSync(join(commands, f), 'utf8')));
    expect(byHand).toEqual([]);
    // The probe sees the pattern it forbids.
    expect(/stdout\.write\([^;]*JSON\.stringify\([^;]*null, 2\)/.test('deps.io.stdout.write(`${JSON.stringify(x, null, 2)}\\n`);')).toBe(true);
  });
});

/**
 * Where `text` branches on a keystash error code's text: compares it (`===`, `!==`, `case`), looks
 * a code up in a collection of keystash codes declared in the file (`.has(e.code)`,
 * `.includes(e.code)`) or tests its prefix (`e.code.startsWith('kms.')`). Node's and SQLite's codes
 * (`'ENOENT'`, `'SQLITE_BUSY'`) are not keystash codes and pass.
 */
function codeComparisons(file: string, text: string): string[] {
  const codes = new Set<string>(ERROR_CODES);
  /** The text of a string literal or a template without substitutions; undefined for anything else. */
  const stringOf = (node: Node): string | undefined => {
    if (node.type === 'Literal' && typeof node['value'] === 'string') return node['value'];
    if (node.type === 'TemplateLiteral' && (node['expressions'] as Node[]).length === 0) return ((node['quasis'] as Node[])[0]?.['value'] as { cooked?: string } | undefined)?.cooked;
    return undefined;
  };
  const isCode = (node: Node) => codes.has(stringOf(node) ?? '');
  const member = (node: Node, name?: string): node is Node => node.type === 'MemberExpression' && node['computed'] === false && (name === undefined || (node['property'] as Node)['name'] === name);
  const isCodeRead = (node: Node) => member(node, 'code');
  const calledMethod = (node: Node): string | undefined => (node.type === 'CallExpression' && member(node['callee'] as Node) ? ((node['callee'] as Node)['property'] as Node)['name'] as string : undefined);
  const equality = new Set(['===', '!==', '==', '!=']);
  const { program } = parse(file, text);
  const holdsCode = (node: Node): boolean => isCode(node) || children(node).some(holdsCode);
  const codeCollections = new Set<string>();
  const collect = (node: Node): void => {
    const id = node['id'] as Node | undefined;
    const init = node['init'] as Node | null | undefined;
    if (node.type === 'VariableDeclarator' && id?.type === 'Identifier' && isNode(init) && holdsCode(init)) codeCollections.add(id['name'] as string);
    children(node).forEach(collect);
  };
  collect(program);
  const found: string[] = [];
  const visit = (node: Node): void => {
    const method = calledMethod(node);
    const receiver = method === undefined ? undefined : ((node['callee'] as Node)['object'] as Node);
    const args = (node['arguments'] as Node[] | undefined) ?? [];
    const hit =
      (node.type === 'BinaryExpression' && equality.has(node['operator'] as string) && (isCode(node['left'] as Node) || isCode(node['right'] as Node))) ||
      (node.type === 'SwitchCase' && isNode(node['test']) && isCode(node['test'])) ||
      (receiver !== undefined && (method === 'has' || method === 'includes') && args.some(isCodeRead) &&
        (receiver.type === 'Identifier' ? codeCollections.has(receiver['name'] as string) : holdsCode(receiver))) ||
      (receiver !== undefined && method === 'startsWith' && isCodeRead(receiver) &&
        args.some((a) => { const prefix = stringOf(a); return prefix !== undefined && ERROR_CODES.some((c) => c.startsWith(prefix)); }));
    if (hit) found.push(`${file}:${text.slice(0, node.start).split('\n').length}: ${text.slice(node.start, node.end).slice(0, 80)}`);
    children(node).forEach(visit);
  };
  visit(program);
  return found;
}

describe('error codes', () => {
  it('are compared only in src/errors.ts: elsewhere code branches by class (instanceof) or hasErrorCode (typed)', () => {
    const files = readdirSync(SRC, { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && f !== 'errors.ts');
    expect(files.flatMap((f) => codeComparisons(f, readFileSync(join(SRC, f), 'utf8')))).toEqual([]);
  });

  it('the probe sees every form it forbids, and passes Node\'s own codes', () => {
    const forbidden = [
      "if (error.code === 'store.tableMissing') return;",
      "const missing = 'secret.notFound' !== e.code;",
      "switch (error.code) { case 'kms.decrypt': break; }",
      "const codes = new Set(['kms.timeout']); codes.has(error.code);",
      "if (error.code.startsWith('kms.')) retry();",
      "if (['kms.timeout', 'kms.unreachable'].includes(error.code)) retry();",
    ];
    // Each inside a function (a return at the top of a module is a syntax error).
    const probe = (text: string) => codeComparisons('probe.ts', `function probe() { ${text} }`);
    for (const text of forbidden) expect(probe(text), text).toHaveLength(1);
    expect(probe("const NET = new Set(['ECONNRESET']); if (err.code === 'ENOENT' || NET.has(err.code) || code.startsWith('SQLITE_')) return; hasErrorCode(e, ['kms.audit']);")).toEqual([]);
  });
});
