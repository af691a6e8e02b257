import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import { formatHubError } from './error-format.js';

/**
 * Puts the coordinates of gated fields withheld from a response in its `extensions.redacted`,
 * once each, on every transport.
 */
export function redactedExtensions(
  extensions: Record<string, unknown> | undefined,
  redacted: ReadonlySet<string> | undefined,
): Record<string, unknown> | undefined {
  if (!redacted || redacted.size === 0) return extensions;
  return { ...extensions, redacted: [...redacted].sort() };
}

/**
 * An execution result as every transport and the alert fan-out send it (the edge pipeline's
 * `format`): errors masked (unexpected ones reported to `onMasked`, once), withheld fields named
 * in `extensions.redacted`.
 */
export function formatForTransport(
  result: ExecutionResult,
  redacted: ReadonlySet<string> | undefined,
  onMasked: (err: unknown) => void,
): FormattedExecutionResult {
  const extensions = redactedExtensions(result.extensions as Record<string, unknown> | undefined, redacted);
  return {
    ...(result.errors ? { errors: result.errors.map((e) => formatHubError(e.toJSON(), e, onMasked)) } : {}),
    ...('data' in result ? { data: result.data } : {}),
    ...(extensions ? { extensions } : {}),
  };
}
