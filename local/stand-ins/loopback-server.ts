/** How every stand-in's own HTTP server starts and stops, in one place. */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on `host:port` (0 = an ephemeral port) and resolves with the base URL. */
export async function listenOnLoopback(server: Server, port: number, host: string): Promise<string> {
  // Long polls may hold a request for 20 s; never let Node's own timeouts cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.listen(port, host);
  await once(server, 'listening');
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

/** Closes the server without waiting for kept-alive SDK connections to idle out. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
