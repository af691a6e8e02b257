/** The hub's TAXII collections: fixed ids, so SIEM configurations survive restarts. */
export interface TaxiiCollection {
  id: string;
  /** Also accepted in place of the id in URLs. */
  alias: CollectionAlias;
  title: string;
  description: string;
  /** The STIX types it holds. */
  types: readonly string[];
}

export type CollectionAlias = 'indicators' | 'model-risk-notices' | 'reference' | 'vulnerabilities';

export const TAXII_COLLECTIONS: readonly TaxiiCollection[] = [
  {
    id: 'ddf9e498-e313-4c9f-a961-674ccefa2ab9',
    alias: 'indicators',
    title: 'Indicators',
    description: 'Threat indicators (STIX indicator) and, for TRUSTED members and the publisher, their sightings (STIX sighting). Never TLP:RED or TLP:AMBER+STRICT. Publishers add indicators and sightings here (can_write).',
    types: ['indicator', 'sighting'],
  },
  {
    id: 'fc6234ba-1d08-4c68-92c5-2765ca3f6581',
    alias: 'model-risk-notices',
    title: 'AI model-risk notices',
    description: "Model-risk notices as the hub's custom STIX object x-model-risk-notice, and the pre-deployment model reviews the caller may see as x-model-review (see the reference collection's extension-definition). A review's findings reach those outside the review when it closes. Never TLP:RED or TLP:AMBER+STRICT.",
    types: ['x-model-risk-notice', 'x-model-review'],
  },
  {
    id: 'df6684fb-ab9f-41a4-b5fe-5bc9622c0568',
    alias: 'reference',
    title: 'Reference objects',
    description: "The TLP 2.0 marking-definitions, the hub's identity and extension-definition, and the identities of the members whose records' sources the caller may see.",
    types: ['marking-definition', 'identity', 'extension-definition'],
  },
  {
    id: '62b4e6f9-25cd-475b-92a1-5cfd3c0577d7',
    alias: 'vulnerabilities',
    title: 'Clearinghouse cases',
    description: "Software vulnerabilities coordinated on the hub (STIX vulnerability, with the hub's property-extension), as far as the caller's view of each case at its disclosure stage goes. Never a case still at the RECEIVED stage (TLP:RED).",
    types: ['vulnerability'],
  },
];

export function findCollection(idOrAlias: string): TaxiiCollection | undefined {
  return TAXII_COLLECTIONS.find((c) => c.id === idOrAlias || c.alias === idOrAlias);
}
