import { describe, expect, it } from 'vitest';
import {
  NOTICE_TRANSITIONS,
  canTransition,
  isAtlasTechnique,
  isOwaspLlm2025,
} from '../src/domain/notice-rules.js';
import { NOTICE_STATUSES, type NoticeStatus } from '../src/domain/types.js';

const ALLOWED: Array<[NoticeStatus, NoticeStatus]> = [
  ['DRAFT', 'UNDER_REVIEW'],
  ['DRAFT', 'PUBLISHED'],
  ['DRAFT', 'RETRACTED'],
  ['UNDER_REVIEW', 'DRAFT'],
  ['UNDER_REVIEW', 'PUBLISHED'],
  ['UNDER_REVIEW', 'RETRACTED'],
  ['PUBLISHED', 'MITIGATED'],
  ['PUBLISHED', 'RETRACTED'],
  ['MITIGATED', 'PUBLISHED'],
  ['MITIGATED', 'RETRACTED'],
];

const FORBIDDEN: Array<[NoticeStatus, NoticeStatus]> = [
  ['RETRACTED', 'PUBLISHED'],
  ['RETRACTED', 'DRAFT'],
  ['RETRACTED', 'MITIGATED'],
  ['PUBLISHED', 'DRAFT'],
  ['PUBLISHED', 'UNDER_REVIEW'],
  ['MITIGATED', 'DRAFT'],
  ['MITIGATED', 'UNDER_REVIEW'],
  ['DRAFT', 'MITIGATED'],
  ['UNDER_REVIEW', 'MITIGATED'],
];

describe('notice status transitions', () => {
  it.each(ALLOWED)('allows a notice to move from %s to %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(FORBIDDEN)('forbids a notice to move from %s to %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it.each(NOTICE_STATUSES.map((s) => [s]))('does not treat %s to itself as a transition', (s) => {
    expect(canTransition(s, s)).toBe(false);
  });

  it('treats RETRACTED as terminal', () => {
    expect(NOTICE_TRANSITIONS.RETRACTED).toEqual([]);
    for (const to of NOTICE_STATUSES) expect(canTransition('RETRACTED', to)).toBe(false);
  });

  it('lists exactly the allowed transitions and nothing else', () => {
    const listed = NOTICE_STATUSES.flatMap((from) => NOTICE_TRANSITIONS[from].map((to) => `${from}->${to}`));
    expect(listed.sort()).toEqual(ALLOWED.map(([f, t]) => `${f}->${t}`).sort());
  });

  it('has an entry for every status', () => {
    expect(Object.keys(NOTICE_TRANSITIONS).sort()).toEqual([...NOTICE_STATUSES].sort());
  });
});

describe('MITRE ATLAS technique ids', () => {
  it.each(['AML.T0051', 'AML.T0051.001', 'AML.T0051.000', 'AML.T0054', 'AML.T0057', 'AML.T0043'])(
    'accepts %s',
    (id) => {
      expect(isAtlasTechnique(id)).toBe(true);
    },
  );

  it.each([
    'AML.T51',
    'aml.t0051',
    'AML.T0051.01',
    'AML.TA0001',
    'AML.T00511',
    'AML.T0051.0001',
    'AML.T0051.',
    ' AML.T0051',
    'AML.T0051 ',
    'AML.T0051\n',
    'AMLxT0051',
    '',
  ])('rejects %j', (id) => {
    expect(isAtlasTechnique(id)).toBe(false);
  });
});

describe('OWASP Top 10 for LLM Applications 2025 ids', () => {
  it.each(['LLM01:2025', 'LLM02:2025', 'LLM06:2025', 'LLM09:2025', 'LLM10:2025'])('accepts %s', (id) => {
    expect(isOwaspLlm2025(id)).toBe(true);
  });

  it.each([
    'LLM11:2025',
    'LLM00:2025',
    'LLM01:2023',
    'llm01:2025',
    'LLM1:2025',
    'LLM010:2025',
    'LLM01',
    'LLM01:2025 ',
    'LLM01:2025\n',
    'LLM01-2025',
    '',
  ])('rejects %j', (id) => {
    expect(isOwaspLlm2025(id)).toBe(false);
  });
});
