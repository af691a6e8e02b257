/** Shortens caller-supplied text quoted back in a message, so an error never echoes a huge input. */
export function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
