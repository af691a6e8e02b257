import { describe, expect, it } from 'vitest';
import { DEMO_MEMBER_IDS, demoIndicators, demoMembers, demoNotices, demoPeople } from '../src/demo/demo-data.js';
import { demoVulnerabilities } from '../src/demo/demo-vulnerabilities.js';
import { DEMO_CLOSED_REVIEW, DEMO_FINDINGS, DEMO_OPEN_REVIEW, demoReviews } from '../src/demo/demo-reviews.js';
import { modelReviewStatus } from '../src/domain/model-review.js';
import { normalizeIndicator } from '../src/domain/normalize.js';
import { isAtlasTechnique, isOwaspLlm2025 } from '../src/domain/notice-rules.js';
import {
  INDICATOR_TYPES,
  NOTICE_CATEGORIES,
  SEVERITIES,
  TLPS,
  type IndicatorType,
} from '../src/domain/types.js';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const members = demoMembers(NOW);
/** The members that publish indicators and notices (the vendors only take part in the clearinghouse). */
const memberIds: string[] = [...DEMO_MEMBER_IDS];
const indicators = demoIndicators(NOW);
const notices = demoNotices(NOW);

/** Undo the common defanging conventions used in the demo data. */
function refang(v: string): string {
  return v.replace(/\[\.\]/g, '.').replace(/\[@\]/g, '@').replace(/^hxxp/i, 'http');
}

const V4_DOC = /^(?:192\.0\.2|198\.51\.100|203\.0\.113)\.(\d{1,3})$/;
const RESERVED_HOST = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:example|test|invalid)$/;
const HEX_LENGTH: Partial<Record<IndicatorType, number>> = { MD5: 32, SHA1: 40, SHA256: 64, SHA512: 128 };

/** Does the (refanged) value look like a valid, harmless value of this type? */
function plausible(type: IndicatorType, raw: string): boolean {
  const v = refang(raw);
  switch (type) {
    case 'IPV4': {
      const m = V4_DOC.exec(v);
      return m !== null && Number(m[1]) >= 1 && Number(m[1]) <= 254;
    }
    case 'IPV6':
      return /^2001:db8:[0-9a-f:]+$/.test(v) && !v.includes('/');
    case 'CIDR': {
      const [net, bits] = v.split('/');
      if (net === undefined || bits === undefined) return false;
      if (net.startsWith('2001:db8:')) return Number(bits) >= 32 && Number(bits) <= 128;
      const m = V4_DOC.exec(net);
      const size = 2 ** (32 - Number(bits));
      return m !== null && Number(bits) >= 24 && Number(bits) <= 32 && Number(m[1]) % size === 0;
    }
    case 'DOMAIN':
      return RESERVED_HOST.test(v);
    case 'URL': {
      try {
        const u = new URL(v);
        return (u.protocol === 'http:' || u.protocol === 'https:') && RESERVED_HOST.test(u.hostname) && u.pathname.length > 1;
      } catch {
        return false;
      }
    }
    case 'EMAIL': {
      const [local, host, ...rest] = v.split('@');
      return rest.length === 0 && !!local && !!host && RESERVED_HOST.test(host);
    }
    default:
      return new RegExp(`^[0-9a-f]{${HEX_LENGTH[type]}}$`).test(v) && !/^0+$/.test(v);
  }
}

