/**
 * Every reference the repository makes to one of its own documents or files points at something
 * that exists: a `*.md` document (and the `§N` section or `"Heading"` it names), and a path under
 * src/, test/, bin/, scripts/, bench/, docs/ or .ci/ written in prose. A comment citing a
 * document that is not in the repository fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SCANNED_DIRS = ['src', 'test', 'bin', 'scripts', 'bench', 'docs', '.ci'];
const SCANNED_FILES = ['README.md', 'SECURITY.md', 'action.yml', 'package.json', 'vitest.config.ts'];
const SELF = 'test/unit/references.test.ts';
const TEXT = /\.(ts|mts|cts|js|mjs|cjs|md|yml|yaml|json|py|sh)$|^run$|^node24$/;

function scannedFiles(): string[] {
  const files = [...SCANNED_FILES];
  for (const dir of SCANNED_DIRS) {
    for (const entry of readdirSync(join(ROOT, dir), { recursive: true }).map(String)) {
      const rel = `${dir}/${entry}`;
      if (entry.split('/').some((part) => part === 'node_modules' || part === 'results')) continue;
      if (rel === SELF || rel.startsWith('test/vectors/')) continue; // this file's probes; third-party vectors
      if (TEXT.test(entry.split('/').pop()!)) files.push(rel);
    }
  }
  return files;
}

/** `docs/format.md` → its headings' section numbers ("1.2") and titles. */
function headingsOf(doc: string): { numbers: Set<string>; titles: Set<string> } {
  const numbers = new Set<string>();
  const titles = new Set<string>();
  for (const line of readFileSync(join(ROOT, doc), 'utf8').split('\n')) {
    const m = /^#{1,6}\s+(?:(\d+(?:\.\d+)*)\.?\s+)?(.*)$/.exec(line);
    if (!m) continue;
    if (m[1]) numbers.add(m[1]);
    titles.add(m[2]!.trim());
  }
  return { numbers, titles };
}

interface Finding {
  file: string;
  reference: string;
}

const FILES = scannedFiles();
const SOURCES = new Map(FILES.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));

/** A document named bare (`SECURITY.md`) lives at the root or in docs/; one with a folder, there. */
function documentExists(name: string): string | undefined {
  for (const candidate of name.includes('/') ? [name] : [name, `docs/${name}`]) {
    if (existsSync(join(ROOT, candidate))) return candidate;
  }
  return undefined;
}

function documentReferences(): { missing: Finding[]; badSections: Finding[]; count: number } {
  const missing: Finding[] = [];
  const badSections: Finding[] = [];
  let count = 0;
  const doc = /(?<![\w/.-])((?:[\w-]+\/)*[\w.-]+\.md)\b(?:`)?(?:\s*§\s*(\d+(?:\.\d+)*)|[ \t]+"([^"\n]+)")?/g;
  for (const [file, text] of SOURCES) {
    for (const m of text.matchAll(doc)) {
      count++;
      const found = documentExists(m[1]!);
      if (!found) {
        missing.push({ file, reference: m[0] });
        continue;
      }
      if (m[2] || m[3]) {
        const { numbers, titles } = headingsOf(found);
        const ok = m[2] ? numbers.has(m[2].replace(/\.$/, '')) : [...titles].some((t) => t.startsWith(m[3]!));
        if (!ok) badSections.push({ file, reference: m[0] });
      }
    }
  }
  return { missing, badSections, count };
}

function pathReferences(): { missing: Finding[]; count: number } {
  const missing: Finding[] = [];
  let count = 0;
  // A path written in prose: not part of a longer path (`../src/x.js`, `/usr/bin/env`).
  const path = /(?<![\w/.$-])((?:src|test|bin|scripts|bench|docs|\.ci)\/[\w./-]*[\w-])/g;
  for (const [file, text] of SOURCES) {
    for (const m of text.matchAll(path)) {
      const ref = m[1]!;
      if (/[{*<]/.test(text.slice(m.index! + m[0].length, m.index! + m[0].length + 1))) continue; // a pattern
      count++;
      const candidates = [ref, ref.replace(/\.js$/, '.ts'), ref.replace(/\.d\.ts$/, '.ts')];
      if (!candidates.some((c) => existsSync(join(ROOT, c)))) missing.push({ file, reference: ref });
    }
  }
  return { missing, count };
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as `-`. */
function slug(title: string): string {
  return title.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(doc: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of readFileSync(join(ROOT, doc), 'utf8').split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    const m = !inFence && /^#{1,6}\s+(.*)$/.exec(line);
    if (m) anchors.add(slug(m[1]!.trim()));
  }
  return anchors;
}

/** Markdown links `[text](target#anchor)` between the repository's own documents and files. */
function markdownLinks(): { broken: Finding[]; count: number } {
  const broken: Finding[] = [];
  let count = 0;
  for (const [file, text] of SOURCES) {
    if (!file.endsWith('.md')) continue;
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      count++;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const doc = path === '' ? file : normalize(join(dirname(file), path));
      if (doc.startsWith('..') || !existsSync(join(ROOT, doc))) {
        broken.push({ file, reference: target });
        continue;
      }
      if (anchor !== undefined && doc.endsWith('.md') && !anchorsOf(doc).has(anchor)) broken.push({ file, reference: target });
    }
  }
  return { broken, count };
}

describe('references inside the repository', () => {
  it('name documents that exist, and sections those documents have', () => {
    const { missing, badSections, count } = documentReferences();
    expect(count).toBeGreaterThan(50); // the reader reads something
    expect(missing).toEqual([]);
    expect(badSections).toEqual([]);
  });

  it('name files that exist', () => {
    const { missing, count } = pathReferences();
    expect(count).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('link, in Markdown, to documents, files and headings that exist', () => {
    const { broken, count } = markdownLinks();
    expect(count).toBeGreaterThan(10);
    expect(broken).toEqual([]);
  });

  it('would fail on a reference to a missing document or section (the reader is not blind)', () => {
    SOURCES.set('docs/probe.md', 'see [x](../README.md#no-such-heading), [y](development.md) and [z](README.md)');
    try {
      expect(markdownLinks().broken).toEqual([
        { file: 'docs/probe.md', reference: '../README.md#no-such-heading' },
        { file: 'docs/probe.md', reference: 'README.md' },
      ]);
    } finally {
      SOURCES.delete('docs/probe.md');
    }
    SOURCES.set('probe', 'see DESIGN-NOT-HERE.md and docs/format.md §99.1 and src/nowhere.ts');
    try {
      expect(documentReferences().missing).toContainEqual({ file: 'probe', reference: 'DESIGN-NOT-HERE.md' });
      expect(documentReferences().badSections).toContainEqual({ file: 'probe', reference: 'docs/format.md §99.1' });
      expect(pathReferences().missing).toContainEqual({ file: 'probe', reference: 'src/nowhere.ts' });
    } finally {
      SOURCES.delete('probe');
    }
  });
});
