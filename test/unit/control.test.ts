import { describe, expect, it } from 'vitest';
import { encodeControl } from '../../controller/protocol/control.js';
import { SimDevice } from '../../firmware-sim/device.js';
import { PANELS } from '../../renderer/panels.js';
import { FakeClock } from '../helpers/fake-clock.js';

const secret = Buffer.alloc(32, 3);

function setup(offsetMs: number) {
  const clock = new FakeClock();
  const dev = new SimDevice({ id: 'ds-x', panel: PANELS['epd-7in5-bw'], secret, clock, clockOffsetMs: offsetMs });
  return { clock, dev };
}

describe('control message (time sync, check-in interval)', () => {
  it('answers a check-in: sets the clock (half the round trip added) and the interval', () => {
    const { clock, dev } = setup(45_000);
    const c = dev.checkIn('timer', 2000, 300);
    clock.advance(200); // the answer takes 200 ms to come back
    const msg = encodeControl({ time: clock.now() - 100, checkInSeconds: 600, echo: c.time }, secret);
    expect(dev.applyControl(msg)).toBe(true);
    expect(Math.abs(dev.now() - clock.now())).toBeLessThanOrEqual(1);
    expect(dev.checkInSeconds).toBe(600);
  });

  it('refuses a forged, a replayed, a stale and an unsolicited message', () => {
    const { clock, dev } = setup(0);
    expect(dev.applyControl(encodeControl({ time: clock.now(), checkInSeconds: 60, echo: 0 }, secret))).toBe(false); // no check-in yet
    const c = dev.checkIn('timer', 2000, 300);
    expect(dev.applyControl(encodeControl({ time: clock.now() + 3_600_000, checkInSeconds: 60, echo: c.time }, Buffer.alloc(32, 9)))).toBe(false); // wrong key
    expect(dev.applyControl(encodeControl({ time: clock.now(), checkInSeconds: 60, echo: c.time - 1 }, secret))).toBe(false); // answers another check-in
    const good = encodeControl({ time: clock.now(), checkInSeconds: 60, echo: c.time }, secret);
    expect(dev.applyControl(good)).toBe(true);
    expect(dev.applyControl(good)).toBe(false); // replayed
    const c2 = dev.checkIn('timer', 2000, 60);
    clock.advance(31_000);
    expect(dev.applyControl(encodeControl({ time: clock.now() - 3_600_000, checkInSeconds: 60, echo: c2.time }, secret))).toBe(false); // too late
    expect(Math.abs(dev.now() - clock.now())).toBeLessThanOrEqual(1);
  });
});
