import { INDICATOR_TYPES, type IndicatorType } from '../domain/types.js';
import type { WarningListType } from './warning-list.js';

/**
 * The indicator types a list of this type can match: a member's list applies to these unless it
 * names fewer (`WarningListInput.indicatorTypes`). A URL is matched by its host against cidr and
 * hostname lists (src/warninglists/warning-list-set.ts does the same for the vendored ones).
 */
export function typesAListMatches(type: WarningListType): readonly IndicatorType[] {
  switch (type) {
    case 'cidr':
      return ['IPV4', 'IPV6', 'CIDR', 'URL'];
    case 'hostname':
      return ['DOMAIN', 'URL'];
    default:
      return INDICATOR_TYPES;
  }
}
