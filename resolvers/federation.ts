import type { HubContext } from '../src/context.js';
import type { RecordOrigin } from '../src/domain/peer.js';
import type { PeerInput, PeerView } from '../src/federation/peer-service.js';

/** Peers (hub-admins) and the provenance of received records (docs/federation.md). */
export const federationResolvers = {
  Query: {
    peers: (_: unknown, __: unknown, { viewer, services }: HubContext) => services.peers.list(viewer),
  },
  Mutation: {
    registerPeer: (_: unknown, { input }: { input: PeerInput }, { viewer, services }: HubContext) => services.peers.register(viewer, input),
    pausePeer: (_: unknown, { id }: { id: string }, { viewer, services }: HubContext) => services.peers.pause(viewer, id),
    resumePeer: (_: unknown, { id }: { id: string }, { viewer, services }: HubContext) => services.peers.resume(viewer, id),
    removePeer: (_: unknown, { id }: { id: string }, { viewer, services }: HubContext) => services.peers.remove(viewer, id),
  },
  Peer: {
    // The member as stored (PENDING included): `peers` is for hub-admins, who see every member.
    member: (p: PeerView) => p.member,
  },
  Indicator: {
    origin: (doc: { origin?: RecordOrigin | null }) => doc.origin ?? null,
  },
  ModelRiskNotice: {
    origin: (doc: { origin?: RecordOrigin | null }) => doc.origin ?? null,
  },
  RecordOrigin: {
    // `publisher` is gated (@minTier TRUSTED) like `source`; the rest is the record's own.
    publisher: (o: RecordOrigin) => o.publisher,
  },
};
