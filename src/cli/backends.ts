/**
 * The real backends of the CLI, from the composition root (src/wiring.ts): each command's AWS
 * requests run under one deadline. Both entries (main.ts, quick.ts) run with these; tests pass
 * their own.
 */
import { auditLogPath, commandDeadline, openConfiguredKeys, openKeystash, openLocalKms, setupReplicas } from '../wiring.js';
import type { CliWiring } from './deps.js';

export const WIRING: CliWiring = {
  open: (config, options) => openKeystash(config, { ...commandDeadline(config), createStore: options?.create === true, onRegionFallback: options?.onRegionFallback }),
  openKeys: (config) => openConfiguredKeys(config, commandDeadline(config)),
  openLocalKms,
  auditLogPath,
  setupReplicas: (config, keyId, regions) => setupReplicas(config, keyId, regions, commandDeadline(config)),
};
