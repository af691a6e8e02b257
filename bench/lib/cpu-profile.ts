/**
 * Summaries of a V8 CPU profile (the `.cpuprofile` format `--cpu-prof` and node:inspector write):
 * self and total (inclusive) time per function and self time per file.
 */
import { fileURLToPath } from 'node:url';

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  /** ms */
  self: number;
  /** ms, time with this function anywhere on the stack */
  total: number;
}

export interface ProfileSummary {
  /** ms covered by samples */
  sampledMs: number;
  /** (idle), (garbage collector), (program) in ms */
  special: Record<string, number>;
  byFunction: ProfileRow[];
  byFile: Array<{ file: string; self: number }>;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function shortFile(url: string): string {
  if (!url) return '(native)';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.startsWith(ROOT)) path = path.slice(ROOT.length);
  return path;
}

export function summarizeProfile(profile: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = new Map<number, string>();
  const fileOf = new Map<number, string>();
  for (const n of profile.nodes) {
    const f = shortFile(n.callFrame.url);
    const name = n.callFrame.functionName || '(anonymous)';
    // tsx-compiled sources report line 0 (no source map): leave their line out.
    const line = f.endsWith('.ts') && n.callFrame.lineNumber === 0 ? '' : `:${n.callFrame.lineNumber + 1}`;
    keyOf.set(n.id, name.startsWith('(') && !n.callFrame.url ? name : `${name}  ${f}${line}`);
    fileOf.set(n.id, f);
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  const special: Record<string, number> = {};
  let sampled = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    const ms = us / 1000;
    sampled += ms;
    const node = byId.get(id);
    if (!node) return;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(garbage collector)' || name === '(program)' || name === '(root)') {
      special[name] = (special[name] ?? 0) + ms;
      return;
    }
    const key = keyOf.get(id)!;
    self.set(key, (self.get(key) ?? 0) + ms);
    const file = fileOf.get(id)!;
    fileSelf.set(file, (fileSelf.get(file) ?? 0) + ms);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf.get(cur)!;
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + ms);
    }
  });
  const byFunction = [...total.entries()]
    .map(([name, t]) => ({ name, self: self.get(name) ?? 0, total: t }))
    .sort((a, b) => b.self - a.self)
    .slice(0, top);
  const byFile = [...fileSelf.entries()].map(([file, s]) => ({ file, self: s })).sort((a, b) => b.self - a.self).slice(0, top);
  return { sampledMs: sampled, special, byFunction, byFile };
}

/** Inclusive ms of the functions whose key contains `needle` (first match by total). */
export function inclusiveOf(profile: CpuProfile, needles: readonly string[]): Array<{ needle: string; name: string | null; total: number }> {
  const summary = summarizeProfile(profile, Number.MAX_SAFE_INTEGER);
  return needles.map((needle) => {
    const rows = summary.byFunction.filter((r) => r.name.includes(needle)).sort((a, b) => b.total - a.total);
    return { needle, name: rows[0]?.name ?? null, total: rows[0]?.total ?? 0 };
  });
}
