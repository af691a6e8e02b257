/**
 * Draws the default decay model of every indicator type as an SVG (docs/decay-plots/<TYPE>.svg,
 * shown in docs/intel-quality.md): the score against days since the last confirmation, for a
 * confidence of 100 published by a CORE, TRUSTED and COMMUNITY member, with the threshold and
 * where each curve crosses it. Run `npx tsx scripts/decay-plots.ts` after changing a default.
 * Hand-written SVG (a few paths and labels): no plotting library is worth a dependency here.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decayBase, decaysAt, DEFAULT_DECAY_MODELS, rawDecayScore, TIER_WEIGHT, type DecayModel } from '../src/domain/decay-model.js';
import { INDICATOR_TYPES, type MemberTier } from '../src/domain/types.js';

const OUT = join(import.meta.dirname, '..', 'docs', 'decay-plots');
const DAY = 86_400_000;
const W = 560;
const H = 300;
const M = { left: 48, right: 16, top: 28, bottom: 40 };
const COLOURS: Record<MemberTier, string> = { CORE: '#1f4e8c', TRUSTED: '#2e8b57', COMMUNITY: '#c07000' };

function plot(type: string, model: DecayModel): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (days: number) => M.left + (days / model.lifetimeDays) * pw;
  const y = (score: number) => M.top + (1 - score / 100) * ph;
  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${M.left}" y="18" font-size="13" font-weight="bold">${type}: lifetime ${model.lifetimeDays} days, speed ${model.speed}, threshold ${model.threshold}</text>`);
  // axes and grid
  for (const s of [0, 25, 50, 75, 100]) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(s)}" y2="${y(s)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${y(s) + 4}" font-size="10" text-anchor="end">${s}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const d = (model.lifetimeDays * i) / 4;
    parts.push(`<text x="${x(d)}" y="${M.top + ph + 14}" font-size="10" text-anchor="middle">${Math.round(d)}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 8}" font-size="11" text-anchor="middle">days since last published again or sighted as a true positive</text>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`);
  parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`);
  // threshold
  parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(model.threshold)}" y2="${y(model.threshold)}" stroke="#b00" stroke-dasharray="5 4"/>`);
  parts.push(`<text x="${M.left + pw - 4}" y="${y(model.threshold) - 4}" font-size="10" fill="#b00" text-anchor="end">threshold: decayed below</text>`);
  // one curve per publisher tier, confidence 100; the legend sits bottom left, where no curve goes
  let legend = 0;
  for (const tier of Object.keys(TIER_WEIGHT) as MemberTier[]) {
    const base = decayBase(100, tier);
    const points: string[] = [];
    for (let i = 0; i <= 200; i++) {
      const d = (model.lifetimeDays * i) / 200;
      points.push(`${x(d).toFixed(1)},${y(Math.floor(rawDecayScore(base, d * DAY, model) + 1e-9)).toFixed(1)}`);
    }
    parts.push(`<polyline fill="none" stroke="${COLOURS[tier]}" stroke-width="2" points="${points.join(' ')}"/>`);
    const at = decaysAt(base, new Date(0), model);
    if (at) {
      const d = at.getTime() / DAY;
      parts.push(`<circle cx="${x(d).toFixed(1)}" cy="${y(model.threshold).toFixed(1)}" r="3" fill="${COLOURS[tier]}"/>`);
    }
    parts.push(`<text x="${M.left + 8}" y="${y(18) + legend * 13}" font-size="10" fill="${COLOURS[tier]}">${tier} publisher, confidence 100 (base ${base})${at ? `: decayed after ${(at.getTime() / DAY).toFixed(1)} days` : ''}</text>`);
    legend++;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}

mkdirSync(OUT, { recursive: true });
for (const type of INDICATOR_TYPES) writeFileSync(join(OUT, `${type}.svg`), plot(type, DEFAULT_DECAY_MODELS[type]));
console.log(`wrote ${INDICATOR_TYPES.length} plots to ${OUT}`);
