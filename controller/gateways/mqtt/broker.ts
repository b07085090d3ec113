// The embedded MQTT broker (aedes) for `npm start` on embedded defaults. Bound to loopback by default; every
// client must log in, and MqttAccess decides what each may publish and subscribe to.
import net from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import type { MqttAccess } from './access.js';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

const users = new WeakMap<Client, string>();

function authError(message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: 4 }) as AuthenticateError; // 4: bad user name or password
}

export async function startEmbeddedBroker(host: string, port: number, access: MqttAccess, log: Logger): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const who = access.authenticate(username, password, client.id);
      if (!who) {
        log.warn({ clientId: client.id, username: username ?? '(anonymous)' }, 'refused MQTT login (bad user name, password or client id)');
        done(authError('bad user name or password'), false);
        return;
      }
      users.set(client, username as string);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      const user = client ? users.get(client) : undefined;
      if (client && (!user || !access.canPublish(user, packet.topic))) {
        log.warn({ user, topic: packet.topic }, 'refused MQTT publish: not allowed for this client');
        done(new Error('publish not allowed'));
        return;
      }
      done(null);
    },
    authorizeSubscribe(client, sub, done) {
      const user = users.get(client);
      if (!user || !access.canSubscribe(user, sub.topic)) {
        log.warn({ user, topic: sub.topic }, 'refused MQTT subscribe: not allowed for this client');
        done(null, null); // negative SUBACK for this filter; the connection stays
        return;
      }
      done(null, sub);
    },
  });
  const server = net.createServer(broker.handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  const url = `mqtt://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  log.info({ url }, 'embedded MQTT broker listening (logins required, per-display ACLs)');
  return {
    url,
    port: addr.port,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
