import type {
  AccessTokenVerifyOptions, VerifierCore, IdTokenVerifyOptions, JsonWebKeySet, JwtClaims, VerifierOptions, VerifyAccessTokenCall,
  VerifyIdTokenCall,
} from "./stepup.js";

/** A verifier made once per issuer, audience and key set (README, "createVerifier"). */
export interface Verifier {
  /** Verifies an ID token (OIDC Core 3.1.3.7) and returns its claims. */
  verifyIdToken(token: string, call?: VerifyIdTokenCall): Promise<JwtClaims>;
  /** Verifies a JWT access token (the verifier's `accessTokenProfile`) for this audience and returns its claims. */
  verifyAccessToken(token: string, call?: VerifyAccessTokenCall): Promise<JwtClaims>;
}

/** Reads the options and the key set once; throws a `TypeError` naming a bad option. */
export function createVerifier(options: VerifierOptions): Verifier;

/** The verifier driving a core made elsewhere (the browser client's); not part of the package's API. */
export function verifierOver(core: VerifierCore): Verifier;

/** Verifies an ID token (OIDC Core 3.1.3.7) and returns its claims. */
export function verifyIdToken(token: string, jwks: JsonWebKeySet, options: IdTokenVerifyOptions): Promise<JwtClaims>;

/** Verifies a JWT access token (RFC 9068, or a plain JWT with `accessTokenProfile: "jwt"`) for this API and returns its claims. */
export function verifyAccessToken(token: string, jwks: JsonWebKeySet, options: AccessTokenVerifyOptions): Promise<JwtClaims>;
