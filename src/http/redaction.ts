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
