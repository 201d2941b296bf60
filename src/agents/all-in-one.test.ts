/** When nucleon-server runs the agents itself, and the reason it gives when it does not. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config/config.js';
import { allInOneBlocker } from './all-in-one.js';

const root = { uid: 0, has: () => true };
const conf = (env: Record<string, string> = {}) => loadConfig([], env);

describe('all-in-one agents', () => {
  it('run as root with the tools, on the in-process bus and one API process', () => {
    assert.equal(allInOneBlocker(conf(), root), undefined);
  });

  it('do not run, saying why, in every other case', () => {
    assert.match(allInOneBlocker(conf({ NUCLEON_DEFAULT__ALL_IN_ONE_AGENTS: 'false' }), root) ?? '', /all_in_one_agents = false/);
    assert.match(allInOneBlocker(conf({ NUCLEON_DEFAULT__TRANSPORT_URL: 'rabbit://guest:guest@127.0.0.1:5672/' }), root) ?? '', /message broker/);
    assert.match(allInOneBlocker(conf({ NUCLEON_DEFAULT__API_WORKERS: '4' }), root) ?? '', /api_workers > 1/);
    assert.match(allInOneBlocker(conf(), { uid: 1000, has: () => true }) ?? '', /not running as root/);
    assert.match(allInOneBlocker(conf(), { uid: 0, has: (t) => t !== 'dnsmasq' }) ?? '', /missing datapath tools: dnsmasq/);
  });
});
