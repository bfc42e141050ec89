import assert from "node:assert/strict";
import { addressKey, Admission, connectionKey } from "./admission.ts";

Deno.test("addressKey() keeps an IPv4 address and exempts IPv4 loopback", () => {
  assert.equal(addressKey("203.0.113.7"), "203.0.113.7");
  assert.equal(addressKey("10.0.0.1"), "10.0.0.1");
  assert.equal(addressKey("127.0.0.1"), undefined);
  assert.equal(addressKey("127.255.0.9"), undefined);
});

Deno.test("addressKey() counts an IPv6 address by its /64 network", () => {
  assert.equal(addressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:db8:1:2::7"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:DB8:1:2::8"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:0db8:0001:0002:0:0:0:9"), "2001:db8:1:2::/64");
  assert.equal(addressKey("2001:db8::1"), "2001:db8::/64");
  assert.equal(addressKey("2001:db8:0:0:1::1"), "2001:db8::/64");
  assert.equal(addressKey("2001:0:0:1::5"), "2001:0:0:1::/64");
  assert.equal(addressKey("::2"), "::/64");
  assert.notEqual(addressKey("2001:db8:1:3::7"), addressKey("2001:db8:1:2::7"));
});

Deno.test("addressKey() counts a neighbour by its own address: link-local, or on our /64", () => {
  const server = "2001:db8:1:2::1";
  assert.equal(addressKey("fe80::1111:22ff:fe33:4444"), "fe80::1111:22ff:fe33:4444");
  assert.equal(addressKey("FE80::AAAA:0:0:1%eth0"), "fe80::aaaa:0:0:1");
  assert.equal(addressKey("febf::1"), "febf::1"); // the end of fe80::/10
  assert.equal(addressKey("fec0::1"), "fec0::/64"); // past it
  assert.equal(addressKey("2001:db8:1:2:aaaa::7", server), "2001:db8:1:2:aaaa::7");
  assert.equal(addressKey("2001:db8:1:2:bbbb::7", server), "2001:db8:1:2:bbbb::7");
  assert.equal(addressKey("2001:db8:1:3::7", server), "2001:db8:1:3::/64"); // the next LAN
  assert.equal(addressKey("2001:db8:1:2::7", "192.0.2.1"), "2001:db8:1:2::/64");
  const ends = (remote: string, local: string) => ({
    remoteAddr: { transport: "tcp", hostname: remote, port: 50000 } as const,
    localAddr: { transport: "tcp", hostname: local, port: 1234 } as const,
  });
  assert.equal(connectionKey(ends("2001:db8:1:2::7", server)), "2001:db8:1:2::7");
  assert.equal(connectionKey(ends("2001:db8:9::7", server)), "2001:db8:9::/64");
});

Deno.test("addressKey() counts an IPv4-mapped address as IPv4, and exempts IPv6 loopback", () => {
  assert.equal(addressKey("::ffff:203.0.113.7"), "203.0.113.7");
  assert.equal(addressKey("::ffff:cb00:7107"), "203.0.113.7");
  assert.equal(addressKey("::ffff:127.0.0.1"), undefined);
  assert.equal(addressKey("::1"), undefined);
  assert.equal(addressKey("0:0:0:0:0:0:0:1"), undefined);
});

Deno.test("addressKey() gives what is not an address its own key", () => {
  const malformed = [
    "1:2:3",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "::ffff:1.2.3.256",
    "g::1",
    ":",
    "1.2.3.4::", // dotted IPv4 only ends an address
    "1.2.3.4::5",
    "::1.2.3.4:5",
  ];
  for (const text of malformed) {
    assert.equal(addressKey(text), text);
  }
});

Deno.test("Admission.admit() holds a /64 to the limit and releases by it", () => {
  const admission = new Admission({ maxClients: 100, maxPerIp: 2 });
  assert.equal(admission.admit("2001:db8:1:2::1"), undefined);
  assert.equal(admission.admit("2001:db8:1:2::2"), undefined);
  assert.equal(
    admission.admit("2001:db8:1:2::3"),
    "Too many connections from 2001:db8:1:2::/64: the limit is 2",
  );
  assert.equal(admission.admit("2001:db8:1:3::1"), undefined); // another network
  admission.release("2001:db8:1:2::1");
  assert.equal(admission.admit("2001:db8:1:2::4"), undefined);
  assert.equal(admission.size, 3);
});

Deno.test("Admission.admit() holds LAN neighbours apart, as IPv4 ones are", () => {
  const admission = new Admission({ maxClients: 100, maxPerIp: 1 });
  const server = "fd00:aa:bb:cc::1";
  assert.equal(admission.admit("fd00:aa:bb:cc::10", server), undefined);
  assert.equal(admission.admit("fd00:aa:bb:cc::11", server), undefined);
  assert.equal(
    admission.admit("fd00:aa:bb:cc::10", server),
    "Too many connections from fd00:aa:bb:cc::10: the limit is 1",
  );
  admission.release("fd00:aa:bb:cc::10", server);
  admission.release("fd00:aa:bb:cc::11", server);
  assert.equal(admission.size, 0);
});

Deno.test("Admission.admit() counts an IPv4 peer alike whether mapped or not", () => {
  const admission = new Admission({ maxClients: 100, maxPerIp: 1 });
  assert.equal(admission.admit("::ffff:198.51.100.4"), undefined);
  assert.equal(
    admission.admit("198.51.100.4"),
    "Too many connections from 198.51.100.4: the limit is 1",
  );
  admission.release("198.51.100.4");
  assert.equal(admission.size, 0);
});

Deno.test("Admission.release() counts loopback but never limits it", () => {
  const admission = new Admission({ maxClients: 3, maxPerIp: 1 });
  for (const ip of ["127.0.0.1", "127.0.0.1", "::1"]) assert.equal(admission.admit(ip), undefined);
  assert.match(admission.admit("::1") ?? "", /^Server is full: 3 of 3 places are taken$/);
  admission.release("::1");
  admission.release("::1"); // not admitted twice: no place is freed twice
  assert.equal(admission.size, 2);
  admission.release("127.0.0.1");
  admission.release("127.0.0.1");
  assert.equal(admission.size, 0);
});
