import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';

const HUB = ['--import', 'tsx', 'src/bin/hub.ts'];
const cleanEnv = (extra: Record<string, string>) => {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  return { ...env, ...extra };
};

function hub(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [...HUB, ...args], { encoding: 'utf8', env: cleanEnv(env), timeout: 30_000 });
}

describe('the hub command', () => {
  it('prints only a token on stdout for `token --member`', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
    const out = hub(['token', '--member', 'demo-isac', '--roles', 'publisher,reader', '--ttl', '2h'], { HUB_DATA_DIR: dataDir });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = decodeJwt(out.stdout.trim());
    expect(claims['hub:member']).toBe('demo-isac');
    expect(claims['hub:roles']).toEqual(['publisher', 'reader']);
    expect(claims.exp! - claims.iat!).toBe(7200);
  });

  it('prints only the token through `npm run -s hub -- token`, exactly as the README says', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
    const out = spawnSync('npm', ['run', '-s', 'hub', '--', 'token', '--member', 'demo-lab'], {
      encoding: 'utf8',
      env: cleanEnv({ HUB_DATA_DIR: dataDir }),
      timeout: 30_000,
    });
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  });

  it('lists its commands with --help', () => {
    const out = hub(['--help']);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^  token +Print an access token/m);
    expect(out.stdout).toMatch(/^  serve +Run the hub/m);
  });

  it("shows each command's options and environment with --help, and exits 2 on a usage error", () => {
    const help = hub(['token', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--member <id>');
    expect(help.stdout).toMatch(/^  HUB_DATA_DIR +/m);
    const unknown = hub(['token', '--member', 'x', '--colour', 'red']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--colour');
    const nothing = hub(['frobnicate']);
    expect(nothing.status).toBe(2);
    expect(nothing.stderr).toContain('unknown command "frobnicate"');
  });

  it('refuses a token request without a member, with an unknown role, or beyond the maximum lifetime', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
    const noMember = hub(['token'], { HUB_DATA_DIR: dataDir });
    expect(noMember.status).toBe(2);
    expect(noMember.stderr).toContain('--member');
    const badRole = hub(['token', '--member', 'demo-lab', '--roles', 'root'], { HUB_DATA_DIR: dataDir });
    expect(badRole.status).toBe(2);
    expect(badRole.stderr).toContain('unknown role');
    const tooLong = hub(['token', '--member', 'demo-lab', '--ttl', '30d'], { HUB_DATA_DIR: dataDir });
    expect(tooLong.status).toBe(2);
    expect(tooLong.stderr).toMatch(/maximum token lifetime/);
    expect(noMember.stdout + badRole.stdout + tooLong.stdout).toBe('');
  });

  it('exits non-zero with a readable message on bad configuration', () => {
    const out = hub(['serve'], { PORT: 'eighty', LOG_LEVEL: 'loud', HUB_TOKEN_MAX_LIFETIME: 'forever' });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('Invalid configuration');
    expect(out.stderr).toContain('PORT must be a number');
    expect(out.stderr).toContain('LOG_LEVEL must be one of');
    expect(out.stderr).toContain('HUB_TOKEN_MAX_LIFETIME must be a duration');
  });

  it('serves the demo, with its metrics, and accepts a token the CLI minted from the same data directory', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hub-cli-'));
    // The demo's metrics port is 9464; 0 here, so that parallel runs never collide.
    const child = spawn(process.execPath, [...HUB, 'serve', '--demo', '--port', '0'], {
      env: cleanEnv({ HUB_DATA_DIR: dataDir, LOG_LEVEL: 'warn', HUB_METRICS_PORT: '0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const [url, metricsUrl] = await new Promise<[string, string]>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /listening on (\S+)/.exec(err);
          const metrics = /Prometheus metrics on (\S+)/.exec(err);
          if (m && metrics) resolve([m[1]!, metrics[1]!]);
        });
        child.on('exit', (code) => reject(new Error(`hub exited ${code}: ${err}`)));
      });
      // Minted first: spawnSync blocks this process for seconds, long enough for the hub to close
      // an idle keep-alive socket that fetch would then reuse ("other side closed").
      const token = hub(['token', '--member', 'demo-enterprise'], { HUB_DATA_DIR: dataDir }).stdout.trim();
      const health = await fetch(url.replace('/graphql', '/healthz'));
      expect(health.status).toBe(200);
      expect(await (await fetch(metricsUrl)).text()).toContain('hub_requests_total');
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ viewer { tier member { id } } }' }),
      });
      expect((await res.json()).data.viewer).toEqual({ tier: 'COMMUNITY', member: { id: 'demo-enterprise' } });
    } finally {
      child.kill('SIGTERM');
    }
  });
});
