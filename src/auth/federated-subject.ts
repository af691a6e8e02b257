/**
 * Federated subjects are namespaced by their issuer: the user a member identity provider's token
 * names is `<issuer>#<sub>`, never the bare `sub`. A provider's key holder writes whatever `sub`
 * it likes, so without the namespace one provider could mint the user id of a hub user or of
 * another provider's user, and be taken for that person by the two-person rule and the audit log.
 *
 * The form is unambiguous: a registered issuer never contains `#` (it may not have a fragment), so
 * the first `#` ends the issuer. The hub's own tokens may not use a subject of this form
 * (`isFederatedUserId`), so no hub user id equals a federated one either.
 */
export function federatedUserId(issuer: string, sub: string): string {
  return `${issuer}#${sub}`;
}

/** Whether a user id has the form of a federated subject (an http(s) URL, then `#`). */
export function isFederatedUserId(userId: string): boolean {
  return /^https?:\/\/[^#]*#/i.test(userId);
}
