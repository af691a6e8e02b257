import type { Credit, Discovery } from '../domain/vulnerability.js';

/**
 * The case's credits as the exports list them: the credits the viewer sees, plus the model that
 * found the flaw as a `TOOL` (issue 13: "an AI system is credited as TOOL") unless a TOOL credit
 * already names it.
 */
export function exportCredits(credits: readonly Credit[], discovery: Discovery): Credit[] {
  const out = credits.map((c) => ({ name: c.name, type: c.type }));
  const model = discovery.method !== 'HUMAN' ? discovery.model : null;
  if (model) {
    const name = modelName(model);
    if (!out.some((c) => c.type === 'TOOL' && c.name === name)) out.push({ name, type: 'TOOL' });
  }
  return out;
}

/** `Acme Lab model-x 2.1`: developer, name and version. */
export const modelName = (model: { name: string; developer: string; version: string | null }): string =>
  [model.developer, model.name, model.version].filter(Boolean).join(' ');
