import { getIntrospectionQuery } from 'graphql';

/**
 * One operation whose answer is 15 copies of the schema's introspection (about 1.6 MB), within
 * every document limit: for tests that need the hub to queue a lot for a client that does not read.
 * Members only (anonymous callers may not introspect).
 */
export function bigAnswerQuery(): string {
  const full = getIntrospectionQuery();
  const fragments = full.slice(full.indexOf('fragment FullType'));
  const op = full.slice(0, full.indexOf('fragment FullType'));
  const block = op.slice(op.indexOf('__schema'), op.lastIndexOf('}'));
  return `query Big { ${Array.from({ length: 15 }, (_, i) => `s${i}: ${block}`).join('\n')} } ${fragments}`;
}
