/**
 * The parts of a package URL (purl, github.com/package-url/purl-spec) the exports use: OSV's
 * package (ecosystem and name) and CVE's `collectionURL`/`packageName`. Hand-written: no maintained
 * purl parser is installed, and the exports need only type, namespace and name, percent-decoded.
 */
export interface PackageUrl {
  type: string;
  namespace: string | null;
  name: string;
  version: string | null;
}

/** The purl's parts, or null when it is not `pkg:<type>/[<namespace>/]<name>[@<version>]...`. */
export function parsePackageUrl(purl: string): PackageUrl | null {
  const match = /^pkg:([a-zA-Z][a-zA-Z0-9.+-]*)\/+([^?#]+?)(?:@([^?#@]+))?(?:\?[^#]*)?(?:#.*)?$/.exec(purl.trim());
  if (!match) return null;
  const segments = match[2]!.split('/').filter(Boolean).map(decode);
  const name = segments.pop();
  if (!name || segments.some((s) => s === null) || name === null) return null;
  return {
    type: match[1]!.toLowerCase(),
    namespace: segments.length ? segments.join('/') : null,
    name,
    version: match[3] ? decode(match[3]) : null,
  };
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** purl type → OSV ecosystem and how the ecosystem names a package from namespace and name. */
const ECOSYSTEMS: Record<string, { ecosystem: string; join: string }> = {
  npm: { ecosystem: 'npm', join: '/' },
  pypi: { ecosystem: 'PyPI', join: '/' },
  maven: { ecosystem: 'Maven', join: ':' },
  golang: { ecosystem: 'Go', join: '/' },
  cargo: { ecosystem: 'crates.io', join: '/' },
  gem: { ecosystem: 'RubyGems', join: '/' },
  nuget: { ecosystem: 'NuGet', join: '/' },
  composer: { ecosystem: 'Packagist', join: '/' },
  hex: { ecosystem: 'Hex', join: '/' },
  pub: { ecosystem: 'Pub', join: '/' },
  swift: { ecosystem: 'SwiftURL', join: '/' },
  hackage: { ecosystem: 'Hackage', join: '/' },
  cran: { ecosystem: 'CRAN', join: '/' },
};

/** OSV's `package` for a purl of a known ecosystem, else null (the product is then named in database_specific). */
export function osvPackage(purl: string): { ecosystem: string; name: string; purl: string } | null {
  const parsed = parsePackageUrl(purl);
  const known = parsed && ECOSYSTEMS[parsed.type];
  if (!parsed || !known) return null;
  const name = parsed.namespace ? `${parsed.namespace}${known.join}${parsed.name}` : parsed.name;
  // OSV wants the package's purl without a version.
  const bare = purl.replace(/@[^?#]*/, '').replace(/[?#].*$/, '');
  return { ecosystem: known.ecosystem, name, purl: bare };
}
