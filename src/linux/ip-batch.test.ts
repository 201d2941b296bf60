/** iproute2 batches: consecutive commands of one namespace grouped in order, rendered as `ip -batch` lines, their objects summed. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { batchIp } from './ip-batch.js';
import { objectsOf, renderArgv, type HostCommand } from './host-command.js';

describe('ip batches', () => {
  const veth: HostCommand = { tool: 'ip-link', op: 'add', name: 'tap1', mtu: 1500, kind: { type: 'veth', peer: 'qr-1', peerAddress: 'fa:16:3e:00:00:01', peerMtu: 1500, peerNetns: 'r1' } };
  const up: HostCommand = { tool: 'ip-link', op: 'set', name: 'tap1', up: true };
  const inside: HostCommand[] = [
    { tool: 'ip-link', op: 'set', netns: 'r1', name: 'qr-1', up: true },
    { tool: 'ip-addr', op: 'add', netns: 'r1', dev: 'qr-1', cidr: '2001:db8::1/64' },
    { tool: 'ip-route', op: 'replace', netns: 'r1', dst: 'default', via: '2001:db8::9' },
  ];
  const nft: HostCommand = { tool: 'nft', netns: 'r1', script: ['add table ip t'] };

  it('groups consecutive commands of one namespace, keeps order, leaves a lone command and other tools alone', () => {
    const add: HostCommand = { tool: 'netns', op: 'add', name: 'r1' };
    const out = batchIp([add, veth, up, ...inside, nft, up], 'h1');
    assert.deepEqual(
      out.map((c) => renderArgv(c, 'h1').argv.join(' ')),
      ['ip netns add r1', 'ip -n h1 -force -batch -', 'ip -n r1 -force -batch -', 'ip netns exec r1 nft -f -', 'ip -n h1 link set tap1 up'],
    );
    assert.equal(renderArgv(out[1], 'h1').input, 'link add tap1 mtu 1500 type veth peer name qr-1 address fa:16:3e:00:00:01 mtu 1500 netns r1\nlink set tap1 up\n');
    assert.equal(renderArgv(out[2], 'h1').input, 'link set qr-1 up\naddr add 2001:db8::1/64 dev qr-1 nodad\nroute replace default via 2001:db8::9\n', 'the family comes from the addresses');
  });

  it('a batch makes what its commands make and needs what none of them makes', () => {
    const [host, ns] = batchIp([veth, up, ...inside], 'h1');
    assert.deepEqual(objectsOf(host, 'h1'), { makes: ['link h1/tap1', 'link r1/qr-1'], needs: ['netns r1'] });
    assert.deepEqual(objectsOf(ns, 'h1'), { makes: [], needs: ['netns r1', 'link r1/qr-1'] });
  });
});
