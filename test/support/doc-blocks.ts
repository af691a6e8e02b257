/**
 * Shell blocks of a Markdown document, for tests that run a document as an operator would.
 * ```sh blocks are commands to run in order; a ```sh hub block starts the hub (kept running in
 * the background); any other block (```text, ```json) is shown output, never run.
 */
export interface DocBlock {
  /** 1-based line of the opening fence, for messages. */
  line: number;
  /** `run`: a ```sh block; `hub`: a ```sh hub block. */
  kind: 'run' | 'hub';
  code: string;
}

export function shellBlocks(markdown: string): DocBlock[] {
  const blocks: DocBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (open[1] === 'sh') blocks.push({ line: start + 1, kind: open[2] === 'hub' ? 'hub' : 'run', code: body.join('\n') });
  }
  return blocks;
}

/**
 * One bash script running the blocks in order under `set -euo pipefail` (any failing command
 * stops it), announcing each block on stderr as `::block <line>`. A hub block runs in the
 * background, its output in `$HUB_LOG`, and the script waits until `GET /healthz` answers on `$PORT`.
 */
export function scriptOf(blocks: readonly DocBlock[]): string {
  const parts = ['set -euo pipefail'];
  for (const b of blocks) {
    parts.push(`echo "::block ${b.line}" >&2`);
    if (b.kind === 'hub') {
      parts.push(
        `( ${b.code.trim()} ) >"$HUB_LOG" 2>&1 &`,
        `for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done`,
        `curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "the hub did not start:" >&2; cat "$HUB_LOG" >&2; exit 1; }`,
      );
    } else {
      parts.push(b.code);
    }
  }
  parts.push('echo "::done" >&2');
  return `${parts.join('\n')}\n`;
}
