import { v7 as uuidv7 } from 'uuid';

/**
 * A new UUIDv7: time-ordered (good B-tree locality for primary keys, sortable by creation),
 * with 74 random bits so ids are not guessable from one another.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9562#section-5.7
 */
export function newId(): string {
  return uuidv7();
}
