import { describe, expect, it } from 'vitest';
import { configFromEnv, ConfigError, defaultConfig, mergeConfig } from '../../controller/config.js';

describe('config', () => {
  it('layers defaults, environment and flags', () => {
    const c = mergeConfig(defaultConfig(), configFromEnv({ WEGWEISER_HTTP_PORT: '9000', WEGWEISER_MQTT_URL: 'mqtt://127.0.0.1:1999' }), { http: { host: '::1' } });
    expect(c.http).toMatchObject({ host: '::1', port: 9000, trustedProxies: [], publicRateLimit: 300 });
    expect(c.mqtt.url).toBe('mqtt://127.0.0.1:1999');
    expect(c.mqtt.embeddedPort).toBe(1883);
  });

  it('stops on a bad value with a message naming the setting', () => {
    expect(() => configFromEnv({ WEGWEISER_HTTP_PORT: 'eighty' })).toThrow(/WEGWEISER_HTTP_PORT/);
    expect(() => mergeConfig(defaultConfig(), { http: { port: 70000 } })).toThrow(ConfigError);
    expect(() => mergeConfig(defaultConfig(), { http: { port: 70000 } })).toThrow(/http\.port/);
    expect(() => mergeConfig(defaultConfig(), configFromEnv({ WEGWEISER_MQTT_URL: 'not a url' }))).toThrow(/mqtt\.url/);
    expect(() => mergeConfig(defaultConfig(), configFromEnv({ WEGWEISER_LOG_LEVEL: 'loud' }))).toThrow(/log\.level/);
  });

  it('reads trusted proxies (addresses, CIDR ranges, loopback) and the visitor limit; refuses anything else, naming it', () => {
    const c = mergeConfig(defaultConfig(), configFromEnv({ WEGWEISER_TRUSTED_PROXY: '10.0.0.0/8, ::1,loopback', WEGWEISER_PUBLIC_RATE_LIMIT: '0' }));
    expect(c.http).toMatchObject({ trustedProxies: ['10.0.0.0/8', '::1', 'loopback'], publicRateLimit: 0 });
    expect(() => mergeConfig(defaultConfig(), configFromEnv({ WEGWEISER_TRUSTED_PROXY: '10.0.0.0/33' }))).toThrow(/http\.trustedProxies\.0/);
    expect(() => mergeConfig(defaultConfig(), configFromEnv({ WEGWEISER_TRUSTED_PROXY: 'proxy.example.org' }))).toThrow(/http\.trustedProxies\.0/);
    expect(() => configFromEnv({ WEGWEISER_PUBLIC_RATE_LIMIT: 'lots' })).toThrow(/WEGWEISER_PUBLIC_RATE_LIMIT/);
  });
});
