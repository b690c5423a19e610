// Module-resolution hook used by test/cli/lazy-loading.test.ts: appends every resolved file URL
// to the file named by KEYSTASH_TEST_MODULE_LOG. Registered with `--import`.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';

if (process.env.KEYSTASH_TEST_MODULE_LOG && !globalThis.__ksHooked) {
  globalThis.__ksHooked = true;
  const log = process.env.KEYSTASH_TEST_MODULE_LOG;
  register(
    `data:text/javascript,${encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        const result = await next(specifier, context);
        appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
        return result;
      }`)}`,
  );
  appendFileSync(log, '');
}
