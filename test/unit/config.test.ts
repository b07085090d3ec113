import { describe, expect, it } from 'vitest';
import { configFromEnv, ConfigError, defaultConfig, mergeConfig } from '../../controller/config.js';

describe('config', () => {
  it('layers defaults, environment and flags', () => {
    const c = mergeConfig(defaultConfig(), configFromEnv({ WEGWEISER_HTTP_PORT: '9000', WEGWEISER_MQTT_URL: 'mqtt://127.0.0.1:1999' }), { http: { host: '::1' } });
    expect(c.http).toEqual({ host: '::1', port: 9000 });
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
});
