import { describe, expect, it } from 'vitest';
import { parseHostPort } from '../../lib/config/host-port.js';

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:8125', { host: '127.0.0.1', port: 8125 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    ['localhost:65535', { host: 'localhost', port: 65_535 }],
    ['statsd.example-1.internal:8125', { host: 'statsd.example-1.internal', port: 8125 }],
    ['[::1]:8125', { host: '::1', port: 8125 }],
    ['[::]:0', { host: '::', port: 0 }],
    ['[2001:db8::1]:9000', { host: '2001:db8::1', port: 9000 }],
  ])('parses %s', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
  });

  it('parses "off" as null (listener disabled)', () => {
    expect(parseHostPort('off')).toBeNull();
  });

  it.each([
    [''],
    ['8125'],
    [':8125'],
    ['localhost'],
    ['localhost:'],
    ['localhost:65536'],
    ['localhost:-1'],
    ['localhost:80a'],
    ['localhost:123456'],
    ['256.0.0.1:8125'],
    ['1.2.3:8125'],
    ['bad_host:8125'],
    ['-bad.example:8125'],
    ['[not-ipv6]:8125'],
    ['[127.0.0.1]:8125'],
    ['OFF'],
  ])('rejects %j', (text) => {
    expect(() => parseHostPort(text)).toThrow(/^expected HOST:PORT/);
  });

  it('asks for brackets around a bare IPv6 address', () => {
    expect(() => parseHostPort('::1:8125')).toThrow('put IPv6 addresses in brackets like [::1]:8125');
  });

  it('rejects non-strings', () => {
    expect(() => parseHostPort(8125)).toThrow(/^expected HOST:PORT/);
    expect(() => parseHostPort(null)).toThrow(/^expected HOST:PORT/);
  });
});
