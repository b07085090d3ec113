// Serves the admin app and the ws channel on the configured host and port. The port is bound first, before the
// rest of the controller starts: its real number (also for port 0) is part of the public URL the door signs' QR codes
// carry, and a port already in use stops start-up before any work. Until the app is attached, requests get 503.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { attachWs } from './ws.js';
import type { WebDeps } from './services.js';

export interface WebServer {
  url: string;
  port: number;
  /** Starts serving the app (and /ws) on the bound port. */
  attach(deps: WebDeps): void;
  close(): Promise<void>;
}

export async function listenWeb(address: { host: string; port: number }, log: Logger): Promise<WebServer> {
  const { host, port } = address;
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' });
    res.end(JSON.stringify({ error: { code: 'starting', message: 'Wegweiser is starting' } }));
  };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  let ws: { close(): Promise<void> } | null = null;
  let closing: Promise<void> | null = null;
  return {
    url,
    port: addr.port,
    attach(deps) {
      handler = createApp(deps);
      ws = attachWs(server, deps);
      log.info({ url }, 'admin UI listening');
    },
    close() {
      closing ??= (async () => {
        await ws?.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
