import { describe, expect, it } from 'vitest';
import { SessionStore, SESSION_IDLE_MS } from '../../controller/auth/sessions.js';
import { DEFAULT_LOGIN_POLICY, LoginLimiter } from '../../controller/auth/login-limiter.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('sessions', () => {
  it('expire after 8 hours without use; use keeps them alive', () => {
    const clock = new FakeClock();
    const store = new SessionStore(clock);
    const a = store.create('u1');
    const b = store.create('u1');
    clock.advance(SESSION_IDLE_MS - 1000);
    expect(store.get(a.id)?.userId).toBe('u1'); // used: slides on
    clock.advance(2000);
    expect(store.get(a.id)).not.toBeNull();
    expect(store.get(b.id)).toBeNull(); // idle for 8 h: gone
    store.deleteForUser('u1', 'password-changed');
    expect(store.get(a.id)).toBeNull();
  });

  it('have unguessable ids and CSRF tokens', () => {
    const store = new SessionStore(new FakeClock());
    const ids = new Set(Array.from({ length: 100 }, () => store.create('u').id));
    expect(ids.size).toBe(100);
    expect([...ids][0]?.length).toBeGreaterThanOrEqual(43); // 256 bits, base64url
  });
});

describe('session ends are announced', () => {
  it('logout, a user-wide end and expiry each tell the listeners once, with the reason', () => {
    const clock = new FakeClock();
    const store = new SessionStore(clock);
    const ended: string[] = [];
    store.onEnd((s, reason) => ended.push(`${s.userId}:${reason}`));
    const a = store.create('u1');
    store.create('u1');
    const c = store.create('u2');
    store.delete(a.id, 'logout');
    store.delete(a.id, 'logout'); // already gone: nothing more
    store.deleteForUser('u1', 'password-reset');
    expect(ended).toEqual(['u1:logout', 'u1:password-reset']);
    clock.advance(SESSION_IDLE_MS); // nobody used c: the timer finds it expired
    expect(ended).toEqual(['u1:logout', 'u1:password-reset', 'u2:expired']);
    expect(store.peek(c.id)).toBeNull();
    store.stop();
  });

  it('a session in use is not expired by the timer set for its old expiry', () => {
    const clock = new FakeClock();
    const store = new SessionStore(clock);
    const ended: string[] = [];
    store.onEnd((_s, reason) => ended.push(reason));
    const a = store.create('u1');
    clock.advance(SESSION_IDLE_MS - 1000);
    expect(store.get(a.id)).not.toBeNull(); // used: slides on
    clock.advance(2000);
    expect(ended).toEqual([]);
    clock.advance(SESSION_IDLE_MS);
    expect(ended).toEqual(['expired']);
  });
});

describe('login limiter', () => {
  it('counts per user name + address and slows down with a growing, capped delay instead of locking', () => {
    const clock = new FakeClock();
    const l = new LoginLimiter(clock, DEFAULT_LOGIN_POLICY);
    for (let i = 0; i < 5; i++) {
      expect(l.blockedFor('Anna', '192.0.2.1')).toBe(0);
      l.fail('Anna', '192.0.2.1');
    }
    expect(l.blockedFor('anna', '192.0.2.1')).toBe(1000); // case-insensitive
    expect(l.blockedFor('anna', '192.0.2.2')).toBe(0); // another address is not affected
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      clock.advance(l.blockedFor('anna', '192.0.2.1'));
      l.fail('anna', '192.0.2.1');
      waits.push(l.blockedFor('anna', '192.0.2.1'));
    }
    expect(waits.slice(0, 4)).toEqual([2000, 4000, 8000, 16000]);
    expect(Math.max(...waits)).toBe(DEFAULT_LOGIN_POLICY.maxDelayMs);
    l.succeed('anna', '192.0.2.1');
    expect(l.blockedFor('anna', '192.0.2.1')).toBe(0);
  });

  it('a name failing from many addresses, or an address failing many names, only shrinks the free attempts to one', () => {
    const clock = new FakeClock();
    const l = new LoginLimiter(clock, DEFAULT_LOGIN_POLICY);
    for (let i = 0; i < DEFAULT_LOGIN_POLICY.userCeiling; i++) l.fail('admin', `198.51.100.${i}`);
    expect(l.blockedFor('admin', '203.0.113.1')).toBe(0); // a fresh address is always heard
    l.fail('admin', '203.0.113.1');
    expect(l.blockedFor('admin', '203.0.113.1')).toBe(1000);
    for (let i = 0; i < DEFAULT_LOGIN_POLICY.addressCeiling; i++) l.fail(`user${i}`, '10.0.0.1');
    expect(l.blockedFor('someone-else', '10.0.0.1')).toBe(0);
    expect(l.list().find((e) => e.kind === 'address' && e.address === '10.0.0.1')).toMatchObject({ slowing: true, failures: DEFAULT_LOGIN_POLICY.addressCeiling });
  });

  it('counts fade after the window without failures; an admin can lift one', () => {
    const clock = new FakeClock();
    const l = new LoginLimiter(clock, DEFAULT_LOGIN_POLICY);
    for (let i = 0; i < 6; i++) l.fail('bob', '192.0.2.9');
    const pair = l.list().find((e) => e.kind === 'user-address');
    expect(pair).toMatchObject({ username: 'bob', address: '192.0.2.9', failures: 6 });
    expect(l.lift(pair?.id ?? '')).toMatchObject({ failures: 6 });
    expect(l.blockedFor('bob', '192.0.2.9')).toBe(0);
    expect(l.lift(pair?.id ?? '')).toBeNull();
    clock.advance(DEFAULT_LOGIN_POLICY.windowMs);
    expect(l.list()).toEqual([]);
  });
});
