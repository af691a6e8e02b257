import { describe, expect, it } from 'vitest';
import { DEFAULT_DISCLOSURE_CLOCKS as clocks } from '../src/domain/disclosure-clocks.js';
import { disclosureDeadline, escalationDueAt } from '../src/domain/disclosure-deadline.js';
import { freeSlots, nextSlotAt } from '../src/domain/disclosure-pacing.js';
import { autoPublishAt, nextStage } from '../src/domain/disclosure-schedule.js';
import { duplicateCheck, fixAvailable, publishCheck, statusAfterValidation, statusAfterVendorChange } from '../src/domain/disclosure-status.js';
import { NO_EMBARGO } from '../src/domain/embargo-machine.js';
import type { VendorStatusEntry } from '../src/domain/vulnerability.js';

const DAY = 86_400_000;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);
const entry = (vendorId: string, over: Partial<VendorStatusEntry> = {}): VendorStatusEntry => ({
  vendorId, status: 'UNKNOWN', notifiedAt: null, queuedAt: null, acknowledgedAt: null, escalatedAt: null, fixedIn: null, note: null, updatedAt: t0, ...over,
});

describe('status transitions', () => {
  it('only a RECEIVED case gets a verdict', () => {
    expect(statusAfterValidation('RECEIVED', 'VALIDATED')).toEqual({ ok: true, value: 'VALIDATED' });
    expect(statusAfterValidation('RECEIVED', 'INVALID')).toEqual({ ok: true, value: 'INVALID' });
    expect(statusAfterValidation('VALIDATED', 'INVALID')).toMatchObject({ ok: false, refusal: { code: 'INVALID_TRANSITION' } });
  });

  it('VALIDATED becomes FIX_AVAILABLE when every member vendor is FIXED or NOT_AFFECTED, and never goes back', () => {
    const mixed = [entry('a', { status: 'FIXED' }), entry('b', { status: 'AFFECTED' })];
    const done = [entry('a', { status: 'FIXED' }), entry('b', { status: 'NOT_AFFECTED' })];
    expect(fixAvailable([])).toBe(false);
    expect(statusAfterVendorChange('VALIDATED', mixed)).toBe('VALIDATED');
    expect(statusAfterVendorChange('VALIDATED', done)).toBe('FIX_AVAILABLE');
    expect(statusAfterVendorChange('FIX_AVAILABLE', mixed)).toBe('FIX_AVAILABLE');
    expect(statusAfterVendorChange('RECEIVED', done)).toBe('RECEIVED');
  });

  it('publishing alone needs the fix or a passed deadline, and no embargo holding', () => {
    const base = { status: 'VALIDATED' as const, deadlineAt: at(90), embargo: NO_EMBARGO };
    expect(publishCheck(base, at(1))).toMatchObject({ ok: true, value: { needsApproval: expect.stringContaining('no fix') } });
    expect(publishCheck(base, at(90))).toEqual({ ok: true, value: { needsApproval: null } });
    expect(publishCheck({ ...base, status: 'FIX_AVAILABLE' }, at(1))).toEqual({ ok: true, value: { needsApproval: null } });
    const embargo = { ...NO_EMBARGO, state: 'ACTIVE' as const, endsAt: at(120) };
    expect(publishCheck({ ...base, status: 'FIX_AVAILABLE', embargo }, at(100))).toMatchObject({ ok: true, value: { needsApproval: expect.stringContaining('embargo') } });
    expect(publishCheck({ ...base, status: 'PUBLISHED' }, at(1))).toMatchObject({ ok: false, refusal: { code: 'INVALID_TRANSITION' } });
  });

  it('duplicates: not of itself, only live cases', () => {
    expect(duplicateCheck({ _id: 'x', status: 'RECEIVED' }, { _id: 'x', status: 'VALIDATED', duplicateOf: null })).toMatchObject({ ok: false, refusal: { field: 'of' } });
    expect(duplicateCheck({ _id: 'x', status: 'PUBLISHED' }, { _id: 'y', status: 'VALIDATED', duplicateOf: null })).toMatchObject({ ok: false, refusal: { field: 'id' } });
    expect(duplicateCheck({ _id: 'x', status: 'RECEIVED' }, { _id: 'y', status: 'CLOSED', duplicateOf: null })).toMatchObject({ ok: false, refusal: { field: 'of' } });
    expect(duplicateCheck({ _id: 'x', status: 'VALIDATED' }, { _id: 'y', status: 'PUBLISHED', duplicateOf: null })).toEqual({ ok: true, value: true });
  });
});

