import { describe, expect, it } from 'vitest';
import { acceptEmbargo, embargoAt, embargoHolds, embargoNextChangeAt, liftEmbargo, NO_EMBARGO, proposeEmbargo, rejectEmbargo } from '../src/domain/embargo-machine.js';
import type { DisclosureOutcome } from '../src/domain/disclosure-refusal.js';
import type { Embargo } from '../src/domain/vulnerability.js';

const DAY = 86_400_000;
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (days: number) => new Date(t0.getTime() + days * DAY);
const coordinator = { memberId: 'cert', userId: 'carol' };
const vendors = ['acme', 'globex'];

function ok<T>(o: DisclosureOutcome<T>): T {
  if (!o.ok) throw new Error(`refused: ${o.refusal.message}`);
  return o.value;
}

const propose = (e: Embargo, endsAt: Date, now = t0, vs = vendors) => proposeEmbargo(e, { endsAt, reason: 'patch train', by: coordinator, now, vendors: vs });

describe('the embargo state machine (Vultron)', () => {
  it('goes NONE -> PROPOSED -> ACTIVE once every affected member vendor accepts', () => {
    const proposed = ok(propose(NO_EMBARGO, at(30)));
    expect(proposed).toMatchObject({ state: 'PROPOSED', endsAt: at(30), acceptedBy: [] });
    expect(embargoHolds(proposed, t0)).toBe(false);
    const half = ok(acceptEmbargo(proposed, 'acme', vendors, at(1)));
    expect(half).toMatchObject({ state: 'PROPOSED', acceptedBy: ['acme'] });
    const active = ok(acceptEmbargo(half, 'globex', vendors, at(2)));
    expect(active).toMatchObject({ state: 'ACTIVE', endsAt: at(30), proposedBy: null });
    expect(embargoHolds(active, at(29))).toBe(true);
    expect(embargoHolds(active, at(30))).toBe(false);
  });

  it('refuses a second acceptance by the same vendor, and acceptance by a vendor that is not affected', () => {
    const proposed = ok(propose(NO_EMBARGO, at(30)));
    const once = ok(acceptEmbargo(proposed, 'acme', vendors, t0));
    expect(acceptEmbargo(once, 'acme', vendors, t0)).toMatchObject({ ok: false, refusal: { code: 'INVALID_TRANSITION' } });
    expect(acceptEmbargo(proposed, 'initech', vendors, t0)).toMatchObject({ ok: false, refusal: { code: 'INVALID_TRANSITION' } });
  });

  it('a new proposal while ACTIVE is REVISE: the end in force holds until every vendor accepts the new one', () => {
    let e = ok(propose(NO_EMBARGO, at(30)));
    for (const v of vendors) e = ok(acceptEmbargo(e, v, vendors, t0));
    const revise = ok(propose(e, at(60), at(5)));
    expect(revise).toMatchObject({ state: 'REVISE', endsAt: at(30), proposedEndsAt: at(60) });
    expect(embargoHolds(revise, at(10))).toBe(true);
    let r = revise;
    for (const v of vendors) r = ok(acceptEmbargo(r, v, vendors, at(6)));
    expect(r).toMatchObject({ state: 'ACTIVE', endsAt: at(60) });
  });

  it('a rejection puts the embargo back as it was before the proposal, keeping the reason', () => {
    const proposed = ok(propose(NO_EMBARGO, at(30)));
    expect(ok(rejectEmbargo(proposed, 'acme', vendors, 'too long', at(1)))).toMatchObject({
      state: 'NONE', endsAt: null, lastRejection: { vendorId: 'acme', reason: 'too long', at: at(1) },
    });
    let active = proposed;
    for (const v of vendors) active = ok(acceptEmbargo(active, v, vendors, t0));
    const revise = ok(propose(active, at(90), at(2)));
    expect(ok(rejectEmbargo(revise, 'globex', vendors, 'no', at(3)))).toMatchObject({ state: 'ACTIVE', endsAt: at(30), proposedEndsAt: null });
    expect(rejectEmbargo(active, 'globex', vendors, 'no', at(3))).toMatchObject({ ok: false, refusal: { code: 'INVALID_TRANSITION' } });
  });

  it('EXITED at its end, and final: no new proposal after', () => {
    let e = ok(propose(NO_EMBARGO, at(30)));
    for (const v of vendors) e = ok(acceptEmbargo(e, v, vendors, t0));
    expect(embargoNextChangeAt(e)).toEqual(at(30));
    expect(embargoAt(e, at(29))).toBeNull();
    const exited = embargoAt(e, at(30))!;
    expect(exited).toMatchObject({ state: 'EXITED', endsAt: at(30) });
    expect(propose(exited, at(60), at(31))).toMatchObject({ ok: false, refusal: { code: 'INVALID_TRANSITION' } });
  });

  it('a REVISE whose end in force passes first exits; a proposal whose end passes unaccepted lapses', () => {
    let e = ok(propose(NO_EMBARGO, at(10)));
    for (const v of vendors) e = ok(acceptEmbargo(e, v, vendors, t0));
    const revise = ok(propose(e, at(40), at(1)));
    expect(embargoNextChangeAt(revise)).toEqual(at(10));
    expect(embargoAt(revise, at(10))).toMatchObject({ state: 'EXITED', endsAt: at(10) });
    const proposed = ok(propose(NO_EMBARGO, at(3)));
    expect(embargoAt(proposed, at(3))).toMatchObject({ state: 'NONE', endsAt: null });
    expect(acceptEmbargo(proposed, 'acme', vendors, at(3))).toMatchObject({ ok: false, refusal: { code: 'INVALID_TRANSITION' } });
  });

  it('with no member vendor to accept, the proposal is the embargo', () => {
    expect(ok(propose(NO_EMBARGO, at(30), t0, []))).toMatchObject({ state: 'ACTIVE', endsAt: at(30) });
  });

  it('refuses an end in the past or more than a year ahead (BAD_USER_INPUT on endsAt)', () => {
    expect(propose(NO_EMBARGO, t0)).toMatchObject({ ok: false, refusal: { code: 'BAD_USER_INPUT', field: 'endsAt' } });
    expect(propose(NO_EMBARGO, at(400))).toMatchObject({ ok: false, refusal: { code: 'BAD_USER_INPUT', field: 'endsAt' } });
  });

  it('an approved early lift exits now, or shortens; nothing to lift once it ended', () => {
    let e = ok(propose(NO_EMBARGO, at(30)));
    for (const v of vendors) e = ok(acceptEmbargo(e, v, vendors, t0));
    expect(liftEmbargo(e, null, at(3))).toMatchObject({ state: 'EXITED', endsAt: at(3) });
    expect(liftEmbargo(e, at(10), at(3))).toMatchObject({ state: 'ACTIVE', endsAt: at(10) });
    expect(liftEmbargo(e, at(40), at(3))).toBeNull();
    expect(liftEmbargo(e, null, at(30))).toBeNull();
  });
});
