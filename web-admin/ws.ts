// Live events for browsers at /ws: a snapshot of every display's status on connect, then status changes, new
// previews and store changes as they happen. Dead connections are found by ping/pong and closed.
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WebDeps } from './services.js';
import type { DisplayStatus } from '../controller/delivery/status.js';
import { SESSION_COOKIE } from '../controller/auth/sessions.js';
import { parseCookies } from './auth.js';

export type WsMessage =
  | { type: 'snapshot'; displays: DisplayStatus[] }
  | { type: 'display.status'; status: DisplayStatus }
  | { type: 'store.changed'; entity: string; id: string };

export function attachWs(server: Server, { ctx, delivery, sessions }: WebDeps): { close(): Promise<void> } {
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 4096 });
  const alive = new WeakMap<WebSocket, boolean>();
  const send = (ws: WebSocket, msg: WsMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  const broadcast = (msg: WsMessage) => {
    const text = JSON.stringify(msg);
    for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  };

  wss.on('connection', (ws, req) => {
    const host = req.headers.host ?? '';
    const origin = req.headers.origin;
    if (origin !== undefined && (() => { try { return new URL(origin).host !== host; } catch { return true; } })()) {
      ws.close(1008, 'cross-site');
      return;
    }
    // Only logged-in browsers: the session cookie comes with the upgrade request.
    const sid = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (!sid || !sessions.get(sid)) {
      ws.close(1008, 'unauthenticated');
      return;
    }
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('message', () => undefined); // the channel is server → browser; input is ignored
    send(ws, { type: 'snapshot', displays: delivery.allStatus() });
  });

  const offStatus = ctx.bus.on('display.status', (status) => broadcast({ type: 'display.status', status }));
  const offStore = ctx.bus.on('store.changed', (e) => broadcast({ type: 'store.changed', entity: e.entity, id: e.id }));
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, 30_000);
  heartbeat.unref();

  return {
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        offStatus();
        offStore();
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}
