/**
 * HA routers (Neutron's l3-ha): each agent hosting the router runs keepalived in the router's
 * namespace, one VRRP instance on the router's HA device (`ha-<port[:11]>`, on the project's HA
 * network), all instances BACKUP with `nopreempt` so that a recovered node does not take the
 * router back. Whichever is master carries the router's addresses (`virtual_ipaddress_excluded`:
 * interfaces, gateway, floating IPs, and the IPv6 link-local addresses of `qr-`/`qg-`, which the
 * kernel does not make itself on HA devices) and routes (`virtual_routes`: default routes, extra
 * routes); the other instances have the devices but stay silent. keepalived's notify script writes
 * the instance's state (`master`, `backup`, `fault`) to the router's state directory, where the agent
 * reads it (observe.ts) and reports it (`update_ha_routers_states`). Pure.
 */
import type { RouterRoute } from './plan.js';

export interface HaSpec {
  vrId: number;
  /** The HA device and its address (`address/prefix`). */
  haDevice: string;
  /** Addresses keepalived adds on the master: `address/prefix` per device. */
  vips: Array<{ cidr: string; dev: string }>;
  routes: Array<RouterRoute & { dev?: string }>;
  /** `[DEFAULT] ha_vrrp_advert_int`. */
  advertInt: number;
}

/** The primary VIP Neutron gives every HA router: 169.254.0.<vr_id>/24 on the HA device. */
export const primaryVip = (vrId: number) => `169.254.0.${vrId}/24`;

/** The IPv6 link-local address of a MAC (EUI-64), as the kernel would make it. */
export function linkLocalOf(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0] ^= 0x02;
  const words = [(b[0] << 8) | b[1], (b[2] << 8) | 0xff, (0xfe << 8) | b[3], (b[4] << 8) | b[5]];
  return `fe80::${words.map((w) => w.toString(16)).join(':')}`;
}

export function renderKeepalivedConf(h: HaSpec, dir: string): string {
  const route = (r: RouterRoute & { dev?: string }) => {
    const dst = r.dst === 'default' ? (r.via.includes(':') ? '::/0' : '0.0.0.0/0') : r.dst;
    return `        ${dst} via ${r.via}${r.dev ? ` dev ${r.dev}` : ''}`;
  };
  return [
    '# written by nucleon-agent l3: changes are overwritten',
    'global_defs {',
    '    notification_email_from nucleon@localhost',
    `    router_id nucleon-${h.vrId}`,
    '    enable_script_security',
    '    script_user root',
    '}',
    `vrrp_instance VR_${h.vrId} {`,
    '    state BACKUP',
    `    interface ${h.haDevice}`,
    `    virtual_router_id ${h.vrId}`,
    '    priority 50',
    '    garp_master_delay 60',
    '    nopreempt',
    `    advert_int ${h.advertInt}`,
    '    track_interface {',
    `        ${h.haDevice}`,
    '    }',
    '    virtual_ipaddress {',
    `        ${primaryVip(h.vrId)} dev ${h.haDevice}`,
    '    }',
    '    virtual_ipaddress_excluded {',
    ...[...h.vips].sort((a, b) => (a.dev + a.cidr < b.dev + b.cidr ? -1 : 1)).map((v) => `        ${v.cidr} dev ${v.dev}`),
    '    }',
    '    virtual_routes {',
    ...h.routes.map(route),
    '    }',
    `    notify_master "/bin/sh ${dir}/notify.sh master"`,
    `    notify_backup "/bin/sh ${dir}/notify.sh backup"`,
    `    notify_fault "/bin/sh ${dir}/notify.sh fault"`,
    '}',
    '',
  ].join('\n');
}

/** The notify script: writes the new state where the agent reads it. */
export function renderNotifyScript(dir: string): string {
  return ['#!/bin/sh', '# written by nucleon-agent l3: keepalived runs it on a state change', `printf '%s\\n' "$1" > '${dir}/state.tmp' && mv -f '${dir}/state.tmp' '${dir}/state'`, ''].join('\n');
}

/** keepalived's command line: its configuration and pid files in `dir`; it forks into the background. */
export function renderKeepalivedArgv(dir: string): string[] {
  return ['keepalived', '-P', '-f', `${dir}/keepalived.conf`, '-p', `${dir}/keepalived.pid`, '-r', `${dir}/keepalived-vrrp.pid`];
}

/** A `/proc/<pid>/cmdline` is our keepalived of `dir` when it is keepalived with that configuration. */
export function parseKeepalivedCmdline(cmdline: string, dir: string): string[] | null {
  const argv = cmdline.replace(/\0$/, '').split('\0');
  return argv[0]?.endsWith('keepalived') && argv.includes(`${dir}/keepalived.conf`) ? argv : null;
}

/** keepalived's words for a state, as the API says them. */
export function haStateOf(file: string | undefined): 'active' | 'standby' | 'fault' | 'unknown' {
  const s = (file ?? '').trim();
  return s === 'master' ? 'active' : s === 'backup' ? 'standby' : s === 'fault' ? 'fault' : 'unknown';
}
