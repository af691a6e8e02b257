import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseDuration } from '../src/config.js';

describe('configuration', () => {
  it('has working defaults: port 4000, loopback, .hub, anonymous reads off outside demo mode', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ port: 4000, host: '127.0.0.1', dataDir: '.hub', demo: false, anonymousReads: false, tokenMaxLifetimeMs: 86_400_000, clockToleranceMs: 60_000 });
  });

  it('turns anonymous reads on in demo mode unless told otherwise', () => {
    expect(parseConfig({}, { demo: true }).anonymousReads).toBe(true);
    expect(parseConfig({ HUB_DEMO: 'true', HUB_ANONYMOUS_READS: 'false' }).anonymousReads).toBe(false);
  });

  it('lists every bad variable in one readable error', () => {
    try {
      parseConfig({ PORT: '70000', HUB_DEMO: 'maybe', HUB_CLOCK_TOLERANCE: '5m' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      expect(message).toContain('PORT must be 0..65535');
      expect(message).toContain('HUB_DEMO must be one of');
      expect(message).toContain('HUB_CLOCK_TOLERANCE must be at most 60s');
    }
  });

  it('takes a mongodb:// or mongodb+srv:// MONGODB_URI and refuses anything else by name', () => {
    expect(parseConfig({ MONGODB_URI: 'mongodb://localhost:27017/hub?replicaSet=rs0' }).mongodbUri).toBe('mongodb://localhost:27017/hub?replicaSet=rs0');
    expect(parseConfig({ MONGODB_URI: 'mongodb+srv://cluster.example.net/hub' }).mongodbUri).toBe('mongodb+srv://cluster.example.net/hub');
    expect(parseConfig({}).mongodbUri).toBeUndefined();
    expect(() => parseConfig({ MONGODB_URI: 'localhost:27017' })).toThrow(/MONGODB_URI must be a mongodb:\/\/ or mongodb\+srv:\/\/ connection string/);
  });

  it('runs on SQLite by default, on MongoDB when MONGODB_URI is set, and refuses a HUB_STORE that contradicts it', () => {
    expect(parseConfig({}).store).toBe('sqlite');
    expect(parseConfig({ HUB_STORE: 'memory' }).store).toBe('memory');
    expect(parseConfig({ MONGODB_URI: 'mongodb://localhost:27017/hub' }).store).toBe('mongodb');
    expect(() => parseConfig({ HUB_STORE: 'lmdb' })).toThrow(/HUB_STORE must be one of sqlite, memory, mongodb/);
    expect(() => parseConfig({ HUB_STORE: 'mongodb' })).toThrow(/HUB_STORE: mongodb needs MONGODB_URI/);
    expect(() => parseConfig({ HUB_STORE: 'sqlite', MONGODB_URI: 'mongodb://localhost:27017/hub' })).toThrow(/HUB_STORE: sqlite was chosen but MONGODB_URI is set/);
  });

  it('takes HUB_INSTANCE_ID as a short name and refuses anything else by name', () => {
    expect(parseConfig({ HUB_INSTANCE_ID: 'hub-2' }).instanceId).toBe('hub-2');
    expect(parseConfig({}).instanceId).toBeUndefined();
    expect(() => parseConfig({ HUB_INSTANCE_ID: 'two words' })).toThrow(/HUB_INSTANCE_ID must be 1-64 letters/);
    expect(() => parseConfig({ HUB_INSTANCE_ID: 'x'.repeat(65) })).toThrow(/HUB_INSTANCE_ID/);
  });

  it('takes HUB_POC_DELAY as a duration (default 45 days, 0 for none) and refuses anything else by name', () => {
    expect(parseConfig({}).pocDelayMs).toBe(45 * 86_400_000);
    expect(parseConfig({ HUB_POC_DELAY: '30d' }).pocDelayMs).toBe(30 * 86_400_000);
    expect(parseConfig({ HUB_POC_DELAY: '0' }).pocDelayMs).toBe(0);
    expect(() => parseConfig({ HUB_POC_DELAY: 'later' })).toThrow(/HUB_POC_DELAY must be a duration such as 45d, or 0 for none/);
  });

  it('reads durations in ms, s, m, h and d', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('120')).toBe(120_000);
    expect(parseDuration('soon')).toBeNull();
  });
});
