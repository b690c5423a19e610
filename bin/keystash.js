#!/usr/bin/env node
// `--version` alone is answered without loading the CLI bundle (start-up cost, issue: performance).
if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('../dist/bundle/cli.js');
  await main();
}
