/**
 * Registering and removing members' identity providers in tests: both are two-person changes, so
 * each is a request by one person and an approval by another (by default a hub-admin of the
 * "hub-operators" member, a person of its own).
 */
import type { TestHub } from './hub-fixture.js';

export const IDP_FIELDS = 'issuer audience jwksUri hasInlineKeys rolesClaim allowedAlgorithms memberId createdAt';
export const REQUEST_REGISTRATION = /* GraphQL */ `
  mutation RequestRegistration($input: IdentityProviderInput!, $reason: String!) {
    requestIdentityProviderRegistration(input: $input, reason: $reason) { id kind status requestedBy { memberId userId } change { identityProvider { ${IDP_FIELDS} } } }
  }`;
export const REQUEST_REMOVAL = /* GraphQL */ `
  mutation RequestRemoval($memberId: ID!, $issuer: String!, $reason: String!) {
    requestIdentityProviderRemoval(memberId: $memberId, issuer: $issuer, reason: $reason) { id kind status }
  }`;
export const APPROVE = 'mutation Approve($id: ID!) { approveRequest(id: $id) { id status } }';

const operators = new WeakMap<TestHub, Promise<void>>();

/** A token for another person: a hub-admin (by default) of the "hub-operators" member, with this user id. */
export async function personToken(t: TestHub, userId = 'second-person@hub-operators', roles: Array<'hub-admin' | 'reader' | 'member-admin' | 'approver'> = ['hub-admin', 'reader']): Promise<string> {
  if (!operators.has(t)) {
    operators.set(t, t.hub.services.members.register({
      _id: 'hub-operators', name: 'hub operators', kind: 'ENTERPRISE', tier: 'CORE', sector: 'testing', country: 'NL',
      allowedRoles: ['reader', 'approver', 'member-admin', 'hub-admin'], status: 'ACTIVE', createdAt: new Date(),
    }).then(() => undefined));
  }
  await operators.get(t);
  return t.tokenAs('hub-operators', userId, roles);
}

function data(res: { body: { data?: any; errors?: unknown } }, what: string) {
  if (res.body.errors) throw new Error(`${what} failed: ${JSON.stringify(res.body.errors)}`);
  return res.body.data;
}

/** Requests a registration as `requester` and has `approver` (default: another person, a hub-admin) approve it; returns the provider. */
export async function registerIdentityProvider(t: TestHub, requester: string, input: Record<string, unknown>, approver?: string) {
  const requested = data(await t.gql(REQUEST_REGISTRATION, { input, reason: 'test setup' }, { token: requester }), 'requestIdentityProviderRegistration');
  const request = requested.requestIdentityProviderRegistration;
  data(await t.gql(APPROVE, { id: request.id }, { token: approver ?? (await personToken(t)) }), 'approveRequest');
  return request.change.identityProvider as Record<string, unknown>;
}

/** Requests a removal as `requester` and has `approver` (default: another person, a hub-admin) approve it. */
export async function removeIdentityProvider(t: TestHub, requester: string, memberId: string, issuer: string, approver?: string): Promise<void> {
  const requested = data(await t.gql(REQUEST_REMOVAL, { memberId, issuer, reason: 'test setup' }, { token: requester }), 'requestIdentityProviderRemoval');
  data(await t.gql(APPROVE, { id: requested.requestIdentityProviderRemoval.id }, { token: approver ?? (await personToken(t)) }), 'approveRequest');
}
