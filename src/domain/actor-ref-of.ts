import type { ActorRef } from './types.js';

/**
 * The stored reference to the person acting (who requested, approved, validated, reported):
 * their member, their `userId`, and every person they count as (`persons`, kept only when there
 * are any) so that `isSamePerson` can later refuse the same person approving under another identity.
 */
export function actorRefOf(viewer: { memberId: string; userId: string; persons?: readonly string[] | undefined }): ActorRef {
  return viewer.persons?.length ? { memberId: viewer.memberId, userId: viewer.userId, persons: [...viewer.persons] } : { memberId: viewer.memberId, userId: viewer.userId };
}
