/**
 * Host loss, for failover tests (HA routers, DHCP and L3 rescheduling): `hostDown` crashes a lab
 * host as a power cut would. Its agents get SIGKILL (no goodbye to the server, no VRRP priority 0
 * from a keepalived told to stop), both ends of its links go down (`ul0` to the underlay and, on a
 * network node, `ext0` to the outside), and every process inside its namespaces (its own and the
 * `<prefix>-<host>-…` ones its agents made: dnsmasq, keepalived and its children, radvd) is killed
 * the same way. What the agents left in the kernel (bridges, router namespaces, addresses) stays,
 * as it would on a machine that reboots into its old configuration. `hostUp` brings the links up
 * and starts the host's agents again from the same configurations; they find their leftovers and
 * reconcile. VMs (`<prefix>-vm-…`) are not the host's namespaces and keep running.
 */
import type { CommandRunner } from '../linux/runner.js';
import {
  agentKinds,
  hostConfigPath,
  isHostNamespace,
  labNamespaces,
  processesMentioning,
  readLab,
  renderHostLinks,
  saveLab,
  startAgent,
  stopNamespaceProcesses,
  stopProcesses,
  type LabAgent,
  type LabState,
} from './lab.js';
import { isGone } from '../linux/daemon.js';

/** The lab and the host in it that host-down/host-up act on; throws a message fit for the user. */
function labHost(prefix: string, stateDir: string, host: string): LabState {
  const state = readLab(prefix, stateDir);
  if (!state) throw new Error(`lab '${prefix}' is not up (no ${stateDir}/lab.json)`);
  if (!state.hosts[host]) throw new Error(`host '${host}' is not a host of lab '${prefix}' (${Object.keys(state.hosts).join(', ')})`);
  if (state.transportUrl === 'inproc://') throw new Error(`lab '${prefix}' runs its agents in one process (--transport inproc): a host cannot go down alone`);
  return state;
}

/** Crashes `host`: SIGKILL to its agents and to everything in its namespaces, its links down on both ends. */
export async function hostDown(run: CommandRunner, prefix: string, stateDir: string, host: string, say: (line: string) => void): Promise<LabState> {
  const state = labHost(prefix, stateDir, host);
  const agents = state.agents.filter((a) => a.host === host).map((a) => a.pid);
  // the agents first, so that none reacts to its links going down; also one started by hand with the host's configuration
  await stopProcesses([...new Set([...agents, ...processesMentioning(hostConfigPath(stateDir, host))])], 0);
  for (const argv of renderHostLinks(state, host, 'down')) await run.run(argv);
  const namespaces = (await labNamespaces(run, prefix)).filter((ns) => isHostNamespace(prefix, host, ns));
  const killed = await stopNamespaceProcesses(run, namespaces, 0);
  // a daemon of the host's agents outside its namespaces (its command line names the host's state_path)
  await stopProcesses(processesMentioning(`${stateDir}/${host}/`), 0);
  state.hosts[host].down = true;
  saveLab(state);
  say(`host ${host} is down: its agents and ${killed} process${killed === 1 ? '' : 'es'} in ${namespaces.length} namespace${namespaces.length === 1 ? '' : 's'} killed, its links down`);
  return state;
}

/** Brings `host` back: its links up, and each of its agents that is not running started again with its configuration. */
export async function hostUp(run: CommandRunner, prefix: string, stateDir: string, host: string, say: (line: string) => void): Promise<LabState> {
  const state = labHost(prefix, stateDir, host);
  for (const argv of renderHostLinks(state, host, 'up')) await run.run(argv);
  for (const kind of agentKinds(state.hosts[host].role)) {
    const i = state.agents.findIndex((a) => a.host === host && a.kind === kind);
    const old: LabAgent | undefined = state.agents[i];
    if (old && !(await isGone(old.pid))) continue;
    const agent = startAgent(state, host, kind, old?.config ?? hostConfigPath(stateDir, host));
    if (i >= 0) state.agents[i] = agent;
    else state.agents.push(agent);
    saveLab(state);
    say(`agent ${kind} on ${host}: pid ${agent.pid}, log ${agent.log}`);
  }
  delete state.hosts[host].down;
  saveLab(state);
  say(`host ${host} is up`);
  return state;
}
