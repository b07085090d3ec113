import { describe, expect, it } from 'vitest';
import { SessionStore, SESSION_IDLE_MS } from '../../controller/auth/sessions.js';
import { LoginLimiter } from '../../controller/auth/login-limiter.js';
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
    store.deleteForUser('u1');
    expect(store.get(a.id)).toBeNull();
  });

  it('have unguessable ids and CSRF tokens', () => {
    const store = new SessionStore(new FakeClock());
    const ids = new Set(Array.from({ length: 100 }, () => store.create('u').id));
    expect(ids.size).toBe(100);
    expect([...ids][0]?.length).toBeGreaterThanOrEqual(43); // 256 bits, base64url
  });
});

describe('login limiter', () => {
  it('blocks a user name after 5 failures for 15 minutes, then lets it try again', () => {
    const clock = new FakeClock();
    const l = new LoginLimiter(clock);
    for (let i = 0; i < 5; i++) l.fail('Anna', '127.0.0.1');
    expect(l.blockedFor('anna', '127.0.0.2')).toBeGreaterThan(14 * 60_000); // case-insensitive, any address
    clock.advance(15 * 60_000);
    expect(l.blockedFor('anna', '127.0.0.1')).toBe(0);
  });

  it('blocks an address after 20 failures across user names', () => {
    const l = new LoginLimiter(new FakeClock());
    for (let i = 0; i < 20; i++) l.fail(`user${i}`, '10.0.0.1');
    expect(l.blockedFor('someone-else', '10.0.0.1')).toBeGreaterThan(0);
    expect(l.blockedFor('someone-else', '10.0.0.2')).toBe(0);
  });
});
