/**
 * exec's signal forwarding is in place before the child exists. Installed after spawn, a signal
 * sent as soon as the child was up (on a loaded machine, before keystash ran again) found no
 * handler: keystash died of it and the child ran on, orphaned, without it. The order is checked
 * where it is decided: when Node announces the new child process (diagnostics channel
 * `child_process`), keystash must already hold a handler for every signal it forwards.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { expect, it } from 'vitest';
import { runChild } from '../../src/cli/run-child.js';
import { FORWARDED_SIGNALS } from '../../src/cli/signals.js';

it.each([[{}], [{ mask: [Buffer.from('s3cret-value')] }]])('every forwarded signal has its handler when the child is created (%j)', async (options) => {
  const before = new Map(FORWARDED_SIGNALS.map((s) => [s, process.listenerCount(s)]));
  const atSpawn = new Map<string, number>();
  const onChild = () => {
    for (const s of FORWARDED_SIGNALS) atSpawn.set(s, process.listenerCount(s));
  };
  subscribe('child_process', onChild);
  try {
    expect(await runChild('true', [], { PATH: process.env.PATH ?? '' }, options)).toBe(0);
  } finally {
    unsubscribe('child_process', onChild);
  }
  expect(atSpawn.size).toBe(FORWARDED_SIGNALS.length);
  for (const s of FORWARDED_SIGNALS) expect([s, atSpawn.get(s)]).toEqual([s, (before.get(s) ?? 0) + 1]);
  // And none is left behind once the child is done.
  for (const s of FORWARDED_SIGNALS) expect([s, process.listenerCount(s)]).toEqual([s, before.get(s)]);
});
