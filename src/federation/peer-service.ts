/**
 * Peer hubs as members (docs/federation.md): registering one (a two-person change), listing them
 * with their pullers' state, pausing, resuming and removing. A peer is a member of kind HUB whose
 * document carries its pull settings (`Member.peer`); its credential is sealed (`PeerCredentials`).
 */
import { clip } from '../util/clip.js';
import { PEER_KINDS, MAX_PEER_TAGS, type PeerConfig, type PeerKind, type PeerStatus } from '../domain/peer.js';
import { SEVERITIES, TIERS, type ActorRef, type ApprovalRequestDoc, type Member, type MemberStatus, type MemberTier, type Severity } from '../domain/types.js';
import { badInput, hubError } from '../errors.js';
import { assertMayChangeMemberStanding, assertMayManagePeers, type Viewer } from '../policy/policy.js';
import type { MemberRepository } from '../store/ports.js';
import type { ApprovalService } from '../services/approval-service.js';
import type { AuditService } from '../services/audit-service.js';
import { MAX_MEMBERS, validateRegistration, type MemberService } from '../services/member-service.js';
import type { PeerCredentials } from './peer-credentials.js';
import type { PullerState } from './peer-puller.js';

/** What `registerPeer` takes (GraphQL `PeerInput`). */
export interface PeerInput {
  id: string;
  name: string;
  country: string;
  sector?: string | null;
  tier: string;
  url: string;
  credential: string;
  kinds?: readonly string[] | null;
  minSeverity?: string | null;
  tags?: readonly string[] | null;
  shareOnward?: boolean | null;
  reason?: string | null;
}

/** A peer as `peers` shows it: the member, its settings, and its puller's state on this instance. */
export interface PeerView {
  id: string;
  member: Member;
  url: string;
  pull: PeerConfig['pull'];
  shareOnward: boolean;
  status: PeerStatus;
  lastReceivedAt: Date | null;
  lastEventAt: Date | null;
  lagSeconds: number | null;
  received: number;
  refused: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  createdAt: Date;
}

export interface PeerServiceDeps {
  members: MemberRepository;
  memberService: MemberService;
  approvals: () => ApprovalService;
  audit: AuditService;
  credentials: PeerCredentials;
  /** This hub's HUB_ID: a hub does not peer with itself. */
  hubId: string;
  /** The pullers' state on this instance, by peer id (null before the pullers run: the CLI). */
  pullerState: (peerId: string) => PullerState | null;
  /** Told when a peer's settings change, so the pullers re-read them at once. */
  onChanged: (peerId: string) => void;
  now?: () => Date;
}

const URL_MAX = 2_000;

export class PeerService {
  private readonly now: () => Date;

