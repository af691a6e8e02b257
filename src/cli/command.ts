/**
 * What one CLI command is: its name, options (with what `--help` says of them), the environment
 * variables it reads, and what it does. The dispatcher (src/bin/hub.ts) parses with
 * `node:util` parseArgs and prints help from these; nothing here knows any one command.
 */
import { parseArgs } from 'node:util';
import { GraphQLError } from 'graphql';
import { ENVIRONMENT, ENVIRONMENT_NAMES } from '../config.js';

export type EnvName = (typeof ENVIRONMENT_NAMES)[number];

/** One option of a command. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** What `--help` says; name a default here when there is one. */
  description: string;
  /** The value's placeholder in `--help`, e.g. `<id>`. Default `<value>` for strings. */
  value?: string;
  /** Refused with exit code 2 when missing. */
  required?: boolean;
  /** May be repeated; the command gets every value. */
  multiple?: boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What a command answers: lines for people, a value for `--json`. */
export interface CommandResult {
  text: string;
  json?: unknown;
}

export interface Command {
  /** Words after `hub`: `['member', 'add']`. */
  path: readonly string[];
  /** One line for command lists. */
  summary: string;
  /** More lines for the command's own `--help`. */
  details?: string;
  /** Positional arguments, for `--help` (e.g. `<approval-id>`); absent: none accepted. */
  positionals?: readonly { name: string; description: string }[];
  options: Readonly<Record<string, OptionSpec>>;
  /** Environment variables it reads, beyond none. */
  env: readonly EnvName[];
  examples?: readonly string[];
  run(args: { values: OptionValues; positionals: string[]; env: NodeJS.ProcessEnv }): Promise<CommandResult | void>;
}

/** Bad invocation: exit code 2, with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A refused or failed action: exit code 1, with its code (a GraphQL error's `extensions.code`) and message. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Options every command takes. */
export const COMMON_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', description: 'show this help' },
  json: { type: 'boolean', description: 'print the result as JSON (for scripts)' },
};

/** Environment every command over the store reads: where the store is, and the hub's own issuer. */
export const STORE_ENV: readonly EnvName[] = ['HUB_DATA_DIR', 'MONGODB_URI', 'HUB_INSTANCE_ID', 'HUB_ISSUER', 'HUB_AUDIENCE', 'HUB_TOKEN_MAX_LIFETIME', 'LOG_LEVEL'];

/** Parses a command's arguments; parse errors and missing required options are UsageErrors. */
export function parseCommandArgs(command: Command, args: string[]): { values: OptionValues; positionals: string[] } {
  const options = { ...COMMON_OPTIONS, ...command.options };
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({
      args,
      options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type, multiple: o.multiple ?? false }])),
      allowPositionals: (command.positionals?.length ?? 0) > 0,
      strict: true,
    }) as { values: OptionValues; positionals: string[] };
  } catch (err) {
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${err.message.split('\n')[0]}; see: hub ${command.path.join(' ')} --help`);
    }
    throw err;
  }
  if (parsed.values.help) return parsed;
  const missing = Object.entries(command.options).filter(([name, o]) => o.required && parsed.values[name] === undefined);
  if (missing.length) throw new UsageError(`${command.path.join(' ')} needs ${missing.map(([n, o]) => `--${n} ${o.value ?? '<value>'}`).join(' and ')}`);
  const wanted = command.positionals?.length ?? 0;
  if (parsed.positionals.length > wanted) throw new UsageError(`${command.path.join(' ')} takes ${wanted ? `only ${command.positionals!.map((p) => p.name).join(' ')}` : 'no arguments'} (got "${parsed.positionals[wanted]}")`);
  if (parsed.positionals.length < wanted) throw new UsageError(`${command.path.join(' ')} needs ${command.positionals!.map((p) => p.name).join(' ')}`);
  return parsed;
}

const pad = (text: string, width: number) => (text.length >= width ? `${text}  ` : text.padEnd(width));

/** The environment section of a help text. */
export function environmentHelp(names: readonly EnvName[]): string {
  if (names.length === 0) return 'Environment: none.\n';
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return `Environment:\n${names
    .map((n) => {
      const v = ENVIRONMENT[n];
      return `  ${pad(n, width)}${v.description}${v.default !== undefined ? ` (default ${v.default})` : ''}`;
    })
    .join('\n')}\n`;
}

/** A command's own `--help`. */
export function commandHelp(command: Command): string {
  const options = { ...command.options, ...COMMON_OPTIONS };
  const flag = (name: string, o: OptionSpec) => `--${name}${o.type === 'string' ? ` ${o.value ?? '<value>'}` : ''}`;
  const usage = [
    'npm run -s hub --',
    ...command.path,
    ...(command.positionals ?? []).map((p) => p.name),
    ...Object.entries(command.options).map(([n, o]) => (o.required ? flag(n, o) : `[${flag(n, o)}]`)),
  ].join(' ');
  const rows = Object.entries(options).map(([n, o]) => [flag(n, o), `${o.description}${o.required ? ' (required)' : ''}${o.multiple ? ' (repeatable)' : ''}`] as const);
  const positionals = (command.positionals ?? []).map((p) => [p.name, p.description] as const);
  const width = Math.max(...[...rows, ...positionals].map(([f]) => f.length)) + 2;
  let text = `Usage: ${usage}\n\n${command.summary}\n`;
  if (command.details) text += `\n${command.details.trim()}\n`;
  if (positionals.length) text += `\nArguments:\n${positionals.map(([f, d]) => `  ${pad(f, width)}${d}`).join('\n')}\n`;
  text += `\nOptions:\n${rows.map(([f, d]) => `  ${pad(f, width)}${d}`).join('\n')}\n\n${environmentHelp(command.env)}`;
  if (command.examples?.length) text += `\nExamples:\n${command.examples.map((e) => `  ${e}`).join('\n')}\n`;
  return text;
}

/** A GraphQL error from a service (FORBIDDEN, BAD_USER_INPUT, ...) as a CommandError, naming the field. */
export function asCommandError(err: unknown): CommandError | null {
  if (err instanceof CommandError) return err;
  if (!(err instanceof GraphQLError)) return null;
  const code = typeof err.extensions.code === 'string' ? err.extensions.code : 'ERROR';
  const field = typeof err.extensions.field === 'string' ? ` (field: ${err.extensions.field})` : '';
  return new CommandError(code, `${err.message}${field}`);
}

/** The string value of an option (the parser guarantees its type). */
export const str = (values: OptionValues, name: string): string | undefined => values[name] as string | undefined;
/** A comma-separated list option: `--roles reader,publisher`. */
export const list = (values: OptionValues, name: string): string[] | undefined =>
  str(values, name)?.split(',').map((s) => s.trim()).filter(Boolean);
