/**
 * CVSS vectors, parsed and scored by ae-cvss-calculator (a maintained implementation of the
 * FIRST specifications), never by hand. Only complete CVSS 3.1 and 4.0 base vectors are taken:
 * the library itself is lenient (it reads a 3.0 vector as 3.1, fills missing metrics with "not
 * defined" and lets a repeated metric win silently), so the checks that make a vector
 * unambiguous are here.
 */
import cvssLibrary from 'ae-cvss-calculator';

// A CommonJS bundle whose names Node's ESM loader cannot detect: read them off its default export.
const { Cvss3P1, Cvss4P0 } = cvssLibrary;
import type { Cvss } from './vulnerability.js';

/** Why a vector was refused: a message for the caller. */
export class CvssError extends Error {
  override readonly name = 'CvssError';
}

const MAX_VECTOR_CHARS = 300;

/** The vector's version, normalised vector and base score; throws CvssError naming what is wrong. */
export function scoreCvss(input: string): Cvss {
  const vector = input.trim();
  if (vector.length === 0 || vector.length > MAX_VECTOR_CHARS) throw new CvssError(`a CVSS vector is 1 to ${MAX_VECTOR_CHARS} characters`);
  const version = vector.startsWith('CVSS:3.1/') ? '3.1' : vector.startsWith('CVSS:4.0/') ? '4.0' : null;
  if (!version) {
    const prefix = /^CVSS:(\d+\.\d+)\//.exec(vector)?.[1];
    throw new CvssError(
      prefix ? `CVSS ${prefix} is not accepted: give a CVSS 3.1 (CVSS:3.1/...) or 4.0 (CVSS:4.0/...) vector` : 'a CVSS vector starts with CVSS:3.1/ or CVSS:4.0/ (CVSS 2.0 and 3.0 are not accepted)',
    );
  }
  const seen = new Set<string>();
  for (const part of vector.split('/').slice(1)) {
    const metric = /^([A-Za-z]+):([A-Za-z0-9]+)$/.exec(part)?.[1];
    if (!metric) throw new CvssError(`"${part.slice(0, 20)}" is not a metric (METRIC:VALUE)`);
    if (seen.has(metric)) throw new CvssError(`the metric ${metric} is given twice`);
    seen.add(metric);
  }
  let parsed: InstanceType<typeof Cvss3P1> | InstanceType<typeof Cvss4P0>;
  try {
    parsed = version === '3.1' ? new Cvss3P1(vector) : new Cvss4P0(vector);
  } catch (err) {
    throw new CvssError(`not a valid CVSS ${version} vector: ${(err as Error).message}`);
  }
  if (!parsed.isBaseFullyDefined()) throw new CvssError(`a CVSS ${version} vector must give every base metric`);
  const base = parsed.calculateScores().base;
  if (base === undefined || !Number.isFinite(base)) throw new CvssError(`the CVSS ${version} vector has no base score`);
  return { version, vector: parsed.toStringDefinedParts(), baseScore: base };
}
