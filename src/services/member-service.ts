import type { Member, MemberTier } from '../domain/types.js';
import { badInput, unauthenticated } from '../errors.js';
import type { Viewer } from '../policy/policy.js';
import type { MemberRepository } from '../store/ports.js';

/** Members the registry holds (the cost analysis counts the `members` directory by it). */
export const MAX_MEMBERS = 1_000;

/** The member registry: organisations, their kind, sector and (authoritative) tier. */
export class MemberService {
  /** `onChanged` hears of every change to a member (tier, suspension): live connections are re-checked. */
  constructor(private readonly members: MemberRepository, private readonly onChanged: (memberId: string) => void = () => {}) {}

  async get(id: string): Promise<Member | null> {
    const [member] = await this.members.findByIds([id]);
    return member ?? null;
  }

  async getMany(ids: readonly string[]): Promise<Member[]> {
    return ids.length ? this.members.findByIds(ids) : [];
  }

  /** The directory, for members only: anonymous callers do not learn who belongs to the hub. */
  async directory(viewer: Viewer): Promise<Member[]> {
    if (viewer.kind === 'anonymous') throw unauthenticated('The member directory is for members: send a token');
    return this.members.list();
  }

  /** Ids of the members in any of these sectors. */
  async idsInSectors(sectors: readonly string[]): Promise<string[]> {
    const wanted = new Set(sectors);
    return (await this.members.list()).filter((m) => wanted.has(m.sector)).map((m) => m._id);
  }

  async register(member: Member): Promise<void> {
    if (!(await this.get(member._id)) && (await this.members.list()).length >= MAX_MEMBERS) {
      throw badInput(`The registry holds at most ${MAX_MEMBERS} members`, 'id');
    }
    await this.members.put(member);
    this.onChanged(member._id);
  }

  /**
   * Sets a member's tier, only if it still is `expected` (an approved request's re-check).
   * Returns the member as it was, or null when it is missing or its tier has moved on. Called by
   * ApprovalService once a second hub-admin approved; the new tier applies from the member's
   * next request, as the Authenticator reads the registry on every request. Read, then put: the
   * port has no conditional member write yet, so a registry write landing in between would be
   * overwritten; the MongoDB adapter should make this one update on `{_id, tier: expected}`.
   */
  async changeTier(id: string, expected: MemberTier, tier: MemberTier): Promise<Member | null> {
    const current = await this.get(id);
    if (!current || current.tier !== expected) return null;
    await this.members.put({ ...current, tier });
    this.onChanged(id);
    return current;
  }
}
