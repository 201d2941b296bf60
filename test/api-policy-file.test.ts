/** A policy file overrides Neutron's default rules; a broken one stops the start with a clear reason. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { sqlite } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';
import { loadConfig } from '../src/config/config.js';
import { createApp } from '../src/app.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nucleon-policy-'));
const file = path.join(dir, 'policy.yaml');
fs.writeFileSync(
  file,
  [
    '# only admins create networks; members may pick a provider type; everyone sees segmentation ids',
    '"create_network": "role:admin"',
    '"create_port:provider:network_type": "!"',
    '"create_network:provider:network_type": "role:member"',
    '"get_network:provider:segmentation_id": "@"',
    '"delete_port": "rule:context_is_admin or (role:member and not role:intern)"',
  ].join('\n'),
);
const MEMBER = { 'X-Project-Id': 'pf-a', 'X-Roles': 'member' };

describe('policy file', () => {
  const srv = serverFixture(() => sqlite.create(), { NUCLEON_OSLO_POLICY__POLICY_FILE: file });
  before(() => srv.start());
  after(async () => {
    await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('overrides single rules and leaves the others at their defaults', async () => {
    const denied = await srv.api.post('/v2.0/networks', { network: {} }, MEMBER);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.NeutronError.message, 'rule:create_network is disallowed by policy');
    const n = (await srv.api.post('/v2.0/networks', { network: { project_id: 'pf-a' } })).body.network;
    const shown = (await srv.api.get(`/v2.0/networks/${n.id}`, MEMBER)).body.network;
    assert.equal(typeof shown['provider:segmentation_id'], 'number', 'the file shows segmentation ids to everyone');
    assert.ok(!('provider:network_type' in shown), 'the other provider attributes keep the default (admins only)');
    const p = (await srv.api.post('/v2.0/ports', { port: { network_id: n.id } }, MEMBER)).body.port;
    assert.equal((await srv.api.del(`/v2.0/ports/${p.id}`, { ...MEMBER, 'X-Roles': 'member,intern' })).status, 403);
    assert.equal((await srv.api.del(`/v2.0/ports/${p.id}`, MEMBER)).status, 204);
  });

  it('refuses to start on a broken file, naming the rule', async () => {
    const broken = path.join(dir, 'broken.yaml');
    fs.writeFileSync(broken, '"create_network": "role:admin or"\n');
    const config = loadConfig([], { NUCLEON_DATABASE__CONNECTION: 'sqlite://', NUCLEON_OSLO_POLICY__POLICY_FILE: broken });
    await assert.rejects(createApp(config, { logger: pino({ level: 'silent' }) }), /policy file .*broken\.yaml: policy rule 'create_network': unexpected end of rule/);
    fs.writeFileSync(broken, '- not\n- a map\n');
    await assert.rejects(createApp(config, { logger: pino({ level: 'silent' }) }), /expected a map of rule names to rules/);
  });
});
