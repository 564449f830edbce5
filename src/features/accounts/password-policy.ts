import { dictionary } from '@zxcvbn-ts/language-common';
import type { AuthError } from '../../core/errors/index.ts';
import { normalizeEmail } from './email.ts';
import { accountsError } from './error-codes.ts';

/**
 * The password policy: length bounds, a common-password check, and checks against the
 * account's own email and the service's context words (its name, configured words). It follows
 * NIST SP 800-63B-4 §3.1.1.2: at least 15 characters when the password is the only factor, a
 * generous maximum, every printable character and emoji allowed, no composition rules ("one
 * digit, one symbol"), and a blocklist of passwords known to be common, derived from one, or
 * specific to the context. The breached-password check (a network call) lives beside it in
 * `breached-passwords.ts`.
 *
 * @see https://pages.nist.gov/800-63-4/sp800-63b.html#password
 * @module
 */

/**
 * Why a password is refused. Clients branch on these codes (they are part of the API):
 * - `too_short` / `too_long`: outside the length bounds, counted in Unicode code points after
 *   NFC (so `é` typed as `e` + combining accent counts once, and an emoji counts once).
 * - `common`: the password is in the common-password list, or a trivial variation of an entry.
 * - `contains_email`: the password contains the local part of the account's email.
 * - `contains_context`: the password contains a context word: the service's name or a
 *   configured word (a brand, a product), compared as the email's local part is.
 * - `breached`: the password appears in a breach corpus (the optional breached-password
 *   check; `check` itself never reports it).
 */
export type PasswordPolicyReason =
  | 'too_short'
  | 'too_long'
  | 'common'
  | 'contains_email'
  | 'contains_context'
  | 'breached';

/** Every reason, in the order they are reported (`breached` last, from its own check). */
export const PASSWORD_POLICY_REASONS: readonly PasswordPolicyReason[] = Object.freeze([
  'too_short',
  'too_long',
  'common',
  'contains_email',
  'contains_context',
  'breached',
]);

/**
 * Default shortest password, in code points after NFC: NIST SP 800-63B-4 asks for 15 when the
 * password is the only factor (8 is allowed only where it is used with a second factor).
 */
export const DEFAULT_PASSWORD_MIN_LENGTH = 15;

/** Longest password any policy accepts, in code points after NFC; also the default maximum. */
export const PASSWORD_MAX_LENGTH_LIMIT = 1024;

/**
 * Lowest minimum a policy may be configured with (NIST SP 800-63B's floor for passwords used
 * with a second factor; the config schema enforces the same bound).
 */
export const PASSWORD_MIN_LENGTH_FLOOR = 8;

export interface PasswordPolicyContext {
  /**
   * The account's email, normalised or as typed. When present, a password containing its local
   * part is refused (`contains_email`).
   */
  readonly email?: string;
}

export interface PasswordPolicy {
  /** Shortest accepted password, in code points after NFC. */
  readonly minLength: number;
  /** Longest accepted password, in code points after NFC. */
  readonly maxLength: number;
  /**
   * Every reason the password is refused, in the order of {@link PASSWORD_POLICY_REASONS};
   * an empty array means the password is acceptable. Never throws for any string, and never
   * keeps or logs the password.
   */
  check(password: string, context: PasswordPolicyContext): PasswordPolicyReason[];
}

export interface PasswordPolicyOptions {
  /** Shortest accepted password, in code points after NFC; at least 8. @default 15 */
  readonly minLength?: number;
  /** Longest accepted password, in code points after NFC; at most 1024. @default 1024 */
  readonly maxLength?: number;
  /**
   * Words specific to the service (its name, brands); a password containing one is refused
   * (`contains_context`), in any case and with or without separators. Words shorter than 3
   * code points are ignored. @default []
   */
  readonly contextWords?: readonly string[];
}

