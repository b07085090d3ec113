// A broker the test owns — so it outlives a controller restart, and can itself be stopped and started again on
// the same port (a broker outage): our aedes broker module (the one the controller embeds) or the real Mosquitto
// with the files and settings `wegweiser mqtt-files` documents.
import { pino } from 'pino';
import { startEmbeddedBroker } from '../../controller/gateways/mqtt/broker.js';
import { MqttAccess } from '../../controller/gateways/mqtt/access.js';
import { SecretStore } from '../../controller/store/secrets.js';
import { startSecuredMosquitto } from './mosquitto.js';

export interface TestBroker {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export type TestBrokerFactory = (dataDir: string, prefix: string, displayIds: string[], opts?: { port?: number }) => Promise<TestBroker>;

export const aedesBroker: TestBrokerFactory = async (dataDir, prefix, displayIds, opts = {}) => {
  const access = new MqttAccess(prefix, await SecretStore.open(dataDir, displayIds));
  const b = await startEmbeddedBroker('127.0.0.1', opts.port ?? 0, access, pino({ level: process.env.WEGWEISER_TEST_LOG ?? 'silent' }));
  return { url: b.url, port: b.port, stop: () => b.close() };
};

export const mosquittoBroker: TestBrokerFactory = (dataDir, prefix, displayIds, opts = {}) => startSecuredMosquitto(dataDir, prefix, displayIds, opts);

/** A broker that can go down and come back on the same port (its clients reconnect to the same URL). */
export interface RestartableBroker {
  readonly url: string;
  readonly port: number;
  readonly up: boolean;
  down(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function restartableBroker(factory: TestBrokerFactory, dataDir: string, prefix: string, displayIds: string[]): Promise<RestartableBroker> {
  let current: TestBroker | null = await factory(dataDir, prefix, displayIds);
  const { url, port } = current;
  return {
    url,
    port,
    get up() {
      return current !== null;
    },
    async down() {
      await current?.stop();
      current = null;
    },
    async restart() {
      if (!current) current = await factory(dataDir, prefix, displayIds, { port });
    },
    async stop() {
      await current?.stop();
      current = null;
    },
  };
}
