import type { HubContext } from '../src/context.js';
import type { NoticeDoc, NoticeInput, NoticeStatus } from '../src/domain/types.js';
import { RECORD_LIMITS } from '../src/domain/record-limits.js';
import { canSeeRecipients } from '../src/policy/policy.js';
import type { NoticePatch } from '../src/services/notice-service.js';
import type { QueryModelRiskNoticesArgs } from '../src/generated/graphql.js';

export const noticeResolvers = {
  Query: {
    modelRiskNotices: (_: unknown, args: QueryModelRiskNoticesArgs, { viewer, services }: HubContext) => services.notices.list(viewer, args),
    modelRiskNotice: (_: unknown, { id }: { id: string }, { loaders }: HubContext) => loaders.notice.load(id),
  },
  Mutation: {
    publishModelRiskNotice: (_: unknown, { input }: { input: NoticeInput }, { viewer, services }: HubContext) =>
      services.notices.publish(viewer, input),
    updateModelRiskNotice: (_: unknown, args: { id: string; input: NoticePatch }, { viewer, services }: HubContext) =>
      services.notices.update(viewer, args.id, args.input),
    changeModelRiskNoticeStatus: (_: unknown, args: { id: string; status: NoticeStatus }, { viewer, services }: HubContext) =>
      services.notices.changeStatus(viewer, args.id, args.status),
  },
  ModelRiskNotice: {
    id: (n: NoticeDoc) => n._id,
    recipients: (n: NoticeDoc, _: unknown, { viewer }: HubContext) => (canSeeRecipients(viewer, n) ? n.recipients : null),
    relatedIndicators: async (n: NoticeDoc, _: unknown, { loaders }: HubContext) =>
      // Capped before visibility (a fixed prefix of the links): notices linked before the cap existed are served truncated.
      (await loaders.indicator.loadMany(n.relatedIndicatorIds.slice(0, RECORD_LIMITS.relatedIndicators))).filter((d) => d && !(d instanceof Error)),
    source: (n: NoticeDoc, _: unknown, { loaders }: HubContext) => loaders.member.load(n.source),
  },
};
