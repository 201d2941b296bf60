/**
 * What nucleon-compute reads from a VM without root: its global addresses as `ip -j addr` lists
 * them (SLAAC ones dynamic, link-local ones left out), and the IPv6 settings a VM boots with.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseGlobalAddresses, VM_SYSCTLS } from './compute.js';

describe('nucleon-compute VM addresses', () => {
  it('lists the global ones, IPv4 and IPv6, SLAAC ones as dynamic and those in DAD as tentative', () => {
    const json = JSON.stringify([
      {
        ifname: 'eth0',
        addr_info: [
          { family: 'inet', local: '10.0.0.5', prefixlen: 24, scope: 'global', valid_life_time: 4294967295 },
          { family: 'inet6', local: '2001:db8:1:0:f816:3eff:fe00:1', prefixlen: 64, scope: 'global', dynamic: true, mngtmpaddr: true, valid_life_time: 86400 },
          { family: 'inet6', local: 'fd00::5', prefixlen: 64, scope: 'global', tentative: true },
          { family: 'inet6', local: 'fe80::f816:3eff:fe00:1', prefixlen: 64, scope: 'link' },
        ],
      },
    ]);
    assert.deepEqual(parseGlobalAddresses(json), [
      { family: 'inet', local: '10.0.0.5', prefixlen: 24, dynamic: false, tentative: false },
      { family: 'inet6', local: '2001:db8:1:0:f816:3eff:fe00:1', prefixlen: 64, dynamic: true, tentative: false },
      { family: 'inet6', local: 'fd00::5', prefixlen: 64, dynamic: false, tentative: true },
    ]);
    assert.deepEqual(parseGlobalAddresses(''), []);
  });

  it('boots as a host that takes router advertisements', () => {
    for (const s of ['net.ipv6.conf.eth0.accept_ra=1', 'net.ipv6.conf.eth0.autoconf=1', 'net.ipv6.conf.eth0.forwarding=0']) assert.ok(VM_SYSCTLS.includes(s), s);
  });
});
