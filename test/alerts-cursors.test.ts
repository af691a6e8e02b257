/**
 * Alert cursors on their own: opaque, one length, deterministic per member, and opened only for
 * the member they were sealed for.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AlertCursors } from '../src/alerts/alert-cursors.js';
import { CursorCodec } from '../src/util/cursor-codec.js';
import { ANONYMOUS, type Viewer } from '../src/policy/policy.js';

const key = randomBytes(32);
const cursors = new AlertCursors(key);
const member = (memberId: string, tier: 'COMMUNITY' | 'TRUSTED' = 'COMMUNITY', userId = 'u'): Viewer => ({ kind: 'member', memberId, userId, roles: ['reader'], tier });

describe('alert cursors', () => {
  it('open to the place they were sealed with, for any person and tier of the same member', () => {
    const place = { position: 123_456, at: 1_790_000_000_123 };
    const sealed = cursors.seal(member('m1'), place);
    expect(cursors.open(member('m1', 'TRUSTED', 'someone-else'), sealed)).toEqual(place);
    expect(cursors.open(ANONYMOUS, cursors.seal(ANONYMOUS, place))).toEqual(place);
  });

  it('have one length whatever the position and time, and are the same string for the same member and place', () => {
    const lengths = new Set([0, 9, 10, 99_999, 2 ** 40].map((position) => cursors.seal(member('m1'), { position, at: position * 7 }).length));
    expect([...lengths]).toEqual([58]);
    expect(cursors.seal(member('m1'), { position: 5, at: 6 })).toBe(cursors.seal(member('m1', 'TRUSTED', 'other'), { position: 5, at: 6 }));
    expect(cursors.seal(member('m1'), { position: 5, at: 6 })).not.toBe(cursors.seal(member('m2'), { position: 5, at: 6 }));
  });

  it("do not open for another member, anonymously, with another key, when tampered with, or from a connection cursor", () => {
    const sealed = cursors.seal(member('m1'), { position: 5, at: 6 });
    expect(cursors.open(member('m2'), sealed)).toBeNull();
    expect(cursors.open(ANONYMOUS, sealed)).toBeNull();
    expect(new AlertCursors(randomBytes(32)).open(member('m1'), sealed)).toBeNull();
    const flipped = sealed.slice(0, 40) + (sealed[40] === 'A' ? 'B' : 'A') + sealed.slice(41);
    expect(cursors.open(member('m1'), flipped)).toBeNull();
    expect(cursors.open(member('m1'), new CursorCodec(key).seal('m1', [5]))).toBeNull();
    for (const garbage of ['', '5', 'x'.repeat(58), `${sealed}=`]) expect(cursors.open(member('m1'), garbage)).toBeNull();
  });
});