describe('the clocks', () => {
  it('the deadline is 90 days from the first notification, 7 when exploited; later notifications do not move it', () => {
    const entries = [entry('a', { notifiedAt: at(3) }), entry('b', { notifiedAt: at(1) }), entry('c')];
    expect(disclosureDeadline(entries, at(0), false, clocks)).toEqual(at(91));
    expect(disclosureDeadline(entries, at(0), true, clocks)).toEqual(at(8));
    expect(disclosureDeadline([entry('a')], at(0), false, clocks)).toBeNull();
    expect(disclosureDeadline([], at(2), false, clocks)).toEqual(at(92));
  });

  it('escalation is due 30 days after notification unless acknowledged or already escalated', () => {
    expect(escalationDueAt(entry('a', { notifiedAt: at(1) }), clocks)).toEqual(at(31));
    expect(escalationDueAt(entry('a', { notifiedAt: at(1), acknowledgedAt: at(2) }), clocks)).toBeNull();
    expect(escalationDueAt(entry('a', { notifiedAt: at(1), escalatedAt: at(31) }), clocks)).toBeNull();
    expect(escalationDueAt(entry('a'), clocks)).toBeNull();
  });

  it('pacing: PACE notifications per rolling 7 days; the next slot frees when the oldest in the window leaves it', () => {
    const sent = [at(0), at(1), at(2)];
    expect(freeSlots(sent, at(3), 3)).toBe(0);
    expect(nextSlotAt(sent, at(3), 3)).toEqual(at(7));
    expect(freeSlots(sent, at(7), 3)).toBe(1);
    expect(freeSlots(sent, at(3), 5)).toBe(2);
    expect(nextSlotAt(sent, at(3), 5)).toEqual(at(3));
    expect(nextSlotAt([at(0), at(1), at(2), at(2.5)], at(3), 2)).toEqual(at(9));
  });

  it('the schedule: publication at max(deadline, embargo in force), then the proof of concept 45 days later', () => {
    const doc = { status: 'VALIDATED' as const, deadlineAt: at(90), embargo: NO_EMBARGO, publishedAt: null };
    expect(nextStage(doc, 'VALIDATED', clocks)).toEqual({ nextStage: 'PUBLISHED', nextStageAt: at(90) });
    const embargo = { ...NO_EMBARGO, state: 'ACTIVE' as const, endsAt: at(120) };
    expect(autoPublishAt({ ...doc, embargo })).toEqual(at(120));
    expect(autoPublishAt({ ...doc, embargo: { ...embargo, state: 'PROPOSED' as const } })).toEqual(at(90));
    expect(nextStage({ ...doc, status: 'RECEIVED', deadlineAt: null }, 'RECEIVED', clocks)).toEqual({ nextStage: null, nextStageAt: null });
    expect(nextStage({ ...doc, deadlineAt: null }, 'VALIDATED', clocks)).toEqual({ nextStage: null, nextStageAt: null });
    expect(nextStage({ ...doc, status: 'PUBLISHED', publishedAt: at(10) }, 'PUBLISHED', clocks)).toEqual({ nextStage: 'PROOF_OF_CONCEPT_RELEASED', nextStageAt: at(55) });
    expect(nextStage({ ...doc, status: 'CLOSED' }, 'VALIDATED', clocks)).toEqual({ nextStage: null, nextStageAt: null });
  });
});