/**
 * Creates a password policy.
 *
 * The common-password list (about 49 000 entries from `@zxcvbn-ts/language-common`) is turned
 * into a `Set` on the first `check` in the process and shared by every policy, so a check costs
 * a few normalisations and a handful of set lookups, never a scan of the list.
 *
 * @throws TypeError (`ERR_INVALID_ARG_VALUE`) when a length is not an integer, `minLength` is
 *   below 8, `maxLength` is above 1024, or `minLength` exceeds `maxLength`.
 * @example
 * const policy = createPasswordPolicy();
 * policy.check('password1234', { email: 'alice@example.com' }); // ['too_short', 'common']
 * policy.check('correct horse battery staple', { email: 'alice@example.com' }); // []
 */
export function createPasswordPolicy(options: PasswordPolicyOptions = {}): PasswordPolicy {
  const minLength = options.minLength ?? DEFAULT_PASSWORD_MIN_LENGTH;
  const maxLength = options.maxLength ?? PASSWORD_MAX_LENGTH_LIMIT;
  if (!Number.isSafeInteger(minLength) || minLength < PASSWORD_MIN_LENGTH_FLOOR) {
    throw invalidOption(`minLength must be an integer of at least ${PASSWORD_MIN_LENGTH_FLOOR}`);
  }
  if (!Number.isSafeInteger(maxLength) || maxLength > PASSWORD_MAX_LENGTH_LIMIT) {
    throw invalidOption(`maxLength must be an integer of at most ${PASSWORD_MAX_LENGTH_LIMIT}`);
  }
  if (minLength > maxLength) throw invalidOption('minLength must not exceed maxLength');
  const contextForms = contextWordForms(options.contextWords ?? []);

  return Object.freeze({
    minLength,
    maxLength,
    check(password: string, context: PasswordPolicyContext): PasswordPolicyReason[] {
      if (typeof password !== 'string') throw invalidOption('password must be a string');
      const reasons: PasswordPolicyReason[] = [];
      const length = codePointLength(password.normalize('NFC'));
      if (length < minLength) reasons.push('too_short');
      if (length > maxLength) reasons.push('too_long');
      const folded = comparisonForm(password);
      if (isCommonPassword(folded)) reasons.push('common');
      if (context.email !== undefined && containsEmailLocalPart(folded, context.email)) {
        reasons.push('contains_email');
      }
      if (containsAnyForm(folded, contextForms)) reasons.push('contains_context');
      return reasons;
    },
  });
}

/**
 * The 422 `PASSWORD_POLICY` error for refused passwords: one field problem per reason
 * (`{ path: 'password', message: <reason> }`) and a `reasons` member listing the codes.
 *
 * @throws TypeError when `reasons` is empty (an acceptable password is not an error).
 * @example
 * const reasons = policy.check(body.password, { email });
 * if (reasons.length > 0) throw passwordPolicyError(reasons);
 */
export function passwordPolicyError(reasons: readonly PasswordPolicyReason[]): AuthError {
  const unique = [...new Set(reasons)];
  if (unique.length === 0) throw invalidOption('passwordPolicyError needs at least one reason');
  return accountsError('PASSWORD_POLICY', {
    errors: unique.map((reason) => ({ path: 'password', message: reason })),
    extensions: { reasons: unique },
  });
}

// ---------------------------------------------------------------------------------------------
// Length
// ---------------------------------------------------------------------------------------------

/** Code points in `value`; a surrogate pair counts once and a lone surrogate counts as one. */
function codePointLength(value: string): number {
  let length = 0;
  for (let index = 0; index < value.length; index += 1) {
    const unit = value.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < value.length) {
      const next = value.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index += 1;
    }
    length += 1;
  }
  return length;
}

/**
 * The form passwords are compared in (never stored or hashed): NFKC and lower-cased, so
 * `ＰＡＳＳＷＯＲＤ１２３４` (fullwidth) and `PassWord1234` both meet the list entry `password`.
 * NFKC is a superset of the NFC the length is counted in.
 */
