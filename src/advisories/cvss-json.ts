import type { Cvss } from '../domain/vulnerability.js';

/**
 * The case's CVSS as FIRST's JSON (cvss-v3.1.json / cvss-v4.0.json: version, vectorString,
 * baseScore, baseSeverity), which CSAF (`cvss_v3`, `cvss_v4`) and CVE (`cvssV3_1`, `cvssV4_0`) embed.
 * The score is the one the hub computed from the vector with ae-cvss-calculator.
 */
export function cvssJson(cvss: Cvss): { version: string; vectorString: string; baseScore: number; baseSeverity: string } {
  return { version: cvss.version, vectorString: cvss.vector, baseScore: cvss.baseScore, baseSeverity: cvssSeverity(cvss.baseScore) };
}

/** The qualitative rating of a base score: the same bands in CVSS 3.1 and 4.0. */
export function cvssSeverity(score: number): 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' {
  if (score === 0) return 'NONE';
  if (score < 4) return 'LOW';
  if (score < 7) return 'MEDIUM';
  if (score < 9) return 'HIGH';
  return 'CRITICAL';
}
