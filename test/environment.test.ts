import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT, parseConfig } from '../src/config.js';
import { HUB_BIN } from './support/hub-bin.js';

/** Every .ts file under src/ (the generated schema types hold no env reads, but are read too). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** `env.X`, `process.env.X`, `env['X']`, `env["X"]`, outside string literals (a bundler's `define` key is not a read). */
const READ = /(?<!['"`]|['"`]process\.)\b(?:process\.)?env(?:\.([A-Z][A-Z0-9_]*)|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])/g;

describe('the documented environment', () => {
  it('lists every variable the source reads', () => {
    const read = new Map<string, string>();
    for (const file of sources('src')) {
      for (const m of readFileSync(file, 'utf8').matchAll(READ)) read.set(m[1] ?? m[2]!, file);
    }
    expect(read.size).toBeGreaterThan(0); // the pattern still finds reads (hub.ts and the CLI have some)
    const missing = [...read].filter(([name]) => !(name in ENVIRONMENT)).map(([name, file]) => `${name} (${file})`);
    expect(missing).toEqual([]);
  });

  it('the pattern catches each form of read', () => {
    const found = (text: string) => [...text.matchAll(READ)].map((m) => m[1] ?? m[2]);
    expect(found("const a = process.env.HUB_X; b = env.HUB_Y; c = env['HUB_Z']; d = env[\"HUB_W\"]")).toEqual(['HUB_X', 'HUB_Y', 'HUB_Z', 'HUB_W']);
    expect(found("define: { 'process.env.NODE_ENV': '\"production\"' }")).toEqual([]);
  });

  it('parseConfig reads exactly the documented variables', () => {
    // A variable parseConfig validates but the list lacks cannot compile; one the list names but
    // parseConfig ignores would be documented for nothing: each must change the config or fail it.
    for (const name of Object.keys(ENVIRONMENT)) {
      let changed = false;
      for (const value of ['1', '0', 'x', '999999', 'mongodb://127.0.0.1:1/x', 'debug', 'on', '5s']) {
        try {
          if (JSON.stringify(parseConfig({ [name]: value })) !== JSON.stringify(parseConfig({}))) changed = true;
        } catch {
          changed = true;
        }
        if (changed) break;
      }
      expect(changed, name).toBe(true);
    }
  });

  it('`--help` lists every one of them, with its default', () => {
    const out = spawnSync(process.execPath, [...HUB_BIN, '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(out.status).toBe(0);
    for (const [name, v] of Object.entries(ENVIRONMENT)) {
      expect(out.stdout).toMatch(new RegExp(`^  ${name} +.*${v.default ? `\\(default ${v.default.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)` : ''}`, 'm'));
    }
  });
});

describe('the clearinghouse clocks', () => {
  it('default to 90 days, 7 days exploited, 30 days to escalate, 10 cases a week, the proof of concept 45 days after publication', () => {
    const DAY = 86_400_000;
    expect(parseConfig({}).disclosureClocks).toEqual({ deadlineMs: 90 * DAY, exploitedDeadlineMs: 7 * DAY, ackEscalationMs: 30 * DAY, vendorPace: 10 });
    expect(parseConfig({}).pocDelayMs).toBe(45 * DAY);
  });

  it('are read from HUB_DISCLOSURE_DEADLINE, HUB_EXPLOITED_DEADLINE, HUB_VENDOR_ACK_ESCALATION, HUB_VENDOR_PACE and HUB_POC_DELAY', () => {
    const c = parseConfig({ HUB_DISCLOSURE_DEADLINE: '45d', HUB_EXPLOITED_DEADLINE: '2d', HUB_VENDOR_ACK_ESCALATION: '14d', HUB_VENDOR_PACE: '3', HUB_POC_DELAY: '0' });
    expect(c.disclosureClocks).toEqual({ deadlineMs: 45 * 86_400_000, exploitedDeadlineMs: 2 * 86_400_000, ackEscalationMs: 14 * 86_400_000, vendorPace: 3 });
    expect(c.pocDelayMs).toBe(0);
  });

  it('refuse a pace below 1 and a malformed duration, naming the variable', () => {
    expect(() => parseConfig({ HUB_VENDOR_PACE: '0' })).toThrow(/HUB_VENDOR_PACE must be at least 1/);
    expect(() => parseConfig({ HUB_DISCLOSURE_DEADLINE: 'soon' })).toThrow(/HUB_DISCLOSURE_DEADLINE must be a duration/);
    expect(() => parseConfig({ HUB_POC_DELAY: 'later' })).toThrow(/HUB_POC_DELAY must be a duration/);
  });
});
