import { setFlagsFromString } from 'node:v8';

// V8's linear-time engine (the `l` flag) is behind a flag in Node 20 and 22: set it once, before any
// member pattern compiles. It changes nothing for patterns without `l`.
setFlagsFromString('--enable-experimental-regexp-engine');

/** Flags a member's pattern may carry: `s` and `m`; `g` and `y` are dropped as for MISP's lists. */
const ALLOWED_FLAGS = /^[gmsy]*$/;

/**
 * Compiles a member's regex entry (MISP's `/pattern/flags`, or a bare pattern) for V8's linear-time
 * engine, or answers why it cannot: a member's pattern runs against every value published and
 * read, so one that can backtrack for exponential time (`(a+)+$`) would let a member stall the
 * hub. The linear engine refuses backreferences, lookaround and the `i` and `u` flags; values
 * are matched in the hub's normal form (domains, hashes and e-mail addresses lower case), so a
 * lower-case pattern needs no `i`.
 */
export function compileLinear(entry: string): RegExp | { problem: string } {
  const slashed = /^\/(.*)\/([a-z]*)$/s.exec(entry.trim());
  const [source, flags] = slashed ? [slashed[1]!, slashed[2]!] : [entry.trim(), ''];
  if (!ALLOWED_FLAGS.test(flags)) {
    return { problem: `flags "${flags}" are not allowed: only s and m (values are matched in normal form, lower case for domains, hashes and e-mail addresses, so write the pattern in lower case instead of using i)` };
  }
  try {
    return new RegExp(source, `${flags.replace(/[gy]/g, '')}l`);
  } catch (err) {
    const why = (err as Error).message.includes('linear') ? 'it cannot run in linear time (no backreferences or lookaround)' : 'it is not a valid regular expression';
    return { problem: `the pattern is refused: ${why}` };
  }
}
