/**
 * A stand-in for a `Deno.TcpConn` in unit tests of what writes to members:
 * it has the parts a {@linkcode Member} touches, and writes go to `write`.
 *
 * @module
 */

/**
 * A connection whose writes are handled by `write` (which may take fewer
 * bytes than given, or reject, as a real socket may).
 *
 * @example Usage
 * ```ts ignore
 * import { fakeConn } from "./fake_conn.ts";
 * import { Member } from "../lib/member.ts";
 *
 * const bob = new Member(fakeConn((p) => Promise.resolve(p.length)), { name: "bob" });
 * ```
 */
export function fakeConn(write: (p: Uint8Array) => Promise<number>): Deno.TcpConn {
  const conn = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 5 },
    setNoDelay() {},
    setKeepAlive() {},
    close() {},
    closeWrite: () => Promise.resolve(),
    write,
  };
  return conn as unknown as Deno.TcpConn;
}
