/**
 * The WebAuthn ceremonies, through @simplewebauthn/server (CBOR, COSE keys, signatures,
 * client data, flags): options for the browser, and verification of what it answers. This
 * file knows the library; the service knows accounts, challenges and sessions.
 */
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';

export type { AuthenticationResponseJSON, RegistrationResponseJSON };
export type CreationOptions = PublicKeyCredentialCreationOptionsJSON;
export type RequestOptions = PublicKeyCredentialRequestOptionsJSON;

/** Who the credentials are for, from the configuration. */
export interface RelyingParty {
  readonly id: string;
  readonly name: string;
  /** Origins clientDataJSON may name (every one a page of ours, e.g. https://app.example.com). */
  readonly origins: readonly string[];
  /** `required`: an assertion or attestation without the UV flag is refused. */
  readonly requireUserVerification: boolean;
  /** How long the browser may take (ms); the stored challenge lives as long. */
  readonly timeoutMs: number;
}

/** A credential as the ceremony needs it. */
export interface StoredCredential {
  readonly id: string;
  readonly publicKey: string;
  readonly transports: readonly string[];
}

/** What a verified registration adds. */
export interface NewCredential {
  readonly id: string;
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly deviceType: string;
  readonly backedUp: boolean;
  readonly aaguid: string;
  readonly userVerified: boolean;
}

/** What a verified assertion tells. */
export interface VerifiedAssertion {
  readonly counter: number;
  readonly userVerified: boolean;
  readonly backedUp: boolean;
  readonly deviceType: string;
}

/** The library refused the response (a reason for the audit log; never shown to the client). */
export class CeremonyRefused extends Error {
  override readonly name = 'CeremonyRefused';
}

const userVerification = (rp: RelyingParty) => (rp.requireUserVerification ? 'required' : 'preferred');

/** The WebAuthn user handle of an account: its id's bytes (an opaque id, no personal data). */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(userId);
}

export function createCeremony(rp: RelyingParty) {
  const expectedOrigin = [...rp.origins];
  return {
    registrationOptions(
      user: { readonly id: string; readonly email: string; readonly name: string | null },
      exclude: readonly StoredCredential[],
    ): Promise<CreationOptions> {
      return generateRegistrationOptions({
        rpName: rp.name,
        rpID: rp.id,
        userID: userHandleOf(user.id),
        userName: user.email,
        userDisplayName: user.name ?? user.email,
        timeout: rp.timeoutMs,
        attestationType: 'none',
        excludeCredentials: exclude.map((c) => ({ id: c.id, transports: [...c.transports] })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: userVerification(rp) },
      });
    },

    async verifyRegistration(response: RegistrationResponseJSON, challenge: string): Promise<NewCredential> {
      let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
      try {
        result = await verifyRegistrationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin,
          expectedRPID: rp.id,
          requireUserVerification: rp.requireUserVerification,
        });
      } catch (error) {
        throw new CeremonyRefused(error instanceof Error ? error.message : 'refused');
      }
      if (!result.verified) throw new CeremonyRefused('not verified');
      const info = result.registrationInfo;
      return {
        id: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: info.credential.transports ?? response.response.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        aaguid: info.aaguid,
        userVerified: info.userVerified,
      };
    },

    requestOptions(
      allow: readonly StoredCredential[],
      options: { readonly forceUv?: boolean } = {},
    ): Promise<RequestOptions> {
      return generateAuthenticationOptions({
        rpID: rp.id,
        timeout: rp.timeoutMs,
        userVerification: options.forceUv ? 'required' : userVerification(rp),
        allowCredentials: allow.map((c) => ({ id: c.id, transports: [...c.transports] })),
      });
    },

    /**
     * Checks the signature, origin, RP ID, challenge and flags. The counter is judged by the
     * caller (its policy may accept a regression with an audit event), so the library is given 0.
     */
    async verifyAssertion(
      response: AuthenticationResponseJSON,
      challenge: string,
      credential: StoredCredential,
      options: { readonly requireUv?: boolean } = {},
    ): Promise<VerifiedAssertion> {
      let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
      try {
        result = await verifyAuthenticationResponse({
          response,
          expectedChallenge: challenge,
          expectedOrigin,
          expectedRPID: rp.id,
          credential: {
            id: credential.id,
            publicKey: Buffer.from(credential.publicKey, 'base64url'),
            counter: 0,
            transports: [...credential.transports] as never,
          },
          requireUserVerification: options.requireUv === true || rp.requireUserVerification,
        });
      } catch (error) {
        throw new CeremonyRefused(error instanceof Error ? error.message : 'refused');
      }
      if (!result.verified) throw new CeremonyRefused('not verified');
      const info = result.authenticationInfo;
      return {
        counter: info.newCounter,
        userVerified: info.userVerified,
        backedUp: info.credentialBackedUp,
        deviceType: info.credentialDeviceType,
      };
    },
  };
}

export type Ceremony = ReturnType<typeof createCeremony>;