  constructor(private readonly deps: PeerServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Registers a peer (hub-admin): a member of kind HUB at `tier`, PENDING, its settings and sealed
   * credential on it, and a REGISTER_PEER request for a second hub-admin (another person). Nothing
   * is pulled, and the peer receives nothing, until it is approved (the member is then ACTIVE).
   */
  async register(viewer: Viewer, input: PeerInput): Promise<PeerView> {
    assertMayChangeMemberStanding(viewer, null);
    const fields = validateRegistration({ id: input.id, name: input.name, kind: 'HUB', sector: input.sector?.trim() || 'federation', country: input.country, allowedRoles: ['reader'] });
    if (fields.id === this.deps.hubId) throw badInput(`"${fields.id}" is this hub's own HUB_ID: a hub does not peer with itself`, 'input.id');
    if (!(TIERS as readonly string[]).includes(input.tier) || input.tier === 'PUBLIC') throw badInput('tier must be COMMUNITY, TRUSTED or CORE', 'input.tier');
    const url = peerUrl(input.url);
    if (!/^hubk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/.test(input.credential)) throw badInput('credential must be an API key the peer issued to this hub (hubk_...)', 'input.credential');
    const kinds = [...new Set(input.kinds ?? PEER_KINDS)];
    const badKind = kinds.find((k) => !(PEER_KINDS as readonly string[]).includes(k));
    if (badKind !== undefined || kinds.length === 0) throw badInput(`kinds must be among ${PEER_KINDS.join(', ')}`, 'input.kinds');
    if (input.minSeverity != null && !(SEVERITIES as readonly string[]).includes(input.minSeverity)) throw badInput(`minSeverity must be one of ${SEVERITIES.join(', ')}`, 'input.minSeverity');
    const tags = [...new Set((input.tags ?? []).map((t) => t.trim().toLowerCase()))];
    if (tags.length > MAX_PEER_TAGS || tags.some((t) => t.length === 0 || t.length > 64)) throw badInput(`at most ${MAX_PEER_TAGS} tags, each 1 to 64 characters`, 'input.tags');
    const reason = input.reason?.trim() ? clip(input.reason.trim(), 1_000) : `register peer ${fields.id}`;
    const tier = input.tier as MemberTier;
    const now = this.now();
    const by = { memberId: viewer.memberId, userId: viewer.userId };
    const peer: PeerConfig = {
      url,
      credential: this.deps.credentials.seal(fields.id, input.credential),
      pull: { kinds: kinds as PeerKind[], minSeverity: (input.minSeverity as Severity | null | undefined) ?? null, tags },
      shareOnward: input.shareOnward === true,
      requestId: null,
      paused: false,
      removedAt: null,
      cursor: null,
      lastEventAt: null,
      lastReceivedAt: null,
      createdAt: now,
    };
    const [existing] = await this.deps.members.findByIds([fields.id]);
    if (existing) {
      // The same hub both ways: its member here (kind HUB, ACTIVE) already receives from this hub
      // with a key this hub issued; pulling from it is added to that member, at the tier it has.
      if (existing.kind !== 'HUB' || existing.peer || existing.status !== 'ACTIVE') {
        throw badInput(`the id "${fields.id}" already names a member; only an ACTIVE member of kind HUB not yet pulled may become a peer`, 'input.id');
      }
      if (existing.tier !== tier) throw badInput(`member "${fields.id}" is ${existing.tier}: register the peer at that tier (requestTierChange changes it)`, 'input.tier');
      const request = await this.deps.approvals().requestPeerRegistration(viewer, fields.id, tier, 'ACTIVE', reason);
      const after = await this.deps.members.update(fields.id, { status: 'ACTIVE', tier }, { peer: { ...peer, requestId: request._id } });
      if (!after) throw hubError('INVALID_TRANSITION', `member "${fields.id}" changed meanwhile; nothing was registered`, 'input.id');
      this.deps.onChanged(fields.id);
      return this.view(after);
    }
    if ((await this.deps.members.list()).length >= MAX_MEMBERS) throw badInput(`The registry holds at most ${MAX_MEMBERS} members`, 'input.id');
    const member: Member = { _id: fields.id, name: fields.name, kind: 'HUB', tier, sector: fields.sector, country: fields.country, allowedRoles: fields.allowedRoles, status: 'PENDING', statusChange: { at: now, by, reason }, createdAt: now, peer };
    if (!(await this.deps.members.insert(member))) throw badInput(`the id "${fields.id}" already names a member`, 'input.id');
    const request = await this.deps.approvals().requestPeerRegistration(viewer, fields.id, tier, 'PENDING', reason);
    // The registration names its request: only this request can make the peer ACTIVE and pulled.
    const after = await this.deps.members.update(fields.id, { status: 'PENDING' }, { statusChange: { at: now, by, reason, requestId: request._id }, peer: { ...peer, requestId: request._id } });
    this.deps.onChanged(fields.id);
    return this.view(after ?? member);
  }

  /**
   * Applies an approved REGISTER_PEER request (ApprovalService): only while the peer still awaits
   * this very request; a member it created PENDING becomes ACTIVE. Returns the member's status as
   * it was, or null with nothing written.
   */
  async applyApprovedRegistration(request: ApprovalRequestDoc, approver: ActorRef, now: Date): Promise<{ status: MemberStatus } | null> {
    const [member] = await this.deps.members.findByIds([request.target.id]);
    if (!member?.peer || member.peer.requestId !== request._id || member.tier !== request.change.tier) return null;
    const was = member.status;
    if (was === 'PENDING') {
      const statusChange = { at: now, by: approver, reason: request.reason, requestId: request._id };
      const after = await this.deps.members.update(member._id, { status: 'PENDING', statusRequestId: request._id }, { status: 'ACTIVE', statusChange, peer: { ...member.peer, requestId: null } });
      if (!after) return null;
    } else if (was === 'ACTIVE') {
      const after = await this.deps.members.update(member._id, { status: 'ACTIVE', tier: member.tier }, { peer: { ...member.peer, requestId: null } });
      if (!after) return null;
    } else return null;
    this.deps.onChanged(member._id);
    return { status: was };
  }

  /** Every peer (hub-admins), with its puller's state on this instance. */
  async list(viewer: Viewer): Promise<PeerView[]> {
    assertMayManagePeers(viewer);
    return (await this.deps.members.list()).filter(isPeer).map((m) => this.view(m));
  }

  /** Stops pulling (hub-admin); the cursor is kept. */
  pause(viewer: Viewer, id: string): Promise<PeerView> {
    return this.setPaused(viewer, id, true);
  }

  /** Resumes pulling from the stored cursor (hub-admin). */
  resume(viewer: Viewer, id: string): Promise<PeerView> {
    return this.setPaused(viewer, id, false);
  }

  /**
   * Removes a peer for good (hub-admin of another member): the member is offboarded (its API keys
   * here revoked, so it receives nothing more), the credential it issued to this hub wiped, and
   * nothing more is pulled. Its records stay, attributed to it.
   */
  async remove(viewer: Viewer, id: string): Promise<PeerView> {
    assertMayManagePeers(viewer);
    const member = await this.peer(id);
    if (member.peer!.removedAt) throw hubError('INVALID_TRANSITION', `peer "${clip(id)}" was already removed`, 'id');
    if (member.status !== 'OFFBOARDED') await this.deps.memberService.offboard(viewer, id, 'peer removed');
    const after = await this.updatePeer(id, { credential: null, removedAt: this.now(), paused: true });
    await this.deps.audit.peerChanged('PEER_REMOVED', viewer, id);
    return this.view(after);
  }

  /** The peers the pullers run (ACTIVE, not paused or removed, with a credential), with their credential opened. */
  async runnable(): Promise<Array<{ member: Member; credential: string }>> {
    const out: Array<{ member: Member; credential: string }> = [];
    for (const m of (await this.deps.members.list()).filter(isPeer)) {
      const p = m.peer!;
      if (m.status !== 'ACTIVE' || p.requestId || p.paused || p.removedAt || !p.credential) continue;
      const credential = this.deps.credentials.open(m._id, p.credential);
      if (credential) out.push({ member: m, credential });
    }
    return out;
  }

  /** Stores a puller's cursor after the records it covers (only the cursor fields move). */
  async saveCursor(id: string, cursor: string, lastEventAt: Date | null, receivedAt: Date): Promise<void> {
    // Only while the peer is ACTIVE and as paused as when read: removePeer offboards before it wipes
    // the credential, so a save that read the peer before the removal cannot write the credential
    // (and `removedAt: null`) back after it, nor undo a pausePeer. An offboarded peer is never pulled
    // again; a save skipped for a pause is replayed (idempotently) on resume.
    const member = await this.peer(id);
    if (member.status !== 'ACTIVE' || member.peer!.removedAt) return;
    const after = await this.deps.members.update(id, { status: 'ACTIVE', peerPaused: member.peer!.paused }, { peer: { ...member.peer!, cursor, lastEventAt, lastReceivedAt: receivedAt } });
    if (after) this.deps.onChanged(id);
  }

  private async setPaused(viewer: Viewer, id: string, paused: boolean): Promise<PeerView> {
    assertMayManagePeers(viewer);
    const member = await this.peer(id);
    if (member.peer!.removedAt) throw hubError('INVALID_TRANSITION', `peer "${clip(id)}" was removed`, 'id');
    if (member.peer!.paused === paused) return this.view(member);
    const after = await this.updatePeer(id, { paused });
    await this.deps.audit.peerChanged(paused ? 'PEER_PAUSED' : 'PEER_RESUMED', viewer, id);
    return this.view(after);
  }

  /**
   * Read, change, write the peer's settings: the member document holds them whole. Two writers
   * (a hub-admin pausing, the puller storing its cursor) each change only their own fields of the
   * copy they read a moment before, so the window in which one undoes the other is that moment.
   */
  private async updatePeer(id: string, set: Partial<PeerConfig>): Promise<Member> {
    const member = await this.peer(id);
    const after = await this.deps.members.update(id, {}, { peer: { ...member.peer!, ...set } });
    if (!after) throw notFound(id);
    this.deps.onChanged(id);
    return after;
  }

  private async peer(id: string): Promise<Member> {
    const [member] = await this.deps.members.findByIds([id]);
    if (!member || !isPeer(member)) throw notFound(id);
    return member;
  }

  private view(m: Member): PeerView {
    const p = m.peer!;
    const state = this.deps.pullerState(m._id);
    const status: PeerStatus =
      p.removedAt ? 'REMOVED' : m.status === 'PENDING' || p.requestId ? 'PENDING' : p.paused ? 'PAUSED' : (state?.status ?? 'CONNECTING');
    return {
      id: m._id,
      member: m,
      url: p.url,
      pull: p.pull,
      shareOnward: p.shareOnward,
      status,
      lastReceivedAt: state?.lastReceivedAt ?? p.lastReceivedAt,
      lastEventAt: state?.lastEventAt ?? p.lastEventAt,
      lagSeconds: state?.lagSeconds ?? null,
      received: state?.received ?? 0,
      refused: state?.refused ?? 0,
      lastError: state?.lastError ?? null,
      lastErrorAt: state?.lastErrorAt ?? null,
      createdAt: p.createdAt,
    };
  }
}

const isPeer = (m: Member): boolean => m.kind === 'HUB' && m.peer !== undefined;

function notFound(id: string) {
  return hubError('NOT_FOUND', `no peer hub "${clip(id)}"`, 'id');
}

/** The peer's GraphQL URL: http(s), no credentials, query or fragment in it. */
function peerUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw badInput('url must be the peer\'s GraphQL endpoint, http(s)://host[:port]/graphql', 'input.url');
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password || u.search || u.hash || raw.length > URL_MAX) {
    throw badInput('url must be an http(s) URL without credentials, query or fragment, such as https://hub.example.org/graphql', 'input.url');
  }
  return u.toString();
}
