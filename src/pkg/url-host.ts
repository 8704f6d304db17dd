/** The host to bind for a listen URL ("localhost" binds the IPv4 loopback, as etcd does). */
export function bindHostOf(url: URL): string {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' ? '127.0.0.1' : host;
}
