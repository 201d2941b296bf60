/**
 * applyCommands: every command is tried, "already so" errors count as done (the list is explicit),
 * and what needs an object a failed command was to make is skipped. Run over a FaultyRunner on a
 * dry runner: commands fail as told and nothing touches the host.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { DryRunRunner, ProcessRunner } from './runner.js';
import { FaultyRunner } from './faulty-runner.js';
import { applyCommands, IDEMPOTENT, isIdempotentError, reportError } from './apply.js';
import { renderArgv, type HostCommand } from './host-command.js';
import { CommandFailed } from './runner.js';

const faulty = (fail: Record<string, string>) => {
  const lines: string[] = [];
  const r = new FaultyRunner(new DryRunRunner(new ProcessRunner(pino({ level: 'silent' })), (l) => lines.push(l)));
  for (const [match, stderr] of Object.entries(fail)) r.failAlways.push({ match: new RegExp(match), stderr });
  return { r, lines };
};
const line = (c: HostCommand) => renderArgv(c, 'hv1').argv.join(' ');

const BR: HostCommand = { tool: 'ip-link', op: 'add', name: 'brq1', mtu: 1450, kind: { type: 'bridge' } };
const VX: HostCommand = { tool: 'ip-link', op: 'add', name: 'vxlan-7', mtu: 1450, kind: { type: 'vxlan', vni: 7, local: '10.0.0.1', dstport: 4789 } };
const NS: HostCommand = { tool: 'netns', op: 'add', name: 'qdhcp-a' };
const VETH: HostCommand = { tool: 'ip-link', op: 'add', name: 'tap1', mtu: 1450, kind: { type: 'veth', peer: 'ns-1', peerAddress: 'fa:16:3e:00:00:01', peerMtu: 1450, peerNetns: 'qdhcp-a' } };

describe('applyCommands', () => {
  const cases: Array<{ name: string; cmds: HostCommand[]; fail: Record<string, string>; done: number[]; failed: number[]; skipped: number[] }> = [
    {
      name: 'a failed command does not stop the others; what needs its link is skipped',
      cmds: [
        BR,
        VX,
        { tool: 'ip-link', op: 'set', name: 'tap1', master: 'brq1' },
        { tool: 'ip-link', op: 'set', name: 'vxlan-7', master: 'brq1' },
        { tool: 'ip-link', op: 'set', name: 'vxlan-7', up: true },
        { tool: 'bridge-fdb', op: 'append', mac: '00:00:00:00:00:00', dev: 'vxlan-7', dst: '10.0.0.2' },
        { tool: 'ip-link', op: 'set', name: 'brq1', up: true },
      ],
      fail: { 'vxlan-7 mtu': 'RTNETLINK answers: Operation not supported' },
      done: [0, 2, 6],
      failed: [1],
      skipped: [3, 4, 5],
    },
    {
      name: 'a namespace that could not be made: nothing inside it runs, nor what needs what that would have made',
      cmds: [NS, VETH, { tool: 'ip-link', op: 'set', name: 'tap1', up: true }, { tool: 'ip-addr', op: 'add', netns: 'qdhcp-a', dev: 'ns-1', cidr: '10.0.0.2/24' }, { tool: 'daemon', op: 'start', netns: 'qdhcp-a', argv: ['dnsmasq'] }, { tool: 'file', op: 'write', path: '/s/a/host', content: '' }],
      fail: { 'netns add': 'Cannot create namespace file "/run/netns/qdhcp-a": Permission denied' },
      done: [5],
      failed: [0],
      skipped: [1, 2, 3, 4],
    },
    {
      name: '"already so" errors are success: a link that exists, one to delete that is gone, a dead dnsmasq',
      cmds: [BR, { tool: 'ip-link', op: 'set', name: 'brq1', up: true }, { tool: 'ip-link', op: 'del', name: 'brq2' }, { tool: 'daemon', op: 'stop', pid: 4242 }],
      fail: { 'add brq1': 'RTNETLINK answers: File exists', 'del brq2': 'Cannot find device "brq2"', kill: 'kill: (4242) - No such process' },
      done: [0, 1, 2, 3],
      failed: [],
      skipped: [],
    },
    {
      name: 'the same message on a command it does not excuse is a failure',
      cmds: [{ tool: 'ip-link', op: 'del', name: 'brq2' }, { tool: 'nft', script: ['add table bridge x'] }],
      fail: { 'del brq2': 'RTNETLINK answers: File exists', nft: 'Error: No such file or directory' },
      done: [],
      failed: [0, 1],
      skipped: [],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { r } = faulty(c.fail);
      const report = await applyCommands(r, c.cmds, 'hv1');
      const at = (cs: HostCommand[]) => cs.map((x) => c.cmds.indexOf(x));
      assert.deepEqual({ done: at(report.done), failed: at(report.failed.map((f) => f.command)), skipped: at(report.skipped) }, { done: c.done, failed: c.failed, skipped: c.skipped });
      for (const f of report.failed) assert.match(f.error, new RegExp(line(f.command).split(' ')[0]));
      assert.equal(r.log.length, c.done.length + c.failed.length, 'skipped commands never reach the runner');
    });
  }

  it('knows each "already so" error only for its own kind of command', () => {
    const examples: Array<[HostCommand, string]> = [
      [BR, 'RTNETLINK answers: File exists'],
      [{ tool: 'ip-link', op: 'del', name: 'x' }, 'Cannot find device "x"'],
      [{ tool: 'ip-addr', op: 'add', dev: 'x', cidr: '10.0.0.1/24' }, 'RTNETLINK answers: File exists'],
      [{ tool: 'ip-addr', op: 'del', dev: 'x', cidr: '10.0.0.1/24' }, 'RTNETLINK answers: Cannot assign requested address'],
      [{ tool: 'ip-route', op: 'del', dst: '192.0.2.0/24', via: '10.0.0.9' }, 'RTNETLINK answers: No such process'],
      [NS, 'Cannot create namespace file "/run/netns/qdhcp-a": File exists'],
      [{ tool: 'netns', op: 'del', name: 'qdhcp-a' }, 'Cannot remove namespace file "/run/netns/qdhcp-a": No such file or directory'],
      [{ tool: 'bridge-fdb', op: 'append', mac: '00:00:00:00:00:00', dev: 'vxlan-7', dst: '10.0.0.2' }, 'RTNETLINK answers: File exists'],
      [{ tool: 'bridge-fdb', op: 'del', mac: '00:00:00:00:00:00', dev: 'vxlan-7', dst: '10.0.0.2' }, 'RTNETLINK answers: No such file or directory'],
      [{ tool: 'daemon', op: 'stop', pid: 1 }, 'kill: (1) - No such process'],
    ];
    assert.equal(examples.length, IDEMPOTENT.length, 'one example per rule');
    for (const [c, stderr] of examples) {
      assert.ok(isIdempotentError(c, new CommandFailed(['x'], stderr, 1)), `${line(c)}: ${stderr}`);
      assert.ok(!isIdempotentError(c, new CommandFailed(['x'], 'RTNETLINK answers: Operation not permitted', 1)));
    }
    assert.ok(!isIdempotentError({ tool: 'ip-link', op: 'set', name: 'x', up: true }, new CommandFailed(['x'], 'Cannot find device "x"', 1)), 'setting a missing link is a failure');
  });

  it('sums several reports up in one error, naming the first failure, and none when nothing failed', async () => {
    const { r } = faulty({ 'brq1 mtu': 'RTNETLINK answers: Operation not permitted', nft: 'Error: Could not process rule' });
    const l2 = await applyCommands(r, [BR, { tool: 'ip-link', op: 'set', name: 'brq1', up: true }, VX]);
    const fw = await applyCommands(r, [{ tool: 'sysctl', key: 'k', value: '1' }, { tool: 'nft', script: ['add table bridge x'] }]);
    assert.match(reportError(l2, fw)?.message ?? '', /^2 of 5 commands failed, 1 skipped \(the next sync plans again\); the first: ip link add brq1 .*Operation not permitted/);
    assert.equal(reportError(await applyCommands(r, [VX])), undefined);
  });

  it('in a dry run, shows every command and says so in the report', async () => {
    const { r, lines } = faulty({});
    const report = await applyCommands(r, [NS, VETH, { tool: 'file', op: 'write', path: '/s/a/host', content: 'a\nb\n' }], 'hv1');
    assert.equal(report.dryRun, true);
    assert.equal(report.done.length, 3);
    assert.deepEqual(lines, [
      'ip netns add qdhcp-a',
      'ip -n hv1 link add tap1 mtu 1450 type veth peer name ns-1 address fa:16:3e:00:00:01 mtu 1450 netns qdhcp-a',
      'sh -c umask 022 && mkdir -p "${1%/*}" && cat > "$1.tmp" && mv -f "$1.tmp" "$1" write-file /s/a/host',
      '  a',
      '  b',
    ]);
  });
});