/** A rough type guess for untyped demo values, only used to check their plausibility. */
function guessType(raw: string): IndicatorType {
  const v = refang(raw);
  if (v.includes('/') && !v.includes('://')) return 'CIDR';
  if (/^https?:\/\//.test(v)) return 'URL';
  if (v.includes('@')) return 'EMAIL';
  if (V4_DOC.test(v)) return 'IPV4';
  if (v.includes(':')) return 'IPV6';
  if (/^[0-9a-f]+$/.test(v)) {
    const t = (Object.keys(HEX_LENGTH) as IndicatorType[]).find((k) => HEX_LENGTH[k] === v.length);
    if (t) return t;
  }
  return 'DOMAIN';
}

describe('demo members', () => {
  it('has the six contractual ids with their kinds and tiers, the four publishers first', () => {
    expect(members.map((m) => [m._id, m.kind, m.tier])).toEqual([
      ['demo-agency', 'AGENCY', 'CORE'],
      ['demo-lab', 'LAB', 'CORE'],
      ['demo-isac', 'ISAC', 'TRUSTED'],
      ['demo-enterprise', 'ENTERPRISE', 'COMMUNITY'],
      ['demo-vendor-a', 'VENDOR', 'COMMUNITY'],
      ['demo-vendor-b', 'VENDOR', 'COMMUNITY'],
    ]);
    expect(members.slice(0, 4).map((m) => m._id)).toEqual(memberIds);
  });

  it('gives hub-admin and coordinator only to the agency and the four ordinary roles to everyone', () => {
    for (const m of members) {
      expect(m.allowedRoles).toEqual(expect.arrayContaining(['reader', 'publisher', 'approver', 'member-admin']));
      expect(m.allowedRoles.includes('hub-admin')).toBe(m._id === 'demo-agency');
      expect(m.allowedRoles.includes('coordinator')).toBe(m._id === 'demo-agency');
    }
  });

  it('has a person per member for the CLI, none of them a coordinator, and two coordinators of the agency', () => {
    const people = demoPeople();
    for (const m of members) expect(people.find((p) => p.id === `cli@${m._id}`)).toMatchObject({ memberId: m._id });
    expect(people.filter((p) => p.id.startsWith('cli@')).every((p) => !p.roles.includes('coordinator'))).toBe(true);
    expect(people.filter((p) => p.roles.includes('coordinator')).map((p) => [p.id, p.memberId])).toEqual([
      ['coordinator@demo-agency', 'demo-agency'],
      ['coordinator-2@demo-agency', 'demo-agency'],
    ]);
  });

  it('are active, created at now and have a sector and an ISO alpha-2 country', () => {
    for (const m of members) {
      expect(m.status).toBe('ACTIVE');
      expect(m.createdAt.getTime()).toBe(NOW.getTime());
      expect(m.sector).not.toBe('');
      expect(m.country).toMatch(/^[A-Z]{2}$/);
    }
  });
});

describe('demo indicators', () => {
  it('has at least 300 indicators', () => {
    expect(indicators.length).toBeGreaterThanOrEqual(300);
  });

  it('is published by all four members, the CORE members publishing most', () => {
    const count = (id: string) => indicators.filter((i) => i.memberId === id).length;
    for (const id of memberIds) expect(count(id)).toBeGreaterThan(0);
    const core = count('demo-agency') + count('demo-lab');
    expect(core).toBeGreaterThan(indicators.length / 2);
    expect(new Set(indicators.map((i) => i.memberId))).toEqual(new Set(memberIds));
  });

  it('is grouped by publisher', () => {
    const runs = indicators.map((i) => i.memberId).filter((id, k, all) => k === 0 || all[k - 1] !== id);
    expect(runs).toEqual(memberIds);
  });

  it('covers every indicator type among the explicitly typed values', () => {
    const typed = new Set(indicators.flatMap((i) => (i.input.type ? [i.input.type] : [])));
    expect([...typed].sort()).toEqual([...INDICATOR_TYPES].sort());
  });

  it('covers both IPv4 and IPv6 CIDR blocks', () => {
    const cidrs = indicators.filter((i) => guessType(i.input.value) === 'CIDR').map((i) => i.input.value);
    expect(cidrs.some((c) => c.includes(':'))).toBe(true);
    expect(cidrs.some((c) => !c.includes(':'))).toBe(true);
  });

  it('covers every TLP and every severity', () => {
    expect(new Set(indicators.map((i) => i.input.tlp))).toEqual(new Set(TLPS));
    expect(new Set(indicators.map((i) => i.input.severity))).toEqual(new Set(SEVERITIES));
  });

  it('omits the type on roughly a fifth and defangs roughly a tenth of the values', () => {
    const untyped = indicators.filter((i) => !i.input.type).length / indicators.length;
    const defanged = indicators.filter((i) => refang(i.input.value) !== i.input.value).length / indicators.length;
    expect(untyped).toBeGreaterThan(0.15);
    expect(untyped).toBeLessThan(0.25);
    expect(defanged).toBeGreaterThan(0.07);
    expect(defanged).toBeLessThan(0.13);
  });

  it('uses only valid, harmless values (documentation IPs, reserved TLDs, lowercase hex hashes)', () => {
    const bad = indicators.filter((i) => !plausible(i.input.type ?? guessType(i.input.value), i.input.value));
    expect(bad.map((i) => `${i.input.type ?? '?'} ${i.input.value}`)).toEqual([]);
  });

  it('gives every RED indicator 1-2 recipients that are other demo members', () => {
    const red = indicators.filter((i) => i.input.tlp === 'RED');
    expect(red.length).toBeGreaterThan(0);
    for (const { memberId, input } of red) {
      expect(input.recipients?.length).toBeGreaterThanOrEqual(1);
      expect(input.recipients?.length).toBeLessThanOrEqual(2);
      for (const r of input.recipients ?? []) {
        expect(memberIds).toContain(r);
        expect(r).not.toBe(memberId);
      }
    }
  });

  it('gives recipients only to RED indicators', () => {
    for (const { input } of indicators.filter((i) => i.input.tlp !== 'RED')) {
      expect(input.recipients ?? []).toEqual([]);
    }
  });

  it('keeps confidence within 0-100', () => {
    for (const { input } of indicators) {
      expect(Number.isInteger(input.confidence)).toBe(true);
      expect(input.confidence).toBeGreaterThanOrEqual(0);
      expect(input.confidence).toBeLessThanOrEqual(100);
    }
  });

  it('starts validity within the last 90 days', () => {
    for (const { input } of indicators) {
      expect(input.validFrom).toBeInstanceOf(Date);
      const t = input.validFrom!.getTime();
      expect(t).toBeLessThanOrEqual(NOW.getTime());
      expect(t).toBeGreaterThanOrEqual(NOW.getTime() - 90 * 86_400_000);
    }
  });

  it('ends validity strictly after it starts whenever an end is set, with some intel already expired', () => {
    const withEnd = indicators.filter((i) => i.input.validUntil);
    for (const { input } of withEnd) {
      expect(input.validUntil!.getTime()).toBeGreaterThan(input.validFrom!.getTime());
    }
    const expired = withEnd.filter((i) => i.input.validUntil!.getTime() < NOW.getTime()).length;
    expect(withEnd.length / indicators.length).toBeGreaterThan(0.5);
    expect(withEnd.length / indicators.length).toBeLessThan(0.7);
    expect(expired).toBeGreaterThan(0);
    expect(expired).toBeLessThan(withEnd.length / 2);
  });

  it('uses zero to three distinct tags each', () => {
    for (const { input } of indicators) {
      const tags = input.tags ?? [];
      expect(tags.length).toBeLessThanOrEqual(3);
      expect(new Set(tags).size).toBe(tags.length);
    }
  });

  it('has exactly 5 raw values published by two different members, and no other repeats', () => {
    const publishers = new Map<string, string[]>();
    for (const { memberId, input } of indicators) {
      publishers.set(input.value, [...(publishers.get(input.value) ?? []), memberId]);
    }
    const repeated = [...publishers.values()].filter((p) => p.length > 1);
    expect(repeated).toHaveLength(5);
    for (const p of repeated) {
      expect(p).toHaveLength(2);
      expect(p[0]).not.toBe(p[1]);
    }
  });

  it('never repeats a refanged value for the same member', () => {
    const keys = indicators.map((i) => `${i.memberId}|${refang(i.input.value).toLowerCase()}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('demo notices', () => {
  it('has exactly 12 notices covering every category', () => {
    expect(notices).toHaveLength(12);
    expect(new Set(notices.map((n) => n.input.category))).toEqual(new Set(NOTICE_CATEGORIES));
  });

  it('has at least three future embargoes and one already lifted', () => {
    const embargoes = notices.flatMap((n) => (n.input.embargoUntil ? [n.input.embargoUntil.getTime()] : []));
    expect(embargoes.filter((t) => t > NOW.getTime()).length).toBeGreaterThanOrEqual(3);
    expect(embargoes.filter((t) => t < NOW.getTime()).length).toBeGreaterThanOrEqual(1);
  });

  it('has at least two RED notices, each with recipients that are other demo members', () => {
    const red = notices.filter((n) => n.input.tlp === 'RED');
    expect(red.length).toBeGreaterThanOrEqual(2);
    for (const { memberId, input } of red) {
      expect(input.recipients?.length).toBeGreaterThan(0);
      for (const r of input.recipients ?? []) {
        expect(memberIds).toContain(r);
        expect(r).not.toBe(memberId);
      }
    }
    for (const { input } of notices.filter((n) => n.input.tlp !== 'RED')) {
      expect(input.recipients ?? []).toEqual([]);
    }
  });

  it('is mostly PUBLISHED with at least one DRAFT, UNDER_REVIEW and MITIGATED', () => {
    const statuses = notices.map((n) => n.input.status);
    expect(statuses.filter((s) => s === 'PUBLISHED').length).toBeGreaterThan(notices.length / 2);
    for (const s of ['DRAFT', 'UNDER_REVIEW', 'MITIGATED'] as const) expect(statuses).toContain(s);
  });

  it('uses several severities and TLPs', () => {
    expect(new Set(notices.map((n) => n.input.severity)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(notices.map((n) => n.input.tlp)).size).toBeGreaterThanOrEqual(4);
  });

  it('references only valid ATLAS technique ids and OWASP LLM 2025 ids', () => {
    for (const { input } of notices) {
      for (const t of input.atlasTechniques ?? []) expect(isAtlasTechnique(t), t).toBe(true);
      for (const o of input.owaspLlm ?? []) expect(isOwaspLlm2025(o), o).toBe(true);
    }
    expect(notices.filter((n) => (n.input.atlasTechniques ?? []).length > 0).length).toBeGreaterThan(6);
  });

  it('fills mitigations, technical details, evidence and affected deployments on most notices', () => {
    const full = notices.filter(
      (n) =>
        !!n.input.mitigations &&
        !!n.input.technicalDetails &&
        !!n.input.evaluationEvidence &&
        (n.input.affectedDeployments ?? []).length > 0,
    );
    expect(full.length).toBeGreaterThan(notices.length / 2);
  });

  it('is published mostly by the lab, some by the agency and one by the ISAC', () => {
    const count = (id: string) => notices.filter((n) => n.memberId === id).length;
    expect(count('demo-lab')).toBeGreaterThan(notices.length / 2);
    expect(count('demo-agency')).toBeGreaterThan(0);
    expect(count('demo-isac')).toBe(1);
    expect(count('demo-lab') + count('demo-agency') + count('demo-isac')).toBe(notices.length);
  });

  it('leaves related indicator ids empty', () => {
    for (const { input } of notices) expect(input.relatedIndicatorIds ?? []).toEqual([]);
  });
});

describe('demo clearinghouse reports', () => {
  const cases = demoVulnerabilities();
  const all = Object.values(cases);

  it('are three AI-found flaws credited to the model as TOOL and to a person as FINDER, against the two demo vendors', () => {
    expect(all).toHaveLength(3);
    for (const c of all) {
      expect(c.discovery).toMatchObject({ method: 'AI_MODEL', model: { name: 'Orion-4', developer: 'Demo Frontier AI Lab' } });
      expect(c.credits?.map((x) => x.type)).toEqual(['TOOL', 'FINDER']);
      expect(c.proofOfConcept).toMatch(/^DEMO PROOF OF CONCEPT/);
    }
    expect(new Set(all.flatMap((c) => c.affected.map((a) => a.vendorId)))).toEqual(new Set(['demo-vendor-a', 'demo-vendor-b']));
    expect(cases.exploited.exploited).toBe(true);
  });

  it('make the duplicate match its original on product and CWE (coordinators see it flagged)', () => {
    expect(cases.duplicate.affected[0]!.product).toBe(cases.exploited.affected[0]!.product);
    expect(cases.duplicate.cwes).toEqual(cases.exploited.cwes);
  });

  it('use only fictional identifiers: a CVE id of the year 2099 and reserved-looking package names', () => {
    expect(cases.published.cveId).toBe('CVE-2099-0042');
    for (const c of all) for (const a of c.affected) expect(a.purl).toMatch(/demo/);
  });
});

describe('determinism', () => {
  it('returns deep-equal data for two calls with the same now', () => {
    const now = new Date(NOW.getTime());
    expect(demoMembers(now)).toEqual(demoMembers(new Date(NOW.getTime())));
    expect(demoIndicators(now)).toEqual(demoIndicators(new Date(NOW.getTime())));
    expect(demoNotices(now)).toEqual(demoNotices(new Date(NOW.getTime())));
  });

  it('shifts all dates with now but keeps the values', () => {
    const later = new Date(NOW.getTime() + 86_400_000);
    const a = demoIndicators(NOW);
    const b = demoIndicators(later);
    expect(b.map((i) => i.input.value)).toEqual(a.map((i) => i.input.value));
    expect(b[0]?.input.validFrom?.getTime()).toBe((a[0]?.input.validFrom?.getTime() ?? 0) + 86_400_000);
  });
});

describe('demo indicators against the normaliser', () => {
  it('normalises every demo indicator without error, agreeing with any explicit type', () => {
    const failures: string[] = [];
    for (const { input } of indicators) {
      try {
        const n = normalizeIndicator(input.value, input.type);
        if (input.type && n.type !== input.type) failures.push(`${input.value}: ${input.type} became ${n.type}`);
      } catch (e) {
        failures.push(`${input.type ?? '?'} ${input.value}: ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('has unique (member, normalised value) pairs', () => {
    const keys = indicators.map(({ memberId, input }) => {
      const n = normalizeIndicator(input.value, input.type);
      return `${memberId}|${n.type}|${n.value}`;
    });
    expect(new Set(keys).size).toBe(keys.length);
    const values = indicators.map(({ memberId, input }) => `${memberId}|${normalizeIndicator(input.value, input.type).value}`);
    expect(new Set(values).size).toBe(values.length);
  });

  it('infers the intended type for untyped values, defanged ones included', () => {
    for (const { input } of indicators.filter((i) => !i.input.type)) {
      expect(normalizeIndicator(input.value).type, input.value).toBe(guessType(input.value));
    }
  });
});

describe('demo model reviews', () => {
  const DAY = 86_400_000;
  const { open, closed } = demoReviews(NOW);

  it('is a function of now (and the review window) only, with the documented stable ids', () => {
    expect(demoReviews(NOW)).toEqual({ open, closed });
    expect([open.id, closed.id]).toEqual([DEMO_OPEN_REVIEW, DEMO_CLOSED_REVIEW]);
    expect(DEMO_OPEN_REVIEW).toBe('x-model-review--76b7aa4a-1920-5674-ae6e-85b06e27b370');
    expect(DEMO_CLOSED_REVIEW).toBe('x-model-review--d18d168c-d5d8-5ff4-ae35-1f1b2207cac2');
    expect([...open.findings, ...closed.findings].map((f) => f.id)).toEqual(Object.values(DEMO_FINDINGS));
  });

  it('has the lab schedule Orion-5 (OPEN now) and Orion-4 (CLOSED now), three findings of different TLPs on the open one, the RED one with recipients', () => {
    const status = (r: typeof open) => modelReviewStatus({ cancelledAt: null, closesAt: r.input.plannedDeploymentAt, windowOpensAt: r.input.windowOpensAt ?? new Date(r.input.plannedDeploymentAt.getTime() - 30 * DAY) }, NOW);
    expect([status(open), status(closed)]).toEqual(['OPEN', 'CLOSED']);
    expect(open.findings.map((f) => f.input.tlp)).toEqual(['GREEN', 'AMBER', 'RED']);
    expect(open.findings[2]!.input.recipients).toEqual(['demo-lab']);
    expect(new Set(open.findings.map((f) => f.memberId))).toEqual(new Set(['demo-agency', 'demo-isac']));
    expect(open.invite).toEqual(['demo-isac']);
    expect(closed.input.publicSummary).toBe(true);
  });

  it.each([7, 30, 45])('schedules each review at least the window (%i days) ahead and files every finding inside its window, before now', (days) => {
    const windowMs = days * DAY;
    for (const r of Object.values(demoReviews(NOW, windowMs))) {
      const planned = r.input.plannedDeploymentAt.getTime();
      const opens = (r.input.windowOpensAt ?? new Date(planned - windowMs)).getTime();
      expect(planned - r.scheduledAt.getTime()).toBeGreaterThanOrEqual(windowMs);
      expect(opens).toBeLessThanOrEqual(planned - windowMs);
      expect(opens).toBeGreaterThan(r.scheduledAt.getTime());
      for (const f of r.findings) {
        expect(f.filedAt.getTime()).toBeGreaterThan(opens);
        expect(f.filedAt.getTime()).toBeLessThan(Math.min(planned, NOW.getTime()));
      }
    }
  });

  it('references only valid ATLAS technique ids and OWASP LLM 2025 ids', () => {
    for (const f of [...open.findings, ...closed.findings]) {
      for (const id of f.input.atlasTechniques ?? []) expect(isAtlasTechnique(id), id).toBe(true);
      for (const id of f.input.owaspLlm ?? []) expect(isOwaspLlm2025(id), id).toBe(true);
    }
  });
});
