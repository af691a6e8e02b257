import type { HubContext } from '../src/context.js';
import type { IndicatorDoc } from '../src/domain/types.js';
import type { PublishResult } from '../src/services/indicator-service.js';
import type { WarningMatch } from '../src/warninglists/warning-list.js';

/** Warning lists (schema/warninglists.graphql): matches shown on indicators and publish results. */
export const warningListResolvers = {
  Indicator: {
    // Computed at read: the vendored lists are public, so whoever sees the indicator sees its matches.
    warnings: (i: IndicatorDoc, _: unknown, { services }: HubContext) => services.warningLists.matches(i.type, i.value),
  },
  PublishIndicatorResult: {
    warnings: (r: PublishResult) => r.warnings ?? [],
  },
  WarningListMatch: {
    category: (m: WarningMatch) => (m.category === 'false_positive' ? 'FALSE_POSITIVE' : 'KNOWN'),
  },
};
