import { defineConfig } from 'vitest/config';

// Five tiers (docs/conventions.md §11). Backends (dynalite, the local KMS server) are started once by
// test/global-setup.ts for the tiers that need them; unit tests need none.
export default defineConfig({
  test: {
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 60_000,
    // Most files wait on processes, sockets and disks; three files at a time keep two cores busy.
    maxWorkers: 3,
    hookTimeout: 60_000,
    projects: [
      // Pure code: the files share one module graph per worker instead of re-importing it.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      // The output formats read back by the real programs that consume them (bash, dash, Python).
      { extends: true, test: { name: 'interop', include: ['test/interop/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: ['test/global-setup.ts'] },
      },
      {
        extends: true,
        test: { name: 'cli', include: ['test/cli/**/*.test.ts'], globalSetup: ['test/global-setup.ts'] },
      },
      {
        // Concurrency, crash, tamper, bad-input, fault and hygiene tests against the real
        // backends. KEYSTASH_LONG_TESTS=1 (set by .ci/run) runs their longer variants.
        extends: true,
        test: { name: 'reliability', include: ['test/reliability/**/*.test.ts'], globalSetup: ['test/global-setup.ts'] },
      },
    ],
  },
});
