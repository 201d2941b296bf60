/**
 * Configuration: Neutron-style INI files (`--config-file`, repeatable, later files win) with
 * environment overrides `NUCLEON_<SECTION>__<OPTION>` (e.g. `NUCLEON_DATABASE__CONNECTION`,
 * `NUCLEON_DEFAULT__BIND_PORT`). Every option is declared once below with its type and default;
 * unknown options are ignored (as oslo.config does) and bad values are refused at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import ini from 'ini';

type Kind = 'string' | 'int' | 'bool' | 'list';

interface OptionSpec {
  kind: Kind;
  default: string | number | boolean | string[];
  help: string;
}

const opt = <K extends Kind>(kind: K, def: OptionSpec['default'], help: string) => ({ kind, default: def, help });

/** Every option Nucleon reads, by section. */
export const OPTIONS = {
  DEFAULT: {
    bind_host: opt('string', '127.0.0.1', 'Address the API listens on.'),
    bind_port: opt('int', 9696, 'Port the API listens on.'),
    api_workers: opt('int', 1, 'API server processes.'),
    state_path: opt('string', './state', 'Where the embedded database and other state live.'),
    auth_strategy: opt('string', 'noauth', 'noauth (request context from X-Project-Id/X-Roles headers) or keystone.'),
    base_mac: opt('string', 'fa:16:3e:00:00:00', 'MAC prefix for ports; zero octets are randomised.'),
    dhcp_lease_duration: opt('int', 86400, 'Seconds a DHCP lease lasts (-1: infinite).'),
    dns_domain: opt('string', 'openstacklocal', 'Domain of the host names handed out by DHCP.'),
    min_rtr_adv_interval: opt('int', 30, 'L3 agent: shortest interval between router advertisements (radvd), in seconds.'),
    max_rtr_adv_interval: opt('int', 100, 'L3 agent: longest interval between router advertisements (radvd), in seconds.'),
    ha_vrrp_advert_int: opt('int', 2, 'L3 agent: seconds between VRRP advertisements of HA routers (keepalived).'),
    global_physnet_mtu: opt('int', 1500, 'MTU of the underlying physical network.'),
    max_request_body_size: opt('int', 114688, 'Largest request body accepted, in bytes.'),
    max_dns_nameservers: opt('int', 5, 'DNS name servers per subnet.'),
    max_subnet_host_routes: opt('int', 20, 'Host routes per subnet.'),
    max_allowed_address_pair: opt('int', 10, 'Allowed address pairs per port.'),
    pagination_max_limit: opt('int', -1, 'Largest page a list returns (-1: no limit).'),
    debug: opt('bool', false, 'Log at debug level.'),
    host: opt('string', '', 'Name of this host as agents report it (empty: the machine\'s host name).'),
    agent_down_time: opt('int', 75, 'Seconds without a heartbeat after which an agent is considered dead.'),
    enable_new_agents: opt('bool', true, 'New agents start with admin_state_up = true (false: an admin enables each).'),
    dhcp_agents_per_network: opt('int', 1, 'DHCP agents each network with DHCP is scheduled onto.'),
    network_auto_schedule: opt('bool', true, 'When a DHCP agent appears, schedule the networks that lack DHCP agents onto it.'),
    allow_automatic_dhcp_failover: opt('bool', true, 'Move networks off DHCP agents silent for twice agent_down_time.'),
    router_auto_schedule: opt('bool', true, 'Schedule routers onto L3 agents when created, and unhosted ones when an L3 agent appears.'),
    allow_automatic_l3agent_failover: opt('bool', true, 'Move routers off L3 agents silent for twice agent_down_time (Neutron defaults to false).'),
    l3_ha: opt('bool', false, 'Routers created without `ha` are HA routers (VRRP across L3 agents).'),
    max_l3_agents_per_router: opt('int', 3, 'L3 agents an HA router is scheduled onto (0: every L3 agent).'),
    l3_ha_net_cidr: opt('string', '169.254.192.0/18', 'Subnet of the per-project HA networks that carry VRRP between an HA router\'s agents.'),
    l3_ha_network_type: opt('string', '', 'Network type of the HA networks (empty: the first of tenant_network_types).'),
    l3_ha_network_physical_name: opt('string', '', 'Physical network of the HA networks (flat or vlan types).'),
    transport_url: opt(
      'string',
      '',
      'RPC between server and agents: empty or inproc:// (in-process, all-in-one), or rabbit://user:pass@host:5672[,user:pass@host2:5672]/vhost.',
    ),
    rpc_response_timeout: opt('int', 60, 'Seconds an RPC call waits for its reply.'),
    control_exchange: opt('string', 'neutron', 'RabbitMQ topic exchange that RPC casts and calls go through.'),
    executor_thread_pool_size: opt('int', 64, 'RPC messages one server handles at once (the RabbitMQ prefetch).'),
    all_in_one_agents: opt(
      'string',
      'auto',
      'The four agents inside nucleon-server (auto: when running as root with iproute2 and dnsmasq, on the in-process bus with one API process; true: refuse to start without them; false: never).',
    ),
  },
  agent: {
    report_interval: opt('int', 30, 'Seconds between an agent\'s heartbeats.'),
    availability_zone: opt('string', 'nova', 'Availability zone an agent reports.'),
    namespace_prefix: opt('string', '', 'Prefix of the namespaces and devices an agent makes (several simulated hosts on one machine).'),
    datapath: opt('bool', false, 'Apply the desired state to Linux (the Linux bridge agent\'s bridges and VXLAN devices, the DHCP agent\'s namespaces and dnsmasq, the L3 agent\'s router namespaces, NAT and radvd).'),
    host_namespace: opt('string', '', 'Network namespace holding this host\'s devices (a simulated host); empty: the agent\'s own.'),
  },
  vxlan: {
    local_ip: opt('string', '', 'This host\'s tunnel (underlay) address for VXLAN.'),
  },
  linux_bridge: {
    physical_interface_mappings: opt('list', [], '`physnet:interface` entries: the interface is joined to the bridge of each flat network on that physical network.'),
    bridge_mappings: opt('list', [], '`physnet:bridge` entries: ports of flat networks on that physical network join this existing bridge.'),
  },
  oslo_messaging_rabbit: {
    rabbit_retry_interval: opt('int', 1, 'Seconds before the first reconnection attempt to RabbitMQ; doubles per attempt, jittered.'),
    rabbit_interval_max: opt('int', 30, 'Longest wait between reconnection attempts, in seconds.'),
    cast_buffer_size: opt('int', 10000, 'Messages held while RabbitMQ is unreachable or unconfirmed; past that a cast fails (Nucleon only).'),
  },
  database: {
    connection: opt('string', '', 'SQLAlchemy-style URL; empty: SQLite file under state_path.'),
    max_pool_size: opt('int', 10, 'Connections per server process.'),
    max_retries: opt('int', 25, 'Retries of a transaction that lost a race.'),
  },
  ml2: {
    type_drivers: opt('list', ['local', 'flat', 'vlan', 'vxlan'], 'Network types that may be created.'),
    tenant_network_types: opt('list', ['vxlan'], 'Types given, in order, to networks created without provider attributes.'),
    mechanism_drivers: opt('list', ['linuxbridge'], 'Mechanism drivers that bind ports.'),
    extension_drivers: opt('list', ['port_security', 'dns'], 'Extension drivers.'),
    path_mtu: opt('int', 0, 'MTU of the tunnel underlay (0: global_physnet_mtu).'),
  },
  ml2_type_vxlan: {
    vni_ranges: opt('list', ['1:1000'], 'VXLAN VNI ranges for project networks, `min:max`.'),
  },
  ml2_type_vlan: {
    network_vlan_ranges: opt('list', [], '`physnet[:min:max]` entries; a physnet alone is for provider networks only.'),
  },
  ml2_type_flat: {
    flat_networks: opt('list', ['*'], 'Physical networks for flat networks (`*`: any).'),
  },
  oslo_policy: {
    policy_file: opt('string', '', 'YAML or JSON file of policy rules that override the defaults (oslo.policy syntax).'),
  },
  keystone_authtoken: {
    www_authenticate_uri: opt('string', '', 'Keystone URL clients are sent to (WWW-Authenticate); default auth_url.'),
    auth_url: opt('string', '', 'Keystone URL this server authenticates against, e.g. http://127.0.0.1:5000.'),
    username: opt('string', '', 'Service user that validates tokens.'),
    password: opt('string', '', 'Its password.'),
    project_name: opt('string', 'service', 'Its project.'),
    user_domain_name: opt('string', 'Default', 'Its domain.'),
    project_domain_name: opt('string', 'Default', "Its project's domain."),
    token_cache_time: opt('int', 300, 'Seconds a validated token is trusted before it is checked again.'),
    http_request_max_retries: opt('int', 3, 'Attempts to reach Keystone before answering 503.'),
    http_connect_timeout: opt('int', 5, 'Seconds to wait for Keystone.'),
  },
  QUOTAS: {
    default_quota: opt('int', -1, 'Per-project limit of the resources without an option of their own: subnet pools (-1: unlimited).'),
    quota_network: opt('int', 100, 'Networks per project (-1: unlimited).'),
    quota_subnet: opt('int', 100, 'Subnets per project (-1: unlimited).'),
    quota_port: opt('int', 500, 'Ports per project (-1: unlimited).'),
    quota_router: opt('int', 10, 'Routers per project (-1: unlimited).'),
    quota_floatingip: opt('int', 50, 'Floating IPs per project (-1: unlimited).'),
    quota_rbac_policy: opt('int', 10, 'RBAC policies per project (-1: unlimited).'),
    quota_security_group: opt('int', 10, 'Security groups per project (-1: unlimited).'),
    quota_security_group_rule: opt('int', 100, 'Security group rules per project (-1: unlimited).'),
  },
} satisfies Record<string, Record<string, OptionSpec>>;

