// OpenSSL's words for a failed handshake, with etcd's (Go's) beside them:
// operators and etcd's own tests look for Go's phrasing in the logs
// ("remote error: tls: bad certificate"), so both are given.

const GO_TEXT_BY_CODE: Readonly<Record<string, string>> = {
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'remote error: tls: bad certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'remote error: tls: unknown certificate authority',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'remote error: tls: certificate required',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'remote error: tls: expired certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: 'remote error: tls: revoked certificate',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'remote error: tls: handshake failure',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'remote error: tls: protocol version not supported',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'tls: client didn\'t provide a certificate',
  ERR_SSL_WRONG_VERSION_NUMBER: 'tls: first record does not look like a TLS handshake',
  ERR_SSL_HTTP_REQUEST: 'tls: first record does not look like a TLS handshake',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'x509: certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'x509: certificate signed by unknown authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'x509: certificate signed by unknown authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'x509: certificate signed by unknown authority',
  CERT_HAS_EXPIRED: 'x509: certificate has expired or is not yet valid',
  CERT_NOT_YET_VALID: 'x509: certificate has expired or is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'x509: certificate is not valid for this host',
};

/** A handshake error in Go's words when we know them, with OpenSSL's after. */
export function describeTlsError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const goText = code === undefined ? undefined : GO_TEXT_BY_CODE[code];
  return goText === undefined ? error.message : `${goText} (${error.message})`;
}

/** OpenSSL's verification error codes (socket.authorizationError) in Go's x509 words. */
export function describeVerifyError(code: string): string {
  const goText = GO_TEXT_BY_CODE[code];
  return goText === undefined ? code : `${goText} (${code})`;
}
