/**
 * A Keystash that records every call and answers from a function: for argv tables (what the CLI
 * asks of the core for a command line) without any backend.
 */
import type { Config } from '../../src/config.js';
import type { Keystash } from '../../src/core/keystash.js';

export interface Call {
  method: string;
  args: unknown[];
}

/**
 * `open` (a CliWiring's) hands out one recording Keystash and keeps each Config it was given;
 * every method resolves to `answer(method, args)` (or rejects with what it throws); `close` is a no-op.
 */
export function spyKeystash(answer: (method: string, args: unknown[]) => unknown): { open: (config: Config) => Promise<Keystash>; calls: Call[]; configs: Config[] } {
  const calls: Call[] = [];
  const configs: Config[] = [];
  const spy = new Proxy(
    {},
    {
      get: (_t, method: string) => {
        if (method === 'then') return undefined;
        if (method === 'close') return () => undefined;
        return async (...args: unknown[]) => {
          calls.push({ method, args });
          return answer(method, args);
        };
      },
    },
  ) as Keystash;
  return { open: async (config: Config) => (configs.push(config), spy), calls, configs };
}
