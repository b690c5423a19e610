// node:http2 on first use in the SDK bundle: @smithy/node-http-handler imports it for its HTTP/2
// handler, which keystash never uses, and loading it costs ~5 ms of every aws-backend start.
// `constants` (plain values, read by that module as it loads) is given up front, taken from the
// building Node; every other export loads the real module when first touched.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The stand-in module's source for the given http2 module (the building Node's by default). */
export function lazyHttp2Source(http2 = require('node:http2')) {
  const names = Object.keys(http2).filter((name) => name !== 'constants');
  return `let real;
const load = () => (real ??= require('node:http2'));
Object.defineProperty(exports, 'constants', { enumerable: true, value: Object.freeze(${JSON.stringify(http2.constants)}) });
for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`;
}

/** An esbuild plugin serving lazyHttp2Source() for `http2` / `node:http2`. */
export function lazyHttp2Plugin() {
  return {
    name: 'keystash-lazy-http2',
    setup(b) {
      b.onResolve({ filter: /^(node:)?http2$/ }, () => ({ path: 'http2', namespace: 'lazy-http2' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-http2' }, () => ({ contents: lazyHttp2Source(), loader: 'js' }));
    },
  };
}
