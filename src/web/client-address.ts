/**
 * The client's address: the socket's, unless the socket is a trusted proxy; then the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy (entries further left
 * were written by the client and prove nothing).
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trustedProxies: readonly string[],
): string {
  const normalize = (a: string): string => a.trim().replace(/^::ffff:/, '');
  const socket = normalize(socketAddress ?? 'unknown');
  if (!trustedProxies.includes(socket) || !forwardedFor) return socket;
  const hops = forwardedFor.split(',').map(normalize).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trustedProxies.includes(hop)) return hop;
  }
  return hops[0] ?? socket;
}
