// The C device library on the wire: three Linux displays built on it (firmware/linux, libmosquitto) next to three
// TypeScript simulators, against the real controller on a real broker, with drop/corrupt/duplicate/reorder/reboot
// faults on their links, through room edits. Every C display converges to the exact frame — its PNG equals the
// controller's preview pixel for pixel (one of them a black/white/red panel with a single frame buffer, one a battery
// display whose clock the controller corrects) — survives a real power loss without reopening a replay window, and
// refuses a replayed and a forged transfer and a forged control message; the controller refuses a forged and a
// replayed device message in its name.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Controller } from '../../controller/main.js';
import type { Data } from '../../controller/domain/model.js';
import { encodeControl } from '../../controller/protocol/control.js';
import { signDeviceMessage } from '../../controller/protocol/device-message.js';
import { encodeTransfer, readChunk } from '../../controller/protocol/frame-v1.js';
import { topics } from '../../controller/protocol/topics.js';
import { CONTROLLER_MQTT_USER } from '../../controller/store/secrets.js';
import type { MqttSimDisplay } from '../../firmware-sim/mqtt-display.js';
import { makeFrame } from '../../renderer/frame.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { api, startTestController, tempDir, testConfig, waitUntil, writeData } from '../helpers/env.js';
import { simFor, type BrokerFactory } from '../helpers/fixture.js';
import { buildCDisplay, CDisplayProcess, FIRMWARE_DIR } from '../helpers/firmware.js';

interface CSpec {
  id: string;
  roomId: string;
  panel: 'epd-7in5-bw' | 'epd-7in5-bwr';
  checkInSeconds: number | null;
  args: string[];
}

/** The C displays: room-bound, each with its own faults and configuration. */
const C_DISPLAYS: CSpec[] = [
  // telemetry every second: many authenticated messages, so an old one is a replay, not a recent duplicate
  { id: 'c-a', roomId: 'r-a', panel: 'epd-7in5-bw', checkInSeconds: null, args: ['--drop', '0.1', '--corrupt', '0.1', '--reboot', '0.1', '--seed', '3', '--telemetry', '1'] },
  // black/white/red, the least RAM (one frame buffer: deltas decoded in place, the shown frame read back from its state)
  { id: 'c-b', roomId: 'r-b', panel: 'epd-7in5-bwr', checkInSeconds: null, args: ['--slots', '1', '--duplicate', '0.2', '--reorder', '0.15', '--corrupt', '0.1', '--seed', '5'] },
  // a battery display whose clock is 4 s off at boot: the controller's control message corrects it
  { id: 'c-c', roomId: 'r-c', panel: 'epd-7in5-bw', checkInSeconds: 10, args: ['--check-in', '10', '--listen-ms', '3000', '--clock-offset-ms', '4000', '--drop', '0.05', '--corrupt', '0.05', '--seed', '13'] },
];
const TS_IDS = ['ds-a', 'ds-b', 'ds-c'];
const ALL_IDS = [...TS_IDS, ...C_DISPLAYS.map((c) => c.id)];
const MAX_CHUNK = 1024;

function buildingWithCDisplays(): Data {
  const data = smallBuilding();
  for (const c of C_DISPLAYS) data.displays.push({ id: c.id, panel: c.panel, roomId: c.roomId, checkInSeconds: c.checkInSeconds, nodeId: null });
  return data;
}

/** Decodes a PNG to RGBA pixels (whatever its colour type): what a person sees. */
async function pixels(png: Buffer): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