function comparisonForm(value: string): string {
  return value.normalize('NFKC').toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Common passwords
// ---------------------------------------------------------------------------------------------

let commonPasswords: ReadonlySet<string> | undefined;
let commonPasswordSetBuilds = 0;

/** The list as a `Set`, built on first use and then shared by every policy in the process. */
function commonPasswordSet(): ReadonlySet<string> {
  if (commonPasswords === undefined) {
    commonPasswords = new Set(dictionary['passwords-common'].map(comparisonForm));
    commonPasswordSetBuilds += 1;
  }
  return commonPasswords;
}

/**
 * How many times this process has built the common-password set (0 before the first check,
 * then 1 for good). Exposed for tests that prove the list is not rebuilt or scanned per call.
 *
 * @internal
 */
export function commonPasswordSetBuildCount(): number {
  return commonPasswordSetBuilds;
}

/** Runs shorter than this are not refused on their own (`abc` + random digits is fine). */
const MIN_RUN_LENGTH = 4;
/** A string made of one unit this short, repeated, has next to no entropy whatever the unit. */
const MAX_TRIVIAL_UNIT_LENGTH = 3;

const LEADING_NON_LETTERS = /^[^\p{L}]+/u;
const TRAILING_NON_LETTERS = /[^\p{L}]+$/u;

/**
 * Keyboard walks, each a row-by-row or column-by-column path over a common layout (QWERTY,
 * QWERTZ, AZERTY). A password whose core is a stretch of one of them (either direction) is a
 * walk. The list already has the usual short walks; this catches the longer ones.
 */
const KEYBOARD_WALKS: readonly string[] = [
  '1234567890qwertyuiopasdfghjklzxcvbnm',
  '1234567890qwertzuiopasdfghjklyxcvbnm',
  '1234567890azertyuiopqsdfghjklmwxcvbn',
  '1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p',
  'zaq1xsw2cde3vfr4bgt5nhy6mju7ki8lo9p0',
].flatMap((walk) => [walk, [...walk].reverse().join('')]);

/**
 * Whether `folded` (see {@link comparisonForm}) is common. Candidates, each checked with a set
 * lookup or a linear scan of the candidate itself:
 *
 * 1. the password itself;
 * 2. its cores: leading and/or trailing non-letters stripped, so `password123!`, `2024dragon`
 *    and `!!monkey!!` meet `password`, `dragon` and `monkey`. A core counts only while it keeps
 *    at least half the password's code points: `monkey` followed by twenty random digits is a
 *    strong password, not a variation of `monkey`;
 * 3. each of those when it is one unit repeated (`abcabcabcabc`, `monkeymonkey`): the unit,
 *    and its cores; any unit of at most 3 code points counts as common on its own;
 * 4. straight runs of at least 4 (`abcdefghijklm`, `98765432109876`, `aaaaaaaaaaaa`, digits
 *    wrapping 9 → 0) and keyboard walks (`qwertyuiopasdf`), for the password, a core or a unit.
 */
function isCommonPassword(folded: string): boolean {
  const set = commonPasswordSet();
  const isCommonShape = (candidate: string): boolean =>
    candidate.length > 0 && (set.has(candidate) || isStraightRun(candidate) || isKeyboardWalk(candidate));

  for (const base of withCores(folded)) {
    if (isCommonShape(base)) return true;
    const unit = repeatedUnit(base);
    if (unit === undefined) continue;
    if (codePointLength(unit) <= MAX_TRIVIAL_UNIT_LENGTH) return true;
    if (withCores(unit).some(isCommonShape)) return true;
  }
  return false;
}

/**
 * `value` and its cores (leading, trailing or both non-letter runs removed), without repeats,
 * keeping only cores with at least half of `value`'s code points.
 */
function withCores(value: string): string[] {
  const withoutLeading = value.replace(LEADING_NON_LETTERS, '');
  const withoutTrailing = value.replace(TRAILING_NON_LETTERS, '');
  const withoutBoth = withoutLeading.replace(TRAILING_NON_LETTERS, '');
  const length = codePointLength(value);
  const cores = [withoutLeading, withoutTrailing, withoutBoth].filter(
    (core) => core.length > 0 && core !== value && codePointLength(core) * 2 >= length,
  );
  return [value, ...new Set(cores)];
}

/**
 * The shortest unit `value` is a whole repetition of (at least twice), or `undefined`. Uses the
 * KMP failure function, so it is linear in the length.
 */
function repeatedUnit(value: string): string | undefined {
  const length = value.length;
  if (length < 2) return undefined;
  const border = new Array<number>(length).fill(0);
  for (let index = 1, matched = 0; index < length; index += 1) {
    while (matched > 0 && value[index] !== value[matched]) matched = border[matched - 1]!;
    if (value[index] === value[matched]) matched += 1;
    border[index] = matched;
  }
  const period = length - border[length - 1]!;
  return period < length && length % period === 0 ? value.slice(0, period) : undefined;
}

/**
 * A run of at least {@link MIN_RUN_LENGTH} code points stepping by the same -1, 0 or +1 each
 * time (`abcd`, `4321`, `zzzz`); between ASCII digits the step wraps, so `7890123` is a run.
 */
function isStraightRun(value: string): boolean {
  const points = Array.from(value, (char) => char.codePointAt(0)!);
  if (points.length < MIN_RUN_LENGTH) return false;
  let step: number | undefined;
  for (let index = 1; index < points.length; index += 1) {
    const next = stepBetween(points[index - 1]!, points[index]!);
    if (next === undefined || (step !== undefined && next !== step)) return false;
    step = next;
  }
  return true;
}

const DIGIT_ZERO = 0x30;
const DIGIT_NINE = 0x39;

function stepBetween(from: number, to: number): number | undefined {
  let step = to - from;
  const bothDigits = from >= DIGIT_ZERO && from <= DIGIT_NINE && to >= DIGIT_ZERO && to <= DIGIT_NINE;
  if (bothDigits && Math.abs(step) === 9) step = -Math.sign(step); // 9 → 0 and 0 → 9
  return step >= -1 && step <= 1 ? step : undefined;
}

function isKeyboardWalk(value: string): boolean {
  return value.length >= MIN_RUN_LENGTH && KEYBOARD_WALKS.some((walk) => walk.includes(value));
}

// ---------------------------------------------------------------------------------------------
// Email
// ---------------------------------------------------------------------------------------------

/** Shorter local parts (`al@…`) would refuse too many unrelated passwords to be worth it. */
const MIN_LOCAL_PART_LENGTH = 3;
const SEPARATORS = /[\s._-]+/gu;

/**
 * Whether `folded` contains the email's local part. Decision: besides the local part as given
 * (`john.smith+news`), the forms checked are without its `+tag` (`john.smith`) and, for each,
 * without the separators `.`, `_` and `-` (`johnsmith`); the password is matched both as it is
 * and with separators and spaces removed, so `John_Smith 2024!` is caught for `john.smith@…`.
 * Forms shorter than 3 code points are skipped. The domain is not checked.
 */
function containsEmailLocalPart(folded: string, email: string): boolean {
  const address = normalizeEmail(email) ?? comparisonForm(email).trim();
  const at = address.lastIndexOf('@');
  if (at <= 0) return false;
  const local = comparisonForm(address.slice(0, at));
  const untagged = local.split('+', 1)[0]!;
  const localForms = new Set(
    [local, untagged, local.replace(SEPARATORS, ''), untagged.replace(SEPARATORS, '')].filter(
      (form) => codePointLength(form) >= MIN_LOCAL_PART_LENGTH,
    ),
  );
  const passwordForms = [folded, folded.replace(SEPARATORS, '')];
  for (const form of localForms) {
    if (passwordForms.some((password) => password.includes(form))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Context words
// ---------------------------------------------------------------------------------------------

/** The comparison forms of the context words (as typed and without separators), computed once. */
function contextWordForms(words: readonly string[]): readonly string[] {
  if (!Array.isArray(words) || words.some((word) => typeof word !== 'string')) {
    throw invalidOption('contextWords must be an array of strings');
  }
  const forms = new Set<string>();
  for (const word of words) {
    const folded = comparisonForm(word).trim();
    for (const form of [folded, folded.replace(SEPARATORS, '')]) {
      if (codePointLength(form) >= MIN_LOCAL_PART_LENGTH) forms.add(form);
    }
  }
  return [...forms];
}

/** Whether `folded` (or `folded` without separators) contains one of `forms`. */
function containsAnyForm(folded: string, forms: readonly string[]): boolean {
  if (forms.length === 0) return false;
  const passwordForms = [folded, folded.replace(SEPARATORS, '')];
  return forms.some((form) => passwordForms.some((password) => password.includes(form)));
}

// ---------------------------------------------------------------------------------------------

function invalidOption(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' });
}
