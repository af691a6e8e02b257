/**
 * The CLI's way into the audit log. `npm run -s hub -- token` runs in its own process and cannot
 * reach the hub's embedded store, so it appends one JSON line per issued token to
 * `<dataDir>/audit-cli.jsonl`; the hub reads the lines it has not read yet (it keeps the byte
 * offset) at start and before answering `auditLog`, and appends them to the log.
 *
 * Whoever can write this file can also read the signing key beside it (same directory, 0700),
 * so the file is trusted exactly as far as the key is.
 */
import { appendFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { IssuedToken } from '../auth/token-issuer.js';
import { ROLES } from '../domain/types.js';

export const CLI_AUDIT_FILE = 'audit-cli.jsonl';

const TokenLine = z.object({
  v: z.literal(1),
  action: z.literal('TOKEN_ISSUED'),
  at: z.iso.datetime(),
  memberId: z.string().min(1).max(200),
  userId: z.string().min(1).max(500),
  roles: z.array(z.enum(ROLES)),
  jti: z.string().min(1).max(200),
  expiresAt: z.iso.datetime(),
});

/** One token the CLI issued, as written to the file. */
export type CliTokenLine = z.infer<typeof TokenLine>;

export const cliAuditPath = (dataDir: string): string => join(dataDir, CLI_AUDIT_FILE);

/**
 * The CLI's side: appends one line for a token it issued. One synchronous `write` of a line
 * ending in `\n` in append mode, so lines from concurrent CLI runs never interleave.
 */
export function appendCliTokenLine(dataDir: string, issued: IssuedToken): void {
  const line: CliTokenLine = {
    v: 1,
    action: 'TOKEN_ISSUED',
    at: issued.issuedAt.toISOString(),
    memberId: issued.memberId,
    userId: issued.userId,
    roles: issued.roles,
    jti: issued.jti,
    expiresAt: issued.expiresAt.toISOString(),
  };
  appendFileSync(cliAuditPath(dataDir), `${JSON.stringify(line)}\n`, { mode: 0o600 });
}

/**
 * The hub's side: reads what the CLI appended since the last read. Only complete lines are
 * consumed (a line still being written waits for the next read). A file smaller than the
 * offset was replaced or truncated, and is read again from its start.
 */
export class CliAuditLog {
  private offset = 0;

  constructor(readonly path: string) {}

  /** The new well-formed lines, and how many new lines were not (skipped). */
  async readNew(): Promise<{ lines: CliTokenLine[]; invalid: number }> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], invalid: 0 };
      throw err;
    }
    try {
      const { size } = await handle.stat();
      if (size < this.offset) this.offset = 0;
      if (size === this.offset) return { lines: [], invalid: 0 };
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (end < 0) return { lines: [], invalid: 0 };
      this.offset += end + 1;
      const lines: CliTokenLine[] = [];
      let invalid = 0;
      for (const text of buffer.subarray(0, end).toString('utf8').split('\n')) {
        if (!text.trim()) continue;
        const parsed = TokenLine.safeParse(safeJson(text));
        if (parsed.success) lines.push(parsed.data);
        else invalid++;
      }
      return { lines, invalid };
    } finally {
      await handle.close();
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
