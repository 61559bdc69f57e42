/**
 * Names the federation's OAuth v5 server uses (brief §3), plus the few choices this stand-in makes itself.
 * The introspect scope repeats `SCOPES.introspect` of @ebox/contract on purpose: this package has no runtime
 * dependency on the contract (a test checks that both agree).
 */

/** Scope a Document Provider's own token needs to call the introspection endpoint. */
export const INTROSPECT_SCOPE = 'scope:security:authorization:oauth:oauth-autz-server:introspect'

/** `principalAttributes` key carrying the enterprise (CBE) number of the e-Box (brief §3.2 step 6). */
export const CBE_ATTRIBUTE = 'urn:be:fgov:kbo-bce:organization:cbe-number'

/**
 * Default `principalAttributes` key carrying a citizen's SSIN. Not published by the federation: the default of the
 * federation profile's FEDERATION_CITIZEN_SSIN_CLAIM (a test checks both agree); TokenIssuerOptions.ssinClaim
 * follows an override.
 */
export const SSIN_ATTRIBUTE = 'urn:be:fgov:person:ssin'

/** RFC 7523 client assertion type for `private_key_jwt`. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** `typ` header of the access tokens (RFC 9068). */
export const ACCESS_TOKEN_TYPE = 'at+jwt'

/** Default `aud` of minted access tokens. Not published by the federation: our choice. */
export const DEFAULT_AUDIENCE = 'ebox-document-provider'

/** Default `client_id` (and `sub`) of tokens minted without one. */
export const DEFAULT_CLIENT_ID = 'ebox-dev-client'

export const DEFAULT_TOKEN_TTL_SECONDS = 3600

/** Client assertions may live at most this long (exp − now), as real servers demand short-lived ones. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300

/** Default port of the CLI's `serve` (the library defaults to 0, a free port). */
export const DEFAULT_CLI_PORT = 9400
