import type { HubContext } from '../src/context.js';
import { importMispEvent } from '../src/misp/misp-event-import.js';

export const mispResolvers = {
  Mutation: {
    importMispEvent: (_: unknown, { event }: { event: unknown }, { viewer, services }: HubContext) => importMispEvent(viewer, event, services.indicators),
  },
};
