/** What every TAXII response of the hub is. */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
/** What the objects in a collection are. */
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

/**
 * Whether an `Accept` header lets the hub answer with TAXII 2.1 JSON: no header, the wildcards
 * (any type, `application/*`), or `application/taxii+json` without a version or with
 * `version=2.1`. A range with `q=0` does not count.
 */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const values = new Map(params.map((p) => {
      const eq = p.indexOf('=');
      return eq === -1 ? [p, ''] : [p.slice(0, eq).trim(), p.slice(eq + 1).trim().replace(/^"|"$/g, '')];
    }));
    if (values.has('q') && Number(values.get('q')) <= 0) return false;
    if (type === '*/*' || type === 'application/*') return true;
    if (type !== 'application/taxii+json') return false;
    const version = values.get('version');
    return version === undefined || version === '2.1';
  });
}

/**
 * Whether a request's `Content-Type` is a TAXII 2.1 envelope: `application/taxii+json` without a
 * version or with `version=2.1` (what taxii2-client sends).
 */
export function isTaxiiContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/taxii+json') return false;
  const version = params.find((p) => p.startsWith('version='))?.slice('version='.length).replace(/^"|"$/g, '');
  return version === undefined || version === '2.1';
}
