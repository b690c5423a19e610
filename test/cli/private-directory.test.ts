/**
 * fs-safety.ts privateDirectory: the one rule for where keystash writes or trusts a private file
 * (-o, exec --file, the principals and key files, the data directory). Real directories and links
 * in a temporary directory; the other user's cases (chown) run as root only.
 */
import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { privateDirectory } from '../../src/fs-safety.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'ks-private-dir-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const asRoot = process.geteuid?.() === 0;
let n = 0;
const dir = (mode = 0o700, parent = root): string => {
  const d = join(parent, `d${n++}`);
  mkdirSync(d);
  chmodSync(d, mode);
  return d;
};

describe('privateDirectory', () => {
  it('a directory of your own below private and sticky levels: no problem, resolved', () => {
    const mine = dir();
    expect(privateDirectory(mine)).toEqual({ real: mine });
    const sticky = dir(0o1777);
    expect(privateDirectory(dir(0o700, sticky))).toEqual({ real: join(sticky, `d${n - 1}`) });
  });

  it('a level others can write without the sticky bit, at any height, is named', () => {
    const open = dir(0o777);
    const deep = dir(0o700, dir(0o700, open));
    expect(privateDirectory(deep).problem).toBe(`other users can write ${open} (mode 0777, not sticky) and could replace what keystash writes there`);
  });

  it('a link of your own is followed, and judged by where it leads', () => {
    const mine = dir();
    const link = join(root, `l${n++}`);
    symlinkSync(mine, link);
    expect(privateDirectory(link)).toEqual({ real: mine });
    const open = dir(0o777);
    const toOpen = join(root, `l${n++}`);
    symlinkSync(open, toOpen);
    expect(privateDirectory(toOpen).problem).toContain(`other users can write ${open}`);
  });

  it('a missing directory says so', () => {
    expect(privateDirectory(join(root, 'no-such')).problem).toBe(`${join(root, 'no-such')} does not exist`);
  });

  it.runIf(asRoot)("(as root) another user's level or link: they could rename it away or point it elsewhere", () => {
    const theirs = dir(0o755);
    chownSync(theirs, 1001, 1001);
    expect(privateDirectory(dir(0o700, theirs)).problem).toBe(`${theirs} belongs to another user (uid 1001), who could replace what keystash writes there`);
    // A link another user owns, in a sticky directory where only they may replace it, to a directory of yours.
    const sticky = dir(0o1777);
    const mine = dir();
    const link = join(sticky, 'their-link');
    symlinkSync(mine, link);
    lchownSync(link, 1001, 1001);
    expect(privateDirectory(link).problem).toBe(`${link} is a symbolic link of another user (uid 1001), who could point it elsewhere`);
  });
});
