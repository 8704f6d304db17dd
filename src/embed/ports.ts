// Free loopback ports for embedded members, and a check that a port asked for
// is free before the member touches its data dir.

import * as net from 'node:net';

/** Ports this process handed out: two members started side by side never get the same one. */
const handedOut = new Set<number>();

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ host, port: 0, exclusive: true }, () => {
        const { port: chosen } = server.address() as net.AddressInfo;
        server.close(() => resolve(chosen));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('could not find a free port on ' + host);
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
    readonly option: string,
  ) {
    super(`port ${port} on ${host} (${option}) is already in use: stop what holds it, or leave the port out to get a free one`);
  }
}

/** Throws PortInUseError when `host:port` cannot be bound now. */
export function checkPortFree(host: string, port: number, option: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, port, option) : error);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}
