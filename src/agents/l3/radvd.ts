/**
 * Router advertisements for a router's IPv6 interfaces (radvd, as Neutron runs it: one per router
 * namespace, its configuration in the router's state directory). An interface is advertised when
 * one of its subnets has an `ipv6_ra_mode`; per Neutron's modes: `slaac` (addresses from the
 * prefix), `dhcpv6-stateless` (addresses from the prefix, other settings by DHCPv6: O flag),
 * `dhcpv6-stateful` (addresses by DHCPv6: M flag, the prefix not autonomous). The interface's MTU
 * and the subnet's DNS servers (RDNSS) go along. Pure.
 */

export interface RaInterface {
  device: string;
  mtu: number;
  /** The IPv6 subnets of the interface that have an RA mode. */
  subnets: Array<{ cidr: string; ipv6_ra_mode: string; dns_nameservers: string[] }>;
}

export const RA_MODES = ['slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'];

export function renderRadvdConf(interfaces: RaInterface[], minInterval: number, maxInterval: number): string {
  const out: string[] = ['# written by nucleon-agent l3: changes are overwritten'];
  for (const i of [...interfaces].sort((a, b) => (a.device < b.device ? -1 : 1))) {
    const modes = new Set(i.subnets.map((s) => s.ipv6_ra_mode));
    const dns = [...new Set(i.subnets.flatMap((s) => s.dns_nameservers.filter((d) => d.includes(':'))))];
    out.push(`interface ${i.device}`, '{', '  AdvSendAdvert on;', `  MinRtrAdvInterval ${minInterval};`, `  MaxRtrAdvInterval ${maxInterval};`, `  AdvLinkMTU ${i.mtu};`);
    if (modes.has('dhcpv6-stateful')) out.push('  AdvManagedFlag on;');
    if (modes.has('dhcpv6-stateless') || modes.has('dhcpv6-stateful')) out.push('  AdvOtherConfigFlag on;');
    if (dns.length) out.push(`  RDNSS ${dns.join(' ')} {};`);
    for (const s of [...i.subnets].sort((a, b) => (a.cidr < b.cidr ? -1 : 1))) {
      out.push(`  prefix ${s.cidr}`, '  {', '    AdvOnLink on;', `    AdvAutonomous ${s.ipv6_ra_mode === 'dhcpv6-stateful' ? 'off' : 'on'};`, '  };');
    }
    out.push('};');
  }
  return `${out.join('\n')}\n`;
}

/** radvd's command line: its configuration and pid file in `dir`; it forks into the background. */
export function renderRadvdArgv(dir: string): string[] {
  return ['radvd', '-C', `${dir}/radvd.conf`, '-p', `${dir}/radvd.pid`, '-m', 'logfile', '-l', `${dir}/radvd.log`];
}

/** A `/proc/<pid>/cmdline` is our radvd of `dir` when it is radvd with that configuration. */
export function parseRadvdCmdline(cmdline: string, dir: string): string[] | null {
  const argv = cmdline.replace(/\0$/, '').split('\0');
  return argv[0]?.endsWith('radvd') && argv.includes(`${dir}/radvd.conf`) ? argv : null;
}
