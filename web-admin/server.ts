// Serves the admin app and the ws channel on the configured host and port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { attachWs } from './ws.js';
import type { WebDeps } from './services.js';

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startWebServer(deps: WebDeps): Promise<WebServer> {
  const { host, port } = deps.ctx.config.http;
  const server = http.createServer(createApp(deps));
  const ws = attachWs(server, deps);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  deps.ctx.log.info({ url }, 'admin UI listening');
  return {
    url,
    port: addr.port,
    async close() {
      await ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
