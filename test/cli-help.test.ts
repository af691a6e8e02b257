import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandHelp } from '../src/cli/command.js';
import { COMMANDS } from '../src/cli/commands.js';
import { ENVIRONMENT } from '../src/config.js';
import { HUB_BIN } from './support/hub-bin.js';

const hub = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [...HUB_BIN, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    timeout: 30_000,
  });

describe('the CLI help', () => {
  it('every command documents each of its options and the environment it reads', () => {
    for (const command of COMMANDS) {
      const help = commandHelp(command);
      expect(help, command.path.join(' ')).toContain(`Usage: npm run -s hub -- ${command.path.join(' ')}`);
      for (const name of Object.keys(command.options)) expect(help, `${command.path.join(' ')} --${name}`).toMatch(new RegExp(`^  --${name}\\b.*\\S`, 'm'));
      for (const name of command.env) {
        expect(name in ENVIRONMENT, name).toBe(true);
        expect(help).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
      }
      // Commands over the store say where the store is.
      if ('as' in command.options) expect(command.env).toEqual(expect.arrayContaining(['HUB_DATA_DIR', 'MONGODB_URI']));
    }
  });

  it('answers --help for a command and for a command group, through the real dispatcher', () => {
    const sub = hub(['apikey', 'create', '--help']);
    expect(sub.status).toBe(0);
    expect(sub.stdout).toContain('--as <person-id>');
    expect(sub.stdout).toContain('--member <id>');
    expect(sub.stdout).toMatch(/^  MONGODB_URI +/m);
    const group = hub(['apikey', '--help']);
    expect(group.status).toBe(0);
    expect(group.stdout).toMatch(/^  apikey create +/m);
    expect(group.stdout).toMatch(/^  apikey revoke +/m);
    const bare = hub(['apikey']);
    expect(bare.status).toBe(2);
    const wrong = hub(['apikey', 'mint']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('unknown subcommand "mint" of apikey');
  }, 60_000);

  it('refuses a missing --as with exit code 2, naming it', () => {
    const out = hub(['member', 'list']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('--as <person-id>');
  });

  it('refuses to act on a store no other process can see, with exit code 1 and the code', () => {
    const out = hub(['member', 'list', '--as', 'alice'], { HUB_DATA_DIR: '/tmp/hub-cli-help-unshared', HUB_STORE: 'memory' });
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/^hub: STORE_NOT_SHARED: /);
    expect(out.stdout).toBe('');
  });
});
