import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUB_BIN } from './support/hub-bin.js';

const HUB = HUB_BIN;
const cleanEnv = (extra: Record<string, string>) => {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  return { ...env, ...extra };
};

function hub(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...HUB, ...args], { encoding: 'utf8', env: cleanEnv(env), timeout: 30_000 });
}

/** `serve --demo` on a fresh data directory: the demo's members and people in its store, which the CLI opens too. */
const dataDir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
let demo: ChildProcess;
let url: string;
let metricsUrl: string;

beforeAll(async () => {
  // The demo's metrics port is 9464; 0 here, so that parallel runs never collide.
  demo = spawn(process.execPath, [...HUB, 'serve', '--demo', '--port', '0'], {
    env: cleanEnv({ HUB_DATA_DIR: dataDir, LOG_LEVEL: 'warn', HUB_METRICS_PORT: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  [url, metricsUrl] = await new Promise<[string, string]>((resolve, reject) => {
    let err = '';
    demo.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (\S+)/.exec(err);
      const metrics = /Prometheus metrics on (\S+)/.exec(err);
      if (m && metrics) resolve([m[1]!, metrics[1]!]);
    });
    demo.on('exit', (code) => reject(new Error(`hub exited ${code}: ${err}`)));
  });
}, 60_000);
afterAll(() => {
  demo?.kill('SIGTERM');
});

describe('the hub command', () => {
  it("prints only a token on stdout for `token --member`, for the member's person, with the roles asked", () => {
    const out = hub(['token', '--member', 'demo-isac', '--roles', 'publisher,reader', '--ttl', '2h'], { HUB_DATA_DIR: dataDir });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = decodeJwt(out.stdout.trim());
    expect(claims['hub:member']).toBe('demo-isac');
    expect(claims.sub).toBe('cli@demo-isac');
    expect(claims['hub:roles']).toEqual(['publisher', 'reader']);
    expect(claims.exp! - claims.iat!).toBe(7200);
  });

  it('prints only the token through `npm run -s hub -- token`, exactly as the README says', () => {
    const out = spawnSync('npm', ['run', '-s', 'hub', '--', 'token', '--member', 'demo-isac', '--roles', 'reader,publisher'], {
      encoding: 'utf8',
      env: cleanEnv({ HUB_DATA_DIR: dataDir }),
      timeout: 30_000,
    });
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it('lists its commands with --help', () => {
    const out = hub(['--help']);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^  token +Print a token for a person/m);
    expect(out.stdout).toMatch(/^  serve +Run the hub/m);
    expect(out.stdout).toMatch(/^  init +Initialise an empty store/m);
  });

  it("shows each command's options and environment with --help, and exits 2 on a usage error", () => {
    const help = hub(['token', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--as <person-id>');
    expect(help.stdout).toMatch(/^  HUB_DATA_DIR +/m);
    const unknown = hub(['token', '--member', 'x', '--colour', 'red']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--colour');
    const nothing = hub(['frobnicate']);
    expect(nothing.status).toBe(2);
    expect(nothing.stderr).toContain('unknown command "frobnicate"');
  }, 60_000);

  it('refuses a token without a person, with an unknown role, beyond the maximum lifetime, for roles the person lacks, or for an unknown member', () => {
    const env = { HUB_DATA_DIR: dataDir };
    const nobody = hub(['token'], env);
    expect(nobody.status).toBe(2);
    expect(nobody.stderr).toContain('--as <person-id>');
    const badRole = hub(['token', '--member', 'demo-lab', '--roles', 'root'], env);
    expect(badRole.status).toBe(2);
    expect(badRole.stderr).toContain('unknown role');
    const tooLong = hub(['token', '--member', 'demo-lab', '--ttl', '30d'], env);
    expect(tooLong.status).toBe(2);
    expect(tooLong.stderr).toMatch(/maximum token lifetime/);
    const notHeld = hub(['token', '--member', 'demo-enterprise', '--roles', 'hub-admin'], env);
    expect(notHeld.status).toBe(1);
    expect(notHeld.stderr).toMatch(/^hub: FORBIDDEN: cli@demo-enterprise does not hold hub-admin/m);
    const unknownMember = hub(['token', '--member', 'demo-nowhere'], env);
    expect(unknownMember.status).toBe(1);
    expect(unknownMember.stderr).toMatch(/^hub: NOT_FOUND: no member "demo-nowhere"/m);
    const ambiguous = hub(['token', '--member', 'demo-agency'], env);
    expect(ambiguous.status, ambiguous.stderr).toBe(0); // several people, cli@demo-agency among them
    expect(nobody.stdout + badRole.stdout + tooLong.stdout + notHeld.stdout + unknownMember.stdout).toBe('');
  }, 120_000);

  it('exits non-zero with a readable message on bad configuration', () => {
    const out = hub(['serve'], { PORT: 'eighty', LOG_LEVEL: 'loud', HUB_TOKEN_MAX_LIFETIME: 'forever' });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('Invalid configuration');
    expect(out.stderr).toContain('PORT must be a number');
    expect(out.stderr).toContain('LOG_LEVEL must be one of');
    expect(out.stderr).toContain('HUB_TOKEN_MAX_LIFETIME must be a duration');
  });

  it('serves the demo, with its metrics, and accepts a token the CLI minted from the same data directory', async () => {
    // Minted first: spawnSync blocks this process for seconds, long enough for the hub to close
    // an idle keep-alive socket that fetch would then reuse ("other side closed").
    const token = hub(['token', '--member', 'demo-enterprise'], { HUB_DATA_DIR: dataDir }).stdout.trim();
    const health = await fetch(url.replace('/graphql', '/healthz'));
    expect(health.status).toBe(200);
    expect(await (await fetch(metricsUrl)).text()).toContain('hub_requests_total');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { tier member { id } userId } }' }),
    });
    expect((await res.json()).data.viewer).toEqual({ tier: 'COMMUNITY', member: { id: 'demo-enterprise' }, userId: 'cli@demo-enterprise' });
  });
});
