import type { Config } from '../config.ts'
import { createJwtVerifier } from './jwt-verifier.ts'
import type { TokenVerifier } from './verifier.ts'

/** The verifier OAUTH_MODE selects. */
export function createVerifier(oauth: Config['oauth']): TokenVerifier {
  switch (oauth.mode) {
    case 'jwt':
      return createJwtVerifier(oauth)
    case 'introspection':
      throw new Error('OAUTH_MODE=introspection is not available yet')
  }
}
