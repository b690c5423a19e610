// A loopback HTTP proxy that holds every request for a fixed delay before forwarding it
// unchanged (headers included, so SigV4 signatures still verify): stands in for the network
// round trip to a real AWS endpoint, which the loopback servers do not have.
// Usage: node bench/latency-proxy.mjs TARGET_PORT DELAY_MS  → prints "latency proxy on http://127.0.0.1:PORT"
import { Agent, createServer, request } from 'node:http';

const [targetPort, delayMs] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const server = createServer((req, res) => {
  const body = [];
  req.on('data', (d) => body.push(d));
  req.on('end', () =>
    setTimeout(() => {
      const out = request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(Buffer.concat(body));
    }, delayMs),
  );
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => console.log(`latency proxy on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