type Value<S> = S extends { kind: 'int' } ? number : S extends { kind: 'bool' } ? boolean : S extends { kind: 'list' } ? string[] : string;
export type Config = { [Sec in keyof typeof OPTIONS]: { [K in keyof (typeof OPTIONS)[Sec]]: Value<(typeof OPTIONS)[Sec][K]> } };

function coerce(section: string, name: string, spec: OptionSpec, raw: string): unknown {
  const where = `[${section}] ${name}`;
  switch (spec.kind) {
    case 'int':
      if (!/^-?\d+$/.test(raw.trim())) throw new Error(`config ${where}: '${raw}' is not an integer`);
      return Number(raw.trim());
    case 'bool': {
      const s = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      throw new Error(`config ${where}: '${raw}' is not a boolean`);
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return raw.trim();
  }
}

/** Builds the configuration from INI files then the environment. Throws with the offending option. */
export function loadConfig(files: string[] = [], env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [section, specs] of Object.entries(OPTIONS)) {
    out[section] = {};
    for (const [name, spec] of Object.entries(specs as Record<string, OptionSpec>)) {
      out[section][name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    }
  }
  for (const file of files) {
    let parsed: Record<string, unknown>;
    try {
      parsed = ini.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    for (const [key, value] of Object.entries(parsed)) {
      // ini puts options before any section header at top level; Neutron has none there.
      if (typeof value !== 'object' || value === null) continue;
      const section = key;
      const specs = (OPTIONS as Record<string, Record<string, OptionSpec>>)[section];
      if (!specs) continue;
      for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
        if (!(name in specs)) continue;
        out[section][name] = coerce(section, name, specs[name], String(raw));
      }
    }
  }
  for (const [section, specs] of Object.entries(OPTIONS)) {
    for (const [name, spec] of Object.entries(specs as Record<string, OptionSpec>)) {
      const raw = env[`NUCLEON_${section.toUpperCase()}__${name.toUpperCase()}`];
      if (raw !== undefined) out[section][name] = coerce(section, name, spec, raw);
    }
  }
  const config = out as Config;
  if (!config.database.connection) {
    config.database.connection = `sqlite:///${path.join(config.DEFAULT.state_path, 'nucleon.sqlite')}`;
  }
  return config;
}
