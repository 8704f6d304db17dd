// Token providers for `--auth-token`: "simple" (in-memory, etcd's default) and "jwt".
export {
  newTokenProvider,
  decomposeTokenSpec,
  redactToken,
  NopTokenProvider,
  TokenError,
  TokenErrorMessage,
  tokenTypeSimple,
  tokenTypeJwt,
  type TokenProviderOptions,
} from './token-provider.js';
export {
  SimpleTokenProvider,
  simpleTokenIndex,
  SIMPLE_TOKEN_PREFIX_LENGTH,
  SIMPLE_TOKEN_TTL_DEFAULT_SECONDS,
} from './simple-token.js';
export { JwtTokenProvider, newJwtTokenProvider, parseGoDuration, JWT_SIGN_METHODS, JWT_DEFAULT_TTL_MS } from './jwt-token.js';
