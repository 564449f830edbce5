/**
 * Threat: an account protected by a guessable password. Attackers (online, or offline against a
 * stolen hash) try the common-password lists first, then trivial variations of their entries
 * (case, appended years and `!`, prefixed digits, repetition, keyboard walks), then words taken
 * from the account itself such as the email's local part.
 *
 * Invariant: the password policy refuses every password below with exactly the reasons listed
 * (shorter than NIST SP 800-63B-4's 15 for a single-factor password, too long, common or a
 * trivial variation of a common password, contains the email local part, contains a context
 * word such as the service's name), and the refusal is a 422 `PASSWORD_POLICY` problem whose body carries the reason
 * codes and never the password itself. Passwords that are merely unusual (no digit, no symbol,
 * emoji, other scripts) are not refused: the policy has no composition rules.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createPasswordPolicy,
  type PasswordPolicyReason,
  passwordPolicyError,
} from '../../src/features/accounts/password-policy.ts';
import { problemFromAuthError, problemTypeFor } from '../../src/http/problem.ts';

interface WeakCase {
  readonly password: string;
  readonly email?: string;
  readonly reasons: readonly PasswordPolicyReason[];
  readonly why: string;
}

const EMAIL = 'maria.gonzalez+shop@example.com';

const WEAK_PASSWORDS: readonly WeakCase[] = [
  { password: '', reasons: ['too_short'], why: 'empty' },
  { password: 'Zk7#pQ2!vW9m4x', reasons: ['too_short'], why: '14 code points, otherwise strong' },
  { password: '🦊🌵🚲🎻🧭🍋🪁🐙🌋🧩🛶🎲🐢🌻', reasons: ['too_short'], why: '14 emoji (28 UTF-16 units)' },
  { password: 'Zk7#pQ2!vW9m'.repeat(86), reasons: ['too_long'], why: '1032 code points' },
  { password: 'password', reasons: ['too_short', 'common'], why: 'the classic' },
  { password: '123456', reasons: ['too_short', 'common'], why: 'top of every list' },
  { password: 'password1234', reasons: ['too_short', 'common'], why: 'list entry of 12' },
  { password: 'password12345678', reasons: ['common'], why: 'list entry with digits' },
  { password: 'qwertyuiop123456', reasons: ['common'], why: 'keyboard row and digits' },
  { password: '123456789012345', reasons: ['common'], why: 'digit run' },
  { password: '1qaz2wsx3edc4rfv', reasons: ['common'], why: 'keyboard columns' },
  { password: 'PASSWORD12345678', reasons: ['common'], why: 'upper-cased entry' },
  { password: 'ｐａｓｓｗｏｒｄ１２３４５６７８', reasons: ['common'], why: 'fullwidth entry (NFKC)' },
  { password: 'Password2024!!!!', reasons: ['common'], why: 'entry + year + symbols' },
  { password: 'Sunshine2024!!!!', reasons: ['common'], why: 'entry + year + symbols' },
  { password: '1987baseball1987', reasons: ['common'], why: 'year + entry + year' },
  { password: 'letmeinletmeinletmein', reasons: ['common'], why: 'entry three times' },
  { password: 'abcabcabcabcabc', reasons: ['common'], why: 'short unit repeated' },
  { password: '111111111111111', reasons: ['common'], why: 'one digit repeated' },
  { password: 'abcdefghijklmnop', reasons: ['common'], why: 'alphabet run' },
  { password: 'qwertyuiopasdfgh', reasons: ['common'], why: 'long keyboard walk' },
  { password: 'maria.gonzalez!!', email: EMAIL, reasons: ['contains_email'], why: 'local part without tag' },
  { password: 'MariaGonzalez-1975', email: EMAIL, reasons: ['contains_email'], why: 'local part, no dot' },
  {
    password: 'maria',
    email: EMAIL,
    reasons: ['too_short', 'common'],
    why: 'a list entry that is only part of the local part',
  },
  {
    password: 'mariagonzalez1975',
    email: 'mariagonzalez@example.com',
    reasons: ['contains_email'],
    why: 'the local part itself',
  },
  {
    password: 'dragon',
    email: 'dragon@example.com',
    reasons: ['too_short', 'common', 'contains_email'],
    why: 'three reasons at once',
  },
  { password: 'my gatehouse login 2026', reasons: ['contains_context'], why: 'the service name' },
  { password: 'GateHouse-Admin-2026!', reasons: ['contains_context'], why: 'the service name, any case' },
  {
    password: 'Gatehouse',
    email: 'gatehouse@example.com',
    reasons: ['too_short', 'contains_email', 'contains_context'],
    why: 'name and local part at once',
  },
];

const STRONG_ENOUGH: readonly string[] = [
  'Zk7#pQ2!vW9m4xT', // 15 code points: the NIST SP 800-63B-4 minimum
  'correct horse battery staple',
  'lowercase words only here',
  'ÜBER-GRÜNE-BÄUME',
  '日本語のパスワードですよね本当に',
  '🦊🌵🚲🎻🧭🍋🪁🐙🌋🧩🛶🎲🐢🌻🚀',
];

describe('weak passwords are refused', () => {
  // As createAuth builds it by default: the 15-code-point minimum, the app name as a context word.
  const policy = createPasswordPolicy({ contextWords: ['Gatehouse'] });

  it('password policy - should refuse every weak password with exactly its reasons', () => {
    for (const { password, email, reasons, why } of WEAK_PASSWORDS) {
      const context = email === undefined ? {} : { email };
      assert.deepEqual(policy.check(password, context), reasons, why);
    }
  });

  it('password policy - should not refuse unusual but strong passwords (no composition rules)', () => {
    for (const password of STRONG_ENOUGH)
      assert.deepEqual(policy.check(password, { email: EMAIL }), [], password);
  });

  it('password policy - should answer 422 PASSWORD_POLICY with the reasons and without the password', () => {
    for (const { password, email, reasons, why } of WEAK_PASSWORDS) {
      const found = policy.check(password, email === undefined ? {} : { email });
      const problem = problemFromAuthError(passwordPolicyError(found));
      // The whole body is fixed text plus the reason codes, so nothing of the password is in it.
      assert.deepEqual(
        problem,
        {
          type: problemTypeFor('PASSWORD_POLICY'),
          title: 'The password does not meet the policy.',
          status: 422,
          code: 'PASSWORD_POLICY',
          errors: reasons.map((reason) => ({ path: 'password', message: reason })),
          reasons,
        },
        why,
      );
    }
  });
});
