import { spawnSync } from 'node:child_process';
import { delimiter, dirname, relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// The tests talk to loopback servers over plain HTTP and never verify a certificate, while Node 20
// and 22 read the whole NODE_EXTRA_CA_CERTS bundle when a process starts (70 ms on this machine's
// 140 certificates, in every worker and every keystash, node and npm child). Taken out of the
// environment for the run; the tests that run npm (which may reach the registry) put it back for
// npm alone (test/helpers/run-cli.ts `npmEnv`).
if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
  process.env.KEYSTASH_TEST_NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
  delete process.env.NODE_EXTRA_CA_CERTS;
}

/**
 * The order files start in. A worker serves one project, so the projects stay together
 * (interleaving them started a new worker at each switch): the project with the longest files
 * first, and in each its longest files (10–30 s on a 2-core machine) before the rest, so that none
 * is left running alone at the end. Everything else keeps vitest's order (longest first by the
 * previous run's timings, when there is one).
 */
const TIERS = ['backends', 'interop', 'unit'];
const LONGEST = [
  'test/reliability/faults.test.ts',
  'test/cli/python-interop.test.ts',
  'test/cli/github-action-install.test.ts',
  'test/cli/multiregion.test.ts',
  'test/cli/package.test.ts',
  'test/reliability/timeouts.test.ts',
  'test/reliability/crash.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const tier = (spec: TestSpecification): number => TIERS.indexOf(spec.project.name);
    const rank = (spec: TestSpecification): number => {
      const at = LONGEST.indexOf(relative(spec.project.config.root, spec.moduleId));
      return at === -1 ? LONGEST.length : at;
    };
    return sorted
      .map((spec, i) => ({ spec, i }))
      .sort((a, b) => tier(a.spec) - tier(b.spec) || rank(a.spec) - rank(b.spec) || a.i - b.i)
      .map(({ spec }) => spec);
  }
}

// python3 and the AWS CLI are often version-manager shims (pyenv's: a dozen bash processes before
// the interpreter starts, ~50 ms each time). The directory of the interpreter PATH selects goes
// first on PATH for the run, so the tests start the same programs without the shim.
const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
if (python.status === 0 && python.stdout.trim() !== '') process.env.PATH = `${dirname(python.stdout.trim())}${delimiter}${process.env.PATH ?? ''}`;

// Five tiers (docs/conventions.md §11) in three vitest projects. Backends (dynalite, the local KMS
// server) are started once by test/global-setup.ts for the project that needs them.
export default defineConfig({
  test: {
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 60_000,
    // Most files wait on processes, sockets and disks; three files at a time keep two cores busy.
    maxWorkers: 3,
    hookTimeout: 60_000,
    sequence: { sequencer: LongestFirst },
    // The files of a worker share one module graph instead of each importing it again (the SDK,
    // the CLI) in a fresh process: every file stops what it started, removes its directories and
    // restores what it stubbed (vi.unstubAllEnvs; test/helpers/in-process.ts restores AWS_*).
    isolate: false,
    projects: [
      // Pure code.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The output formats read back by the real programs that consume them (bash, dash, Python).
      { extends: true, test: { name: 'interop', include: ['test/interop/**/*.test.ts'] } },
      {
        // The tiers that use the backends: integration (the stores and key services), cli (the
        // CLI in-process, and spawned where only a process shows it) and reliability
        // (concurrency, crash, tamper, bad-input, fault and hygiene tests; KEYSTASH_LONG_TESTS=1,
        // set by .ci/run, runs their longer variants). One project, so that a worker goes on from
        // one tier's files to the next with the modules it has loaded: as three projects each
        // started its own workers and loaded the SDK and the CLI again (Node 20: 98 s and 182 s
        // of CPU for the run; as one: 83 s and 150 s). `npx vitest run test/cli` runs one tier.
        extends: true,
        test: {
          name: 'backends',
          include: ['test/integration/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/reliability/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
