#!/usr/bin/env node
/**
 * The `hub` command line: `npm run -s hub -- <command> [subcommand] [options]`. Dispatches to the
 * commands of src/cli/commands.ts. Exit codes: 0 done, 2 usage (or configuration), 1 refused or failed.
 */
import { ConfigError, ENVIRONMENT_NAMES } from '../config.js';
import { asCommandError, commandHelp, environmentHelp, parseCommandArgs, UsageError, type Command } from '../cli/command.js';
import { COMMANDS } from '../cli/commands.js';

const USAGE = 'Usage: npm run -s hub -- <command> [options]   (every command takes --help)';

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.path.join(' ').length)) + 2;
  const lines = COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`);
  return `${USAGE}\n\nCommands:\n${lines.join('\n')}\n  help${' '.repeat(width - 4)}Show this text.\n\n${environmentHelp(ENVIRONMENT_NAMES)}`;
}

/** The command whose path the arguments start with (the longest match), and the rest. */
function find(argv: string[]): { command: Command; rest: string[] } | null {
  let best: Command | null = null;
  for (const c of COMMANDS) {
    if (c.path.every((word, i) => argv[i] === word) && (!best || c.path.length > best.path.length)) best = c;
  }
  return best && { command: best, rest: argv.slice(best.path.length) };
}

/** The help of a command group (`hub member --help`): its subcommands. */
function groupHelp(group: string): string | null {
  const members = COMMANDS.filter((c) => c.path[0] === group && c.path.length > 1);
  if (!members.length) return null;
  const width = Math.max(...members.map((c) => c.path.join(' ').length)) + 2;
  return `Usage: npm run -s hub -- ${group} <subcommand> [options]\n\nSubcommands:\n${members
    .map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`)
    .join('\n')}\n\nEach takes --help for its options and environment.\n`;
}

async function run(argv: string[]): Promise<void> {
  const [first] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    process.stdout.write(mainHelp());
    return;
  }
  const found = find(argv);
  if (!found) {
    const help = groupHelp(first);
    if (help && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
      process.stdout.write(help);
      if (argv.length === 1) process.exitCode = 2;
      return;
    }
    throw new UsageError(help ? `unknown subcommand "${argv[1]}" of ${first}; run: hub ${first} --help` : `unknown command "${first}"; run with --help for the list`);
  }
  const { command, rest } = found;
  const args = parseCommandArgs(command, rest);
  if (args.values.help) {
    process.stdout.write(commandHelp(command));
    return;
  }
  const result = await command.run({ ...args, env: process.env });
  if (!result) return;
  process.stdout.write(args.values.json ? `${JSON.stringify(result.json ?? null, null, 2)}\n` : result.text ? `${result.text}\n` : '');
}

run(process.argv.slice(2)).then(
  () => {
    // Commands close what they open; exit anyway so that no stray handle keeps a command alive.
    if (process.argv[2] !== 'serve') process.exit(process.exitCode ?? 0);
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`hub: ${err.message}\n`);
      process.exit(2);
    }
    const refused = asCommandError(err);
    if (refused) {
      process.stderr.write(`hub: ${refused.code}: ${refused.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`hub: failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
