// Live events for browsers at /ws: a snapshot of every display's status on connect, then status changes, new
// previews and store changes as they happen. Dead connections are found by ping/pong and closed.
//
// Who may listen is decided at the upgrade, before a socket exists: a live session whose account has no pending
// one-time password, from this site. A socket lives no longer than its session: SessionStore announces every end
// (logout, expiry, account removed, password changed or reset) and the sockets of that session close at once.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WebDeps } from './services.js';
import type { DisplayStatus } from '../controller/delivery/status.js';
import { SESSION_COOKIE } from '../controller/auth/sessions.js';
import { parseCookies } from './auth.js';

export type WsMessage =
  | { type: 'snapshot'; displays: DisplayStatus[] }
  | { type: 'display.status'; status: DisplayStatus }
  | { type: 'store.changed'; entity: string; id: string };

/** Close code for a socket whose session ended (the page then finds itself logged out). */
export const WS_SESSION_ENDED = 4401;

function refuse(socket: Duplex, status: 400 | 401 | 403, reason: string): void {
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden' }[status];
  const body = JSON.stringify({ error: { code: reason, message: reason } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export function attachWs(server: Server, { ctx, delivery, sessions, users }: WebDeps): { close(): Promise<void> } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  const alive = new WeakMap<WebSocket, boolean>();
  const bySession = new Map<string, Set<WebSocket>>();
  const send = (ws: WebSocket, msg: WsMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  const broadcast = (msg: WsMessage) => {
    const text = JSON.stringify(msg);
    for (const ws of wss.clients) if (ws.readyState === ws.OPEN) ws.send(text);
  };

  /** The session id an upgrade request may listen with, or the refusal. */
  const admit = (req: IncomingMessage): { sid: string } | { status: 400 | 401 | 403; reason: string } => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') return { status: 400, reason: 'not_found' };
    const host = req.headers.host ?? '';
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        /* an unparsable origin is simply not ours */
      }
      if (originHost !== host) return { status: 403, reason: 'forbidden_origin' };
    }
    // Only logged-in browsers: the session cookie comes with the upgrade request.
    const sid = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    const session = sid ? sessions.get(sid) : null;
    if (!session) return { status: 401, reason: 'unauthenticated' };
    let mustChange: boolean;
    try {
      mustChange = users.get(session.userId).mustChangePassword;
    } catch {
      sessions.delete(session.id, 'account-gone');
      return { status: 401, reason: 'unauthenticated' };
    }
    if (mustChange) return { status: 403, reason: 'password_change_required' };
    return { sid: session.id };
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const verdict = admit(req);
    if (!('sid' in verdict)) {
      refuse(socket, verdict.status, verdict.reason);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // The session may have ended while the handshake completed.
      if (!sessions.peek(verdict.sid)) {
        ws.close(WS_SESSION_ENDED, 'session ended');
        return;
      }
      let set = bySession.get(verdict.sid);
      if (!set) bySession.set(verdict.sid, (set = new Set()));
      set.add(ws);
      ws.on('close', () => {
        set.delete(ws);
        if (set.size === 0 && bySession.get(verdict.sid) === set) bySession.delete(verdict.sid);
      });
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
      ws.on('message', () => undefined); // the channel is server → browser; input is ignored
      send(ws, { type: 'snapshot', displays: delivery.allStatus() });
    });
  };
  server.on('upgrade', onUpgrade);

  const offSession = sessions.onEnd((session, reason) => {
    const set = bySession.get(session.id);
    if (!set) return;
    bySession.delete(session.id);
    for (const ws of set) ws.close(WS_SESSION_ENDED, `session ended: ${reason}`);
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
        server.off('upgrade', onUpgrade);
        offSession();
        offStatus();
        offStore();
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}
