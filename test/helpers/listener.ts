/**
 * A TCP listener on 127.0.0.1 that accepts every connection and never writes a byte: the
 * "server that accepts and never speaks" of a stuck sshd, a port forward to nowhere, a hung
 * TermService.
 *
 *   const l = await silentListener();   // l.port
 *   l.accepted();                        // connections accepted so far
 *   await l.close();                     // drops them and stops listening
 */
import { createServer, type Server, type Socket } from 'node:net';

export interface SilentListener {
  port: number;
  accepted(): number;
  close(): Promise<void>;
}

export async function silentListener(): Promise<SilentListener> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    s.on('error', () => undefined);
    sockets.push(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => sockets.length,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
