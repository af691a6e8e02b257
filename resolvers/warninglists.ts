import type { HubContext } from '../src/context.js';
import type { IndicatorDoc, IndicatorType, Tlp } from '../src/domain/types.js';
import type { PublishResult } from '../src/services/indicator-service.js';
import type { WarningListView } from '../src/services/warning-list-service.js';
import { canSeeRecipients } from '../src/policy/policy.js';
import { VENDORED_WARNING_LIST_ID_PREFIX } from '../src/domain/member-warning-list.js';
import { warningsFor } from '../src/warninglists/member-warning-lists.js';
import { type WarningList, type WarningListCategory, type WarningListType, type WarningMatch } from '../src/warninglists/warning-list.js';

/** A list as the WarningList type resolves it: `source` at the top, where `@minTier` and `canSeeRecipients` look for the owner. */
interface WarningListShape extends WarningList {
  id: string;
  source: string | null;
  description: string | null;
  tlp: Tlp | null;
  recipients: readonly string[] | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  revoked: boolean;
}

function shape(view: WarningListView): WarningListShape {
  if (view.kind === 'vendored') {
    const l = view.list;
    return { id: view.id, source: null, name: l.name, version: l.version, type: l.type, category: l.category, indicatorTypes: l.indicatorTypes, entries: l.entries, description: null, tlp: null, recipients: null, createdAt: null, updatedAt: null, revoked: false };
  }
  const d = view.doc;
  return { id: d._id, source: d.source, name: d.name, version: String(d.version), type: d.type, category: d.category, indicatorTypes: d.indicatorTypes, entries: d.entries, description: d.description, tlp: d.tlp, recipients: d.recipients, createdAt: d.createdAt, updatedAt: d.updatedAt, revoked: d.revoked };
}

const upperCategory = (c: WarningListCategory) => (c === 'false_positive' ? 'FALSE_POSITIVE' : 'KNOWN');

/** Warning lists (schema/warninglists.graphql): the lists, members' own lists, and matches shown on indicators and publish results. */
export const warningListResolvers = {
  Query: {
    warningLists: async (_: unknown, __: unknown, { services, viewer }: HubContext) => (await services.warningListRecords.list(viewer)).map(shape),
    warningList: async (_: unknown, { id }: { id: string }, { services, viewer }: HubContext) => {
      const view = await services.warningListRecords.get(viewer, id);
      return view ? shape(view) : null;
    },
  },
  Mutation: {
    publishWarningList: async (_: unknown, { input }: { input: { name: string; type: string; entries: string[]; tlp: Tlp; recipients?: string[] | null; category?: string | null; indicatorTypes?: IndicatorType[] | null; description?: string | null } }, { services, viewer }: HubContext) =>
      shape({
        kind: 'member',
        id: '',
        doc: await services.warningListRecords.publish(viewer, {
          ...input,
          type: input.type.toLowerCase() as WarningListType,
          category: input.category ? (input.category.toLowerCase() as WarningListCategory) : null,
        }),
      }),
    revokeWarningList: async (_: unknown, { id, reason }: { id: string; reason: string }, { services, viewer }: HubContext) =>
      shape({ kind: 'member', id, doc: await services.warningListRecords.revoke(viewer, id, reason) }),
  },
  WarningList: {
    type: (l: WarningListShape) => l.type.toUpperCase(),
    category: (l: WarningListShape) => upperCategory(l.category),
    entryCount: (l: WarningListShape) => l.entries.length,
    // Gated @minTier(TRUSTED) in the SDL, as Indicator.source is; the publisher always sees its own.
    owner: (l: WarningListShape, _: unknown, context: HubContext) => (l.source ? context.loaders.member.load(l.source) : null),
    // As an indicator's: only its publisher reads whom a RED list names.
    recipients: (l: WarningListShape, _: unknown, { viewer }: HubContext) => (l.source && l.tlp === 'RED' && canSeeRecipients(viewer, { source: l.source }) ? l.recipients : null),
  },
  Indicator: {
    // Computed at read, per viewer: the vendored lists (public), then the members' lists this viewer may see.
    warnings: async (i: IndicatorDoc, _: unknown, { services, viewer }: HubContext) => {
      await services.memberWarningLists.fresh();
      return warningsFor(services.warningLists, services.memberWarningLists, viewer, i.type, i.value);
    },
  },
  PublishIndicatorResult: {
    warnings: (r: PublishResult) => r.warnings ?? [],
  },
  WarningListMatch: {
    category: (m: WarningMatch) => upperCategory(m.category),
    listId: (m: WarningMatch) => m.listId ?? `${VENDORED_WARNING_LIST_ID_PREFIX}${m.list}`,
  },
};
