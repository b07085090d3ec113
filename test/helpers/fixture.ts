// A running controller on the small building with three simulated displays (ds-a, ds-b, ds-c) on a chosen broker.
import type { Controller } from '../../controller/main.js';
import { MqttSimDisplay, type MqttSimOptions } from '../../firmware-sim/mqtt-display.js';
import { PANELS } from '../../renderer/panels.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { api, startTestController, tempDir, testConfig, waitUntil, writeData } from './env.js';

export type BrokerFactory = (dataDir: string, prefix: string, displayIds: string[]) => Promise<{ url?: string; stop(): Promise<void> }>;

export const embeddedBroker: BrokerFactory = async () => ({ stop: async () => undefined });

/** A simulated display for one of the controller's displays, with its secret and broker login (not started). */
export function simFor(ctl: Controller, id: string, extra: Partial<MqttSimOptions> = {}): MqttSimDisplay {
  return new MqttSimDisplay({
    id,
    panel: PANELS['epd-7in5-bw'],
    secret: ctl.secrets.frameKey(id),
    mqttPassword: ctl.secrets.mqttPassword(id),
    url: ctl.mqttUrl,
    prefix: ctl.ctx.config.mqtt.topicPrefix,
    ...extra,
  });
}

export interface Fixture {
  ctl: Controller;
  dataDir: string;
  sims: Map<string, MqttSimDisplay>;
  sim(id: string): MqttSimDisplay;
  patch(roomId: string, body: unknown): Promise<Response>;
  stop(): Promise<void>;
}

export async function startFixture(broker: BrokerFactory): Promise<Fixture> {
  const { dir: dataDir, cleanup } = await tempDir();
  await writeData(dataDir, smallBuilding());
  const ids = ['ds-a', 'ds-b', 'ds-c'];
  const b = await broker(dataDir, testConfig(dataDir).mqtt.topicPrefix, ids);
  const ctl = await startTestController(dataDir, { mqtt: b.url ? { url: b.url } : {} });
  const sims = new Map<string, MqttSimDisplay>();
  for (const id of ids) {
    const sim = simFor(ctl, id);
    await sim.start();
    sims.set(id, sim);
  }
  await waitUntil(() => ctl.delivery.allStatus().every((s) => s.inSync), 'all displays in sync at start');
  return {
    ctl,
    dataDir,
    sims,
    sim: (id) => sims.get(id) as MqttSimDisplay,
    patch: (roomId, body) => api(ctl, `/api/rooms/${roomId}`, { method: 'PATCH', body: JSON.stringify(body) }),
    async stop() {
      await Promise.all([...sims.values()].map((s) => s.stop()));
      await ctl.stop();
      await b.stop();
      await cleanup();
    },
  };
}
