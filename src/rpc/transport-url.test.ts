import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { loadConfig } from '../config/config.js';
import { createTransport } from './create-transport.js';
import { InProcessTransport } from './in-process-transport.js';
import { RabbitTransport } from './rabbitmq-transport.js';
import { describeHost, parseTransportUrl, redact } from './transport-url.js';

describe('transport_url', () => {
  it('means in-process when empty or inproc://', () => {
    assert.deepEqual(parseTransportUrl(''), { driver: 'inproc' });
    assert.deepEqual(parseTransportUrl('inproc://'), { driver: 'inproc' });
  });

  it("reads oslo.messaging's rabbit:// form: several hosts, credentials each, a vhost", () => {
    assert.deepEqual(parseTransportUrl('rabbit://guest:guest@127.0.0.1:5672/'), {
      driver: 'rabbit',
      hosts: [{ hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest' }],
      vhost: '/',
    });
    assert.deepEqual(parseTransportUrl('rabbit://neutron:p%40ss%3Aw@mq1:5673,neutron:other@mq2,[fd00::3]:5674/openstack%2Fnet?ssl=0'), {
      driver: 'rabbit',
      hosts: [
        { hostname: 'mq1', port: 5673, username: 'neutron', password: 'p@ss:w' },
        { hostname: 'mq2', port: 5672, username: 'neutron', password: 'other' },
        { hostname: 'fd00::3', port: 5674, username: 'guest', password: 'guest' },
      ],
      vhost: 'openstack/net',
    });
    assert.equal(parseTransportUrl('rabbit://u:p@mq/nova').driver, 'rabbit');
  });

  it('refuses other drivers and broken URLs, naming the option, without showing passwords', () => {
    assert.throws(() => parseTransportUrl('amqp://u:p@mq:5672/'), /unsupported \[DEFAULT\] transport_url driver 'amqp'/);
    assert.throws(() => parseTransportUrl('rabbit:///vhost'), /no host/);
    assert.throws(() => parseTransportUrl('rabbit://u:secret@mq:99999/'), (err: Error) => /bad port/.test(err.message) && !err.message.includes('secret'));
    assert.throws(() => parseTransportUrl('not a url'), /invalid \[DEFAULT\] transport_url/);
  });

  it('is logged without passwords', () => {
    assert.equal(redact('rabbit://a:s1@h1:5672,b:s2@h2/v'), 'rabbit://a:***@h1:5672,b:***@h2/v');
    assert.equal(describeHost({ hostname: 'fd00::3', port: 5672, username: 'u', password: 'secret' }, 'v/x'), 'rabbit://u@[fd00::3]:5672/v%2Fx');
  });

  it('picks the transport from the configuration', async () => {
    const logger = pino({ level: 'silent' });
    const inproc = createTransport(loadConfig([], {}), logger);
    assert.ok(inproc instanceof InProcessTransport);
    // A RabbitMQ transport connects in the background; port 1 never answers, and closing stops it.
    const rabbit = createTransport(loadConfig([], { NUCLEON_DEFAULT__TRANSPORT_URL: 'rabbit://guest:guest@127.0.0.1:1/' }), logger);
    assert.ok(rabbit instanceof RabbitTransport);
    assert.equal(rabbit.connected, false);
    await Promise.all([inproc.close(), rabbit.close()]);
    assert.throws(() => createTransport(loadConfig([], { NUCLEON_DEFAULT__TRANSPORT_URL: 'kafka://k:9092/' }), logger), /transport_url/);
  });
});
