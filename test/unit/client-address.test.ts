import test from 'ava';
import { clientAddress } from '../../src/web/client-address.ts';

const PROXY = '10.0.0.10';
const PROXY2 = '10.0.0.11';

test('without trusted proxies the socket address counts and X-Forwarded-For is ignored', (t) => {
  t.is(clientAddress('203.0.113.7', undefined, []), '203.0.113.7');
  t.is(clientAddress('203.0.113.7', '198.51.100.1', []), '203.0.113.7');
});

test('a client that is not a trusted proxy cannot pick its address with X-Forwarded-For', (t) => {
  t.is(clientAddress('203.0.113.7', '198.51.100.1', [PROXY]), '203.0.113.7');
  t.is(clientAddress('203.0.113.7', PROXY, [PROXY]), '203.0.113.7', 'not even by naming the proxy');
});

test('behind a trusted proxy the address the proxy appended counts', (t) => {
  t.is(clientAddress(PROXY, '203.0.113.7', [PROXY]), '203.0.113.7');
});

test('entries the client wrote in front of the proxy’s own are ignored', (t) => {
  // The client sent "X-Forwarded-For: 198.51.100.1"; the proxy appended the real address.
  t.is(clientAddress(PROXY, '198.51.100.1, 203.0.113.7', [PROXY]), '203.0.113.7');
  t.is(clientAddress(PROXY, '127.0.0.1,10.0.0.10 , 203.0.113.7', [PROXY]), '203.0.113.7', 'even if they name trusted hops');
});

test('a chain of trusted proxies is walked from the right to the first untrusted hop', (t) => {
  t.is(clientAddress(PROXY, '198.51.100.1, 203.0.113.7, 10.0.0.11', [PROXY, PROXY2]), '203.0.113.7');
});

test('a trusted proxy that forwards no header leaves the socket address', (t) => {
  t.is(clientAddress(PROXY, undefined, [PROXY]), PROXY);
  t.is(clientAddress(PROXY, '', [PROXY]), PROXY);
  t.is(clientAddress(PROXY, ' , ,', [PROXY]), PROXY, 'a header of empty entries');
});

test('when every hop is a trusted proxy the left-most one counts', (t) => {
  t.is(clientAddress(PROXY, `${PROXY2}, ${PROXY}`, [PROXY, PROXY2]), PROXY2);
});

test('the ::ffff: prefix of IPv4 addresses on an IPv6 socket is dropped', (t) => {
  t.is(clientAddress('::ffff:203.0.113.7', undefined, []), '203.0.113.7');
  t.is(clientAddress(`::ffff:${PROXY}`, '::ffff:203.0.113.7', [PROXY]), '203.0.113.7', 'a proxy on an IPv6 socket is still trusted');
  t.is(clientAddress(PROXY, '198.51.100.1, ::ffff:10.0.0.11', [PROXY, PROXY2]), '198.51.100.1', 'a forwarded trusted hop is recognised');
});

test('IPv6 addresses are kept as they are', (t) => {
  t.is(clientAddress('2001:db8::1', undefined, []), '2001:db8::1');
  t.is(clientAddress('::1', undefined, []), '::1');
  t.is(clientAddress('2001:db8::a', '2001:db8::7', ['2001:db8::a']), '2001:db8::7');
});

test('an unknown socket address is named unknown', (t) => {
  t.is(clientAddress(undefined, '203.0.113.7', [PROXY]), 'unknown');
});