export function cDisplaysSuite(broker: BrokerFactory, label: string): void {
  let dir: string;
  let cleanup: () => Promise<void>;
  let stopBroker: () => Promise<void>;
  let ctl: Controller;
  let binary: string;
  const c = new Map<string, CDisplayProcess>();
  /** C display processes that were power-cycled (their event logs are kept) */
  const retired: CDisplayProcess[] = [];
  const sims = new Map<string, MqttSimDisplay>();
  const clients: MqttClient[] = [];
  const t = () => topics(ctl.ctx.config.mqtt.topicPrefix);
  const status = (id: string) => ctl.delivery.status(id);
  const cd = (id: string) => c.get(id) as CDisplayProcess;
  /** everything display `id` logged, over its power cycles */
  const history = (id: string) => [...retired.filter((x) => x.label === `C display ${id}`), cd(id)].flatMap((x) => x.events);
  const spec = (id: string) => C_DISPLAYS.find((s) => s.id === id) as CSpec;
  const pngOf = (id: string) => path.join(dir, 'c-panels', `${id}.png`);

  function startC(s: CSpec): CDisplayProcess {
    const args = [
      '--id', s.id, '--data', dir, '--mqtt-url', ctl.mqttUrl, '--prefix', ctl.ctx.config.mqtt.topicPrefix,
      '--panel', s.panel, '--state-dir', path.join(dir, 'c-state', s.id), '--png', pngOf(s.id),
      '--max-chunk', String(MAX_CHUNK), '--reconnect-ms', '300', '--log-chunks', ...s.args,
    ];
    const p = new CDisplayProcess(binary, args, `C display ${s.id}`);
    c.set(s.id, p);
    return p;
  }

  /** The C display's panel PNG equals the controller's preview of its desired frame, pixel for pixel. */
  async function showsPreview(id: string): Promise<boolean> {
    const res = await api(ctl, `/api/displays/${id}/preview.png`);
    if (res.status !== 200) return false;
    const want = await pixels(Buffer.from(await res.arrayBuffer()));
    let got;
    try {
      got = await pixels(await readFile(pngOf(id)));
    } catch {
      return false; // not written yet
    }
    return got.width === want.width && got.height === want.height && got.data.equals(want.data);
  }

  async function converged(id: string): Promise<boolean> {
    const st = status(id);
    if (!st.inSync || !st.desiredHash) return false;
    if (c.has(id)) return showsPreview(id);
    return (sims.get(id) as MqttSimDisplay).device.framebuffer?.hash === st.desiredHash;
  }

  /** Waits until every display, TS and C, shows its desired frame (a battery display at its next check-in). */
  async function allConverged(what: string): Promise<void> {
    await ctl.signs.idle();
    await waitUntil(async () => {
      for (const id of ALL_IDS) if (!(await converged(id))) return false;
      return true;
    }, `${what}: every display shows its desired frame (${ALL_IDS.filter((id) => !status(id).inSync).join(', ') || 'PNG pending'})`, 60_000);
  }

  /** The C display's state as its files say (what survives a power loss). */
  async function persistedSeq(id: string): Promise<number> {
    return Number((await readFile(path.join(dir, 'c-state', id, 'seq'), 'utf8')).trim());
  }

  const connect = async (username: string, password: string) => {
    const client = await mqtt.connectAsync(ctl.mqttUrl, { clientId: username, username, password, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const tmp = await tempDir();
    dir = tmp.dir;
    cleanup = tmp.cleanup;
    await writeData(dir, buildingWithCDisplays());
    await mkdir(path.join(dir, 'c-panels'), { recursive: true });
    await mkdir(path.join(dir, 'c-state'), { recursive: true });
    const b = await broker(dir, testConfig(dir).mqtt.topicPrefix, ALL_IDS);
    stopBroker = () => b.stop();
    binary = await buildCDisplay(path.join(FIRMWARE_DIR, 'build', `it-${label}`));
    ctl = await startTestController(dir, {
      mqtt: b.url ? { url: b.url } : {},
      delivery: { recheckBaseMs: 500, recheckMaxMs: 2000 },
    });
    for (const [i, id] of TS_IDS.entries()) {
      const sim = simFor(ctl, id, { faults: { drop: 0.03, corrupt: 0.03, reboot: 0.01 }, seed: 100 + i, maxChunk: MAX_CHUNK });
      await sim.start();
      sims.set(id, sim);
    }
    for (const s of C_DISPLAYS) startC(s);
    await allConverged('at start');
  }, 300_000);

  afterAll(async () => {
    await Promise.all(clients.map((cl) => cl.endAsync(true)));
    const exits = await Promise.all([...c.values()].map((p) => p.stop()));
    await Promise.all([...sims.values()].map((s) => s.stop()));
    await ctl?.stop();
    await stopBroker?.();
    await cleanup?.();
    // a sanitizer report ends a C display with a non-zero status
    expect(exits.every((code) => code === 0), [...c.values()].map((p) => p.errors).join('\n')).toBe(true);
  });

  it('every C display starts on the exact frame, with the controller\'s MTU cut to its maxChunk, tagged reports and a corrected clock', async () => {
    for (const s of C_DISPLAYS) {
      expect(await showsPreview(s.id), s.id).toBe(true);
      expect(status(s.id)).toMatchObject({ inSync: true, fault: null, firmware: 'wegweiser-c 1.1.0' });
      // every chunk it received fits its receive buffer
      for (const e of cd(s.id).events.filter((x) => x.name === 'chunk')) expect((e.fields.hex ?? '').length / 2).toBeLessThanOrEqual(MAX_CHUNK);
    }
    // the battery display checked in at boot; the controller set its clock (4 s off) and its interval
    const control = await cd('c-c').waitFor('control', (e) => e.fields.result === 'ok', 30_000);
    expect(control.fields.interval).toBe('10');
    expect(Math.abs(Number(control.fields.offset))).toBeLessThan(1000);
  });

  it('room edits reach every display, TypeScript and C, through faulty links, pixel for pixel', async () => {
    const edits: Array<[string, unknown]> = [
      ['r-a', { notice: { text: 'Heute geschlossen – bitte gehen Sie zu Raum 1.02. Größe & <Maß>', redirectRoomId: 'r-b' } }],
      ['r-b', { name: 'Bürgerservice' }],
      ['r-b', { notice: { text: 'Schalter 3 ist heute geschlossen', redirectRoomId: null } }],
      ['r-c', { officeHours: 'Di 9–12 Uhr, Do 14–18 Uhr' }],
      ['r-a', { notice: null }],
    ];
    const cc = cd('c-c');
    for (const [roomId, body] of edits) {
      if (roomId === 'r-c') {
        // the battery display's room is edited while it sleeps: it gets the frame at its next check-in, in one transfer
        const last = cc.events.filter((e) => e.name === 'sleep' || e.name === 'checkin').at(-1);
        if (last?.name !== 'sleep') await cc.waitFor('sleep', () => true, 30_000, cc.events.length);
        await waitUntil(() => status('c-c').availability === 'asleep', 'c-c asleep for the controller');
      }
      const mark = cc.events.length;
      const res = await api(ctl, `/api/rooms/${roomId}`, { method: 'PATCH', body: JSON.stringify(body) });
      expect(res.status, await res.clone().text()).toBe(200);
      await allConverged(`after editing ${roomId}`);
      if (roomId === 'r-c') {
        const after = cc.events.slice(mark);
        const wake = after.findIndex((e) => e.name === 'checkin' && e.rest.includes('"wakeReason":"timer"'));
        expect(wake).toBeGreaterThanOrEqual(0);
        expect(after.findIndex((e) => e.name === 'shown')).toBeGreaterThan(wake);
      }
    }
    // two planes arrived: the black/white/red display shows its notice in red (its red plane), as the preview does
    const bwr = await pixels(await readFile(pngOf('c-b')));
    let red = 0;
    for (let i = 0; i < bwr.data.length; i += 4) if (bwr.data[i] === 200 && bwr.data[i + 1] === 0 && bwr.data[i + 2] === 0) red++;
    expect(red).toBeGreaterThan(1000);
    // the faults happened, and were survived
    for (const s of C_DISPLAYS) expect(history(s.id).filter((e) => e.name === 'fault').length, `faults on ${s.id}'s link`).toBeGreaterThan(0);
    // deltas were decoded (not only full frames): a partial refresh on a black/white C display
    expect(cd('c-a').count('shown', (e) => e.fields.refresh === 'partial') + cd('c-c').count('shown', (e) => e.fields.refresh === 'partial')).toBeGreaterThan(0);
  }, 400_000);

  it('a C display that loses power comes back with its sequence number from flash: no replay window, nothing resent', async () => {
    const s = spec('c-a');
    const before = cd('c-a');
    const seq = await persistedSeq('c-a');
    const sent = status('c-a').bytesSent;
    expect(await before.stop('SIGKILL')).not.toBe(0);
    retired.push(before);
    const again = startC(s);
    const hello = await again.waitFor('hello');
    const body = JSON.parse(hello.rest) as { lastSeq: number | null; shownHash: string | null };
    expect(body.lastSeq).toBe(seq);
    expect(body.shownHash).toBe(status('c-a').desiredHash);
    await waitUntil(() => status('c-a').inSync && status('c-a').availability === 'online', 'c-a back online', 20_000);
    expect(await showsPreview('c-a')).toBe(true);
    expect(status('c-a').bytesSent).toBe(sent); // it showed the right frame all along: nothing was sent again
  });

  it('every C display refuses a replayed and a forged transfer and a forged control message', async () => {
    // The strongest attacker: the controller's own broker login, taking the controller's connection for a moment
    // (it reconnects within 2 s and takes it back). The link faults are off meanwhile, so each refusal gets its own
    // reason.
    for (const p of c.values()) process.kill(p.pid, 'SIGUSR1');
    for (const p of c.values()) await p.waitFor('link', (e) => e.fields.faults === 'off');
    for (const s of C_DISPLAYS) {
      const p = cd(s.id);
      const from = p.events.length;
      const shown = status(s.id).desiredHash;
      // the first transfer it ever received, exactly as it came over the air
      const chunks = history(s.id).filter((e) => e.name === 'chunk').map((e) => Buffer.from(e.fields.hex ?? '', 'hex'));
      const first = readChunk(chunks[0] as Buffer);
      if (!first.ok) throw new Error('no first chunk');
      const replay: Buffer[] = [];
      for (let i = 0; i < first.count; i++) {
        const chunk = chunks.find((b) => {
          const r = readChunk(b);
          return r.ok && r.seq === first.seq && r.index === i;
        });
        if (chunk) replay.push(chunk);
      }
      expect(replay.length).toBe(first.count);
      const forged = encodeTransfer({
        displayId: s.id,
        seq: 4_000_000_000,
        frame: makeFrame(800, 480, Array.from({ length: s.panel === 'epd-7in5-bwr' ? 2 : 1 }, (_, i) => new Uint8Array(48_000).fill(i ? 0 : 0xaa))),
        base: null,
        secret: Buffer.alloc(32, 7),
        mtu: MAX_CHUNK,
      });
      // a battery display hears only while awake: right after its check-in
      let checkinTime = 0;
      if (s.checkInSeconds) {
        const ci = await p.waitFor('checkin', () => true, 30_000, from);
        checkinTime = (JSON.parse(ci.rest) as { time: number }).time;
      }
      const offsetBefore = p.events.filter((e) => e.name === 'control' && e.fields.result === 'ok').at(-1)?.fields.offset;
      // a control message under a guessed key, answering its check-in; and a genuine one answering another
      const key = ctl.secrets.frameKey(s.id);
      const controls = [
        encodeControl({ time: checkinTime + 60_000, checkInSeconds: 1, echo: checkinTime }, Buffer.alloc(32, 7)),
        encodeControl({ time: checkinTime + 60_000, checkInSeconds: 1, echo: checkinTime + 1 }, key),
      ];
      const spy = await connect(CONTROLLER_MQTT_USER, ctl.secrets.controllerMqttPassword());
      const sent = (async () => {
        for (const chunk of [...replay, ...forged.chunks]) await spy.publishAsync(t().frame(s.id), chunk, { qos: 1 });
        for (const m of controls) await spy.publishAsync(t().control(s.id), m, { qos: 1 });
      })();
      await Promise.race([sent, new Promise((_, reject) => setTimeout(() => reject(new Error('publishing as the controller took more than 1.5 s')), 1500))]);
      await spy.endAsync();
      const naks = [await p.waitFor('nak', () => true, 15_000, from)];
      naks.push(await p.waitFor('nak', (e) => e !== naks[0], 15_000, from));
      expect(naks.map((e) => e.fields.reason)).toEqual(['stale-seq', 'bad-hmac']);
      await p.waitFor('control', (e) => e.fields.result === 'bad-tag', 15_000, from);
      await p.waitFor('control', (e) => e.fields.result === 'not-an-answer', 15_000, from);
      const after = p.events.slice(from);
      expect(after.filter((e) => e.name === 'shown' || e.name === 'ack')).toEqual([]);
      expect(after.filter((e) => e.name === 'control' && e.fields.result === 'ok')).toEqual([]);
      expect(p.events.filter((e) => e.name === 'control' && e.fields.result === 'ok').at(-1)?.fields.offset).toBe(offsetBefore);
      expect(await persistedSeq(s.id)).toBeLessThan(4_000_000_000);
      expect(status(s.id).desiredHash).toBe(shown);
      expect(await showsPreview(s.id), `${s.id} still shows its frame`).toBe(true);
    }
    for (const p of c.values()) process.kill(p.pid, 'SIGUSR2');
    await waitUntil(() => ctl.delivery.brokerStatus().state === 'connected', 'the controller back on the broker', 20_000);
    await allConverged('after the attack on the displays');
  }, 200_000);

  it('the controller refuses a forged and a replayed device message in a C display\'s name', async () => {
    const id = 'c-a';
    const p = cd(id);
    const confirmed = status(id).confirmedHash;
    // the first message it ever sent, exactly as published (its event log carries the payload): since then it sent
    // far more than the controller's 16-message duplicate window (telemetry every second)
    const first = history(id).find((e) => e.name === 'hello');
    const genuine = first?.rest ?? '';
    expect(genuine).toMatch(/^\{"id":"c-a".*"ctr":1,"tag":"[0-9a-f]{32}"\}$/);
    await waitUntil(() => history(id).filter((e) => e.name === 'telemetry').length > 20, 'c-a to have sent 20 telemetry messages since', 40_000);
    // The attacker holds c-a's broker login (its client id is its user name: it takes c-a's connection meanwhile).
    const rogue = await connect(id, ctl.secrets.mqttPassword(id));
    const fake = signDeviceMessage('ack', { seq: 1, hash: 'f'.repeat(64), activateAt: 0 }, 4_000_000_000, Buffer.alloc(32, 7));
    await rogue.publishAsync(t().ack(id), fake, { qos: 1 });
    await waitUntil(() => status(id).fault?.code === 'forged-message', 'the forged ack to be refused', 15_000);
    await rogue.publishAsync(t().hello(id), genuine, { qos: 1 });
    await waitUntil(() => status(id).fault?.code === 'replayed-message', 'the replayed hello to be refused', 15_000);
    await rogue.endAsync();
    expect(status(id).confirmedHash).toBe(confirmed);
    // the real display takes its connection back and keeps being served
    await p.waitFor('connected', () => true, 20_000, p.events.length);
    const res = await api(ctl, '/api/rooms/r-a', { method: 'PATCH', body: JSON.stringify({ officeHours: 'Mo 8–9 Uhr (nach dem Angriff)' }) });
    expect(res.status).toBe(200);
    await allConverged('after the forged reports');
  }, 120_000);
}
