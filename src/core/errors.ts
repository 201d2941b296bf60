/**
 * The error catalogue. Every error the API can return is declared here once, named exactly like
 * Neutron's exception class (the name goes on the wire as `NeutronError.type`), with its HTTP status
 * and message template. Code throws these; one root handler in api/wire/fault.ts renders them.
 * No I/O, no HTTP knowledge beyond the status number.
 */

export class NeutronError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly detail = '',
  ) {
    super(message);
  }
}

/** Declares one error class: `type` on the wire, HTTP status, message built from parameters. */
function declare<P extends object = Record<string, never>>(type: string, status: number, template: (p: P) => string) {
  return class extends NeutronError {
    constructor(p: P = {} as P) {
      super(type, status, template(p));
    }
  };
}

// ---- generic (neutron_lib.exceptions and webob) ----
export const BadRequest = declare('BadRequest', 400, (p: { resource: string; msg: string }) => `Bad ${p.resource} request: ${p.msg}.`);
export const InvalidInput = declare('InvalidInput', 400, (p: { error_message: string }) => `Invalid input for operation: ${p.error_message}.`);
/** What the API layer returns for attribute validation and parse failures (webob's HTTPBadRequest). */
export const HTTPBadRequest = declare('HTTPBadRequest', 400, (p: { msg: string }) => p.msg);
export const HTTPNotFound = declare('HTTPNotFound', 404, (p: { msg: string }) => p.msg);
export const HTTPMethodNotAllowed = declare('HTTPMethodNotAllowed', 405, (p: { msg: string }) => p.msg);
export const HTTPRequestEntityTooLarge = declare('HTTPRequestEntityTooLarge', 413, (p: { msg: string }) => p.msg);
export const HTTPUnsupportedMediaType = declare('HTTPUnsupportedMediaType', 415, (p: { msg: string }) => p.msg);
export const NotAuthorized = declare('NotAuthorized', 403, () => 'Not authorized.');
export const PolicyNotAuthorized = declare('PolicyNotAuthorized', 403, (p: { action: string }) => `rule:${p.action} is disallowed by policy`);
export const ServiceUnavailable = declare('ServiceUnavailable', 503, (p: { msg: string }) => p.msg);
export const RevisionNumberConstraintFailed = declare(
  'RevisionNumberConstraintFailed',
  412,
  (p: { expected: number; current: number }) => `Constrained to ${p.expected}, but current revision is ${p.current}`,
);
export const ExtensionNotFound = declare('ExtensionNotFound', 404, (p: { alias: string }) => `Extension with alias ${p.alias} does not exist`);
export const TagNotFound = declare('TagNotFound', 404, (p: { tag: string }) => `Tag ${p.tag} could not be found.`);

// ---- networks ----
export const NetworkNotFound = declare('NetworkNotFound', 404, (p: { net_id: string }) => `Network ${p.net_id} could not be found.`);
export const NetworkInUse = declare(
  'NetworkInUse',
  409,
  (p: { net_id: string; port_ids?: string[] }) =>
    `Unable to complete operation on network ${p.net_id}. There are one or more ports still in use on the network` +
    (p.port_ids?.length ? `, id for these ports is: ${p.port_ids.join(', ')}.` : '.'),
);
export const NoNetworkAvailable = declare(
  'NoNetworkAvailable',
  503,
  () => 'Unable to create the network. No tenant network is available for allocation.',
);
export const FlatNetworkInUse = declare(
  'FlatNetworkInUse',
  409,
  (p: { physical_network: string }) => `Unable to create the flat network. Physical network ${p.physical_network} is in use.`,
);
export const VlanIdInUse = declare(
  'VlanIdInUse',
  409,
  (p: { vlan_id: number; physical_network: string }) =>
    `Unable to create the network. The VLAN ${p.vlan_id} on physical network ${p.physical_network} is in use.`,
);
export const TunnelIdInUse = declare(
  'TunnelIdInUse',
  409,
  (p: { tunnel_id: number }) => `Unable to create the network. The tunnel ID ${p.tunnel_id} is in use.`,
);

// ---- subnets ----
export const SubnetNotFound = declare('SubnetNotFound', 404, (p: { subnet_id: string }) => `Subnet ${p.subnet_id} could not be found.`);
export const SubnetInUse = declare(
  'SubnetInUse',
  409,
  (p: { subnet_id: string; reason?: string }) =>
    `Unable to complete operation on subnet ${p.subnet_id}: ${p.reason ?? 'One or more ports have an IP allocation from this subnet'}.`,
);
export const GatewayConflictWithAllocationPools = declare(
  'GatewayConflictWithAllocationPools',
  409,
  (p: { ip_address: string; pool: string }) => `Gateway ip ${p.ip_address} conflicts with allocation pool ${p.pool}.`,
);
export const OverlappingAllocationPools = declare(
  'OverlappingAllocationPools',
  409,
  (p: { pool_1: string; pool_2: string; subnet_cidr: string }) =>
    `Found overlapping allocation pools: ${p.pool_1} and ${p.pool_2} for subnet ${p.subnet_cidr}.`,
);
export const OutOfBoundsAllocationPool = declare(
  'OutOfBoundsAllocationPool',
  400,
  (p: { pool: string; subnet_cidr: string }) => `The allocation pool ${p.pool} spans beyond the subnet cidr ${p.subnet_cidr}.`,
);
export const InvalidAllocationPool = declare('InvalidAllocationPool', 400, (p: { pool: string }) => `The allocation pool ${p.pool} is not valid.`);
export const HostRoutesExhausted = declare(
  'HostRoutesExhausted',
  400,
  (p: { subnet_id: string; quota: number }) =>
    `Unable to complete operation for ${p.subnet_id}. The number of host routes exceeds the limit ${p.quota}.`,
);
export const DNSNameServersExhausted = declare(
  'DNSNameServersExhausted',
  400,
  (p: { subnet_id: string; quota: number }) =>
    `Unable to complete operation for ${p.subnet_id}. The number of DNS nameservers exceeds the limit ${p.quota}.`,
);

// ---- ports and IPAM ----
export const PortNotFound = declare('PortNotFound', 404, (p: { port_id: string }) => `Port ${p.port_id} could not be found.`);
export const MacAddressInUse = declare(
  'MacAddressInUse',
  409,
  (p: { net_id: string; mac: string }) => `Unable to complete operation for network ${p.net_id}. The mac address ${p.mac} is in use.`,
);
export const MacAddressGenerationFailure = declare(
  'MacAddressGenerationFailure',
  503,
  (p: { net_id: string }) => `Unable to generate unique mac on network ${p.net_id}.`,
);
export const IpAddressAlreadyAllocated = declare(
  'IpAddressAlreadyAllocated',
  409,
  (p: { ip: string; subnet_id: string }) => `IP address ${p.ip} already allocated in subnet ${p.subnet_id}`,
);
export const IpAddressGenerationFailure = declare(
  'IpAddressGenerationFailure',
  409,
  (p: { net_id: string }) => `No more IP addresses available on network ${p.net_id}.`,
);
export const InvalidIpForSubnet = declare(
  'InvalidIpForSubnet',
  400,
  (p: { ip_address: string }) => `IP address ${p.ip_address} is not a valid IP for the specified subnet.`,
);
export const InvalidIpForNetwork = declare(
  'InvalidIpForNetwork',
  400,
  (p: { ip_address: string }) => `IP address ${p.ip_address} is not a valid IP for any of the subnets on the specified network.`,
);

/** Database contention that survived every retry: the client may simply try again. */
export const RetryLimitExceeded = declare(
  'RetryLimitExceeded',
  409,
  (p: { action: string }) => `Operation ${p.action} could not complete because of concurrent changes; retry the request.`,
);

export const AvailabilityZoneNotFound = declare(
  'AvailabilityZoneNotFound',
  404,
  (p: { availability_zone: string }) => `AvailabilityZone ${p.availability_zone} could not be found.`,
);
export const AddressPairAndPortSecurityRequired = declare(
  'AddressPairAndPortSecurityRequired',
  409,
  () => 'Port Security must be enabled in order to have allowed address pairs on a port.',
);
export const AllowedAddressPairExhausted = declare(
  'AllowedAddressPairExhausted',
  400,
  (p: { quota: number }) => `The number of allowed address pair exceeds the maximum ${p.quota}.`,
);
export const DuplicateAddressPairInRequest = declare(
  'DuplicateAddressPairInRequest',
  400,
  (p: { mac_address: string; ip_address: string }) =>
    `Request contains duplicate address pair: mac_address ${p.mac_address} ip_address ${p.ip_address}.`,
);
export const TagResourceNotFound = declare(
  'TagResourceNotFound',
  404,
  (p: { resource: string; resource_id: string }) => `Resource ${p.resource} ${p.resource_id} could not be found.`,
);

// ---- subnet pools (neutron_lib.exceptions, neutron.ipam.subnet_alloc) ----
export const SubnetPoolNotFound = declare('SubnetPoolNotFound', 404, (p: { subnetpool_id: string }) => `Subnet pool ${p.subnetpool_id} could not be found.`);
export const EmptySubnetPoolPrefixList = declare('EmptySubnetPoolPrefixList', 400, () => 'Empty subnet pool prefix list.');
export const PrefixVersionMismatch = declare('PrefixVersionMismatch', 400, () => 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
export const IllegalSubnetPoolPrefixBounds = declare(
  'IllegalSubnetPoolPrefixBounds',
  400,
  (p: { prefix_type: string; prefixlen: number; base_prefix_type: string; base_prefixlen: number }) =>
    `Illegal prefix bounds: ${p.prefix_type}=${p.prefixlen}, ${p.base_prefix_type}=${p.base_prefixlen}.`,
);
export const IllegalSubnetPoolPrefixUpdate = declare('IllegalSubnetPoolPrefixUpdate', 400, (p: { msg: string }) => `Illegal update to prefixes: ${p.msg}.`);
export const SubnetPoolDeleteError = declare('SubnetPoolDeleteError', 400, (p: { reason: string }) => `Unable to delete subnet pool: ${p.reason}.`);
/** Neutron answers it as a 500 (a bare NeutronException); the pool simply has no room: 409 here. */
export const SubnetAllocationError = declare('SubnetAllocationError', 409, (p: { reason: string }) => `Failed to allocate subnet: ${p.reason}.`);
export const MinPrefixSubnetAllocationError = declare(
  'MinPrefixSubnetAllocationError',
  400,
  (p: { prefixlen: number; min_prefixlen: number }) => `Unable to allocate subnet with prefix length ${p.prefixlen}, minimum allowed prefix is ${p.min_prefixlen}.`,
);
export const MaxPrefixSubnetAllocationError = declare(
  'MaxPrefixSubnetAllocationError',
  400,
  (p: { prefixlen: number; max_prefixlen: number }) => `Unable to allocate subnet with prefix length ${p.prefixlen}, maximum allowed prefix is ${p.max_prefixlen}.`,
);
export const SubnetPoolQuotaExceeded = declare('SubnetPoolQuotaExceeded', 409, () => 'Per-tenant subnet pool prefix quota exceeded.');
export const NetworkSubnetPoolAffinityError = declare(
  'NetworkSubnetPoolAffinityError',
  400,
  () => 'Subnets hosted on the same network must be allocated from the same subnet pool.',
);
export const AddressScopeNotFound = declare('AddressScopeNotFound', 404, (p: { address_scope_id: string }) => `Address scope ${p.address_scope_id} could not be found.`);
/** netaddr's parse error, which Neutron lets through as a 400 where it parses prefixes itself. */
export const AddrFormatError = declare('AddrFormatError', 400, (p: { input: string }) => `invalid IPNetwork ${p.input}`);

// ---- security groups ----
export const SecurityGroupNotFound = declare('SecurityGroupNotFound', 404, (p: { id: string }) => `Security group ${p.id} does not exist`);
export const SecurityGroupRuleNotFound = declare('SecurityGroupRuleNotFound', 404, (p: { id: string }) => `Security group rule ${p.id} does not exist`);
export const SecurityGroupInUse = declare('SecurityGroupInUse', 409, (p: { id: string }) => `Security Group ${p.id} in use.`);
/** Neutron's generic security group conflict, e.g. a port given both stateful and stateless groups. */
export const SecurityGroupConflict = declare('SecurityGroupConflict', 409, (p: { reason: string }) => `Error ${p.reason} while attempting the operation.`);
export const SecurityGroupCannotRemoveDefault = declare('SecurityGroupCannotRemoveDefault', 409, () => 'Insufficient rights for removing default security group.');
export const SecurityGroupCannotUpdateDefault = declare('SecurityGroupCannotUpdateDefault', 409, () => 'Updating default security group not allowed.');
export const SecurityGroupDefaultAlreadyExists = declare('SecurityGroupDefaultAlreadyExists', 409, () => 'Default security group already exists.');
export const SecurityGroupRuleExists = declare('SecurityGroupRuleExists', 409, (p: { rule_id: string }) => `Security group rule already exists. Rule id is ${p.rule_id}.`);
export const DuplicateSecurityGroupRuleInPost = declare('DuplicateSecurityGroupRuleInPost', 409, () => 'Duplicate Security Group Rule in POST.');
export const SecurityGroupRuleInvalidProtocol = declare(
  'SecurityGroupRuleInvalidProtocol',
  400,
  (p: { protocol: string; values: string }) =>
    `Security group rule protocol ${p.protocol} not supported. Only protocol values ${p.values} and integer representations [0 to 255] are supported.`,
);
export const SecurityGroupRuleInvalidEtherType = declare(
  'SecurityGroupRuleInvalidEtherType',
  400,
  (p: { ethertype: string }) => `Security group rule for ethertype '${p.ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].`,
);
export const SecurityGroupInvalidPortValue = declare('SecurityGroupInvalidPortValue', 400, (p: { port: unknown }) => `Invalid value for port ${p.port}`);
export const SecurityGroupInvalidPortRange = declare('SecurityGroupInvalidPortRange', 400, () => 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
export const SecurityGroupInvalidIcmpValue = declare(
  'SecurityGroupInvalidIcmpValue',
  400,
  (p: { field: string; attr: string; value: number }) => `Invalid value for ICMP ${p.field} (${p.attr}) ${p.value}. It must be 0 to 255.`,
);
export const SecurityGroupMissingIcmpType = declare(
  'SecurityGroupMissingIcmpType',
  400,
  (p: { value: number }) => `ICMP code (port-range-max) ${p.value} is provided but ICMP type (port-range-min) is missing.`,
);
export const SecurityGroupProtocolRequiredWithPorts = declare('SecurityGroupProtocolRequiredWithPorts', 400, () => 'Must also specify protocol if port range is given.');
export const SecurityGroupInvalidProtocolForPort = declare(
  'SecurityGroupInvalidProtocolForPort',
  400,
  (p: { protocol: string; valid_port_protocols: string }) =>
    `Ports cannot be specified for protocol ${p.protocol}. Ports are only supported for ${p.valid_port_protocols}.`,
);
export const SecurityGroupEthertypeConflictWithProtocol = declare(
  'SecurityGroupEthertypeConflictWithProtocol',
  400,
  (p: { ethertype: string; protocol: string }) => `Invalid ethertype ${p.ethertype} for protocol ${p.protocol}.`,
);
export const SecurityGroupRuleParameterConflict = declare(
  'SecurityGroupRuleParameterConflict',
  400,
  (p: { ethertype: string; cidr: string }) => `Conflicting value ethertype ${p.ethertype} for CIDR ${p.cidr}`,
);
export const SecurityGroupMultipleRemoteEntites = declare(
  'SecurityGroupMultipleRemoteEntites',
  400,
  () => 'Only one of remote_ip_prefix or remote_group_id or remote_address_group_id may be provided.',
);
export const SecurityGroupRulesNotSingleTenant = declare(
  'SecurityGroupRulesNotSingleTenant',
  400,
  () => 'Multiple tenant_ids in bulk security group rule create not allowed',
);
export const InvalidCIDR = declare('InvalidCIDR', 400, (p: { input: string }) => `Invalid CIDR ${p.input} given as IP prefix.`);
export const PortSecurityAndIPRequiredForSecurityGroups = declare(
  'PortSecurityAndIPRequiredForSecurityGroups',
  400,
  () => 'Port security must be enabled and port must have an IP address in order to use security groups.',
);
export const PortSecurityPortHasSecurityGroup = declare(
  'PortSecurityPortHasSecurityGroup',
  409,
  () => 'Port has security group associated. Cannot disable port security or IP address until security group is removed.',
);

// ---- routers and floating IPs (neutron_lib.exceptions.l3, l3_ext_ha_mode, extraroute, external_net) ----
export const RouterNotFound = declare('RouterNotFound', 404, (p: { router_id: string }) => `Router ${p.router_id} could not be found`);
export const NoVRIDAvailable = declare(
  'NoVRIDAvailable',
  409,
  (p: { router_id: string }) =>
    `No more Virtual Router Identifier (VRID) available when creating router ${p.router_id}. The limit of number of HA Routers per tenant is 254.`,
);
export const RouterInUse = declare('RouterInUse', 409, (p: { router_id: string; reason?: string }) => `Router ${p.router_id} ${p.reason ?? 'still has ports'}`);
export const RouterInterfaceNotFound = declare(
  'RouterInterfaceNotFound',
  404,
  (p: { router_id: string; port_id: string }) => `Router ${p.router_id} does not have an interface with id ${p.port_id}`,
);
export const RouterInterfaceNotFoundForSubnet = declare(
  'RouterInterfaceNotFoundForSubnet',
  404,
  (p: { router_id: string; subnet_id: string }) => `Router ${p.router_id} has no interface on subnet ${p.subnet_id}`,
);
export const RouterInterfaceInUseByFloatingIP = declare(
  'RouterInterfaceInUseByFloatingIP',
  409,
  (p: { router_id: string; subnet_id: string }) =>
    `Router interface for subnet ${p.subnet_id} on router ${p.router_id} cannot be deleted, as it is required by one or more floating IPs.`,
);
export const RouterInterfaceInUseByRoute = declare(
  'RouterInterfaceInUseByRoute',
  409,
  (p: { router_id: string; subnet_id: string }) =>
    `Router interface for subnet ${p.subnet_id} on router ${p.router_id} cannot be deleted, as it is required by one or more routes.`,
);
export const RouterExternalGatewayInUseByFloatingIp = declare(
  'RouterExternalGatewayInUseByFloatingIp',
  409,
  (p: { router_id: string; net_id: string }) =>
    `Gateway cannot be updated for router ${p.router_id}, since a gateway to external network ${p.net_id} is required by one or more floating IPs.`,
);
export const FloatingIPNotFound = declare('FloatingIPNotFound', 404, (p: { floatingip_id: string }) => `Floating IP ${p.floatingip_id} could not be found`);
export const ExternalGatewayForFloatingIPNotFound = declare(
  'ExternalGatewayForFloatingIPNotFound',
  404,
  (p: { external_network_id: string; subnet_id: string; port_id: string }) =>
    `External network ${p.external_network_id} is not reachable from subnet ${p.subnet_id}.  Therefore, cannot associate Port ${p.port_id} with a Floating IP.`,
);
export const FloatingIPPortAlreadyAssociated = declare(
  'FloatingIPPortAlreadyAssociated',
  409,
  (p: { floating_ip_address: string; fip_id: string; port_id: string; fixed_ip: string; net_id: string }) =>
    `Cannot associate floating IP ${p.floating_ip_address} (${p.fip_id}) with port ${p.port_id} using fixed IP ${p.fixed_ip}, as that fixed IP already has a floating IP on external network ${p.net_id}.`,
);
export const ExternalIpAddressExhausted = declare(
  'ExternalIpAddressExhausted',
  400,
  (p: { net_id: string }) => `Unable to find any IP address on external network ${p.net_id}.`,
);
/** Not prefixed like other InvalidInput errors: Neutron's class replaces the whole message. */
export const InvalidRoutes = declare('InvalidRoutes', 400, (p: { routes: string; reason: string }) => `Invalid format for routes: ${p.routes}, ${p.reason}`);
export const RoutesExhausted = declare(
  'RoutesExhausted',
  400,
  (p: { router_id: string; quota: number }) => `Unable to complete operation for ${p.router_id}. The number of routes exceeds the maximum ${p.quota}.`,
);
export const ServicePortInUse = declare(
  'ServicePortInUse',
  409,
  (p: { port_id: string; reason: string }) => `Port ${p.port_id} cannot be deleted directly via the port API: ${p.reason}.`,
);
export const PortInUse = declare(
  'PortInUse',
  409,
  (p: { port_id: string; net_id: string; device_id: string }) =>
    `Unable to complete operation on port ${p.port_id} for network ${p.net_id}. Port already has an attached device ${p.device_id}.`,
);
export const SubnetMismatchForPort = declare(
  'SubnetMismatchForPort',
  400,
  (p: { port_id: string; subnet_id: string }) => `Subnet on port ${p.port_id} does not match the requested subnet ${p.subnet_id}.`,
);
export const ExternalNetworkInUse = declare(
  'ExternalNetworkInUse',
  409,
  (p: { net_id: string }) => `External network ${p.net_id} cannot be updated to be made non-external, since it has existing gateway ports.`,
);

// ---- quotas and RBAC (neutron_lib.exceptions, neutron.extensions.rbac, rbac_db_models) ----
export const OverQuota = declare(
  'OverQuota',
  409,
  (p: { overs: string[] }) => `Quota exceeded for resources: [${p.overs.map((o) => `'${o}'`).join(', ')}].`,
);
export const TenantQuotaNotFound = declare('TenantQuotaNotFound', 404, (p: { tenant_id: string }) => `Quota for tenant ${p.tenant_id} could not be found.`);
export const AdminRequired = declare('AdminRequired', 403, (p: { reason: string }) => `User does not have admin privileges: ${p.reason}.`);
export const HTTPNotImplemented = declare('HTTPNotImplemented', 501, (p: { msg: string }) => p.msg);
/** A policy check over an action and some of its attributes: `(rule:a and rule:a:attr) is disallowed by policy`. */
export const PolicyRulesNotAuthorized = declare('PolicyNotAuthorized', 403, (p: { rules: string[] }) =>
  p.rules.length === 1 ? `rule:${p.rules[0]} is disallowed by policy` : `(${p.rules.map((r) => `rule:${r}`).join(' and ')}) is disallowed by policy`,
);
export const RbacPolicyNotFound = declare(
  'RbacPolicyNotFound',
  404,
  (p: { id: string; object_type: string }) => `RBAC policy of type ${p.object_type} with ID ${p.id} not found`,
);
export const RbacPolicyInUse = declare(
  'RbacPolicyInUse',
  409,
  (p: { object_id: string; details: string }) => `RBAC policy on object ${p.object_id} cannot be removed because other objects depend on it.\nDetails: ${p.details}`,
);
export const DuplicateRbacPolicy = declare('DuplicateRbacPolicy', 409, () => 'An RBAC policy already exists with those values.');
export const InvalidActionForType = declare(
  'InvalidActionForType',
  400,
  (p: { action: string; object_type: string; valid_actions: string[] }) =>
    `Invalid action '${p.action}' for object type '${p.object_type}'. Valid actions: (${p.valid_actions.map((a) => `'${a}'`).join(', ')}${p.valid_actions.length === 1 ? ',' : ''})`,
);
export const InvalidSharedSetting = declare(
  'InvalidSharedSetting',
  409,
  (p: { network: string }) => `Unable to reconfigure sharing settings for network ${p.network}. Multiple tenants are using it.`,
);

// ---- metering (neutron_lib.exceptions.metering) ----
export const MeteringLabelNotFound = declare('MeteringLabelNotFound', 404, (p: { label_id: string }) => `Metering label '${p.label_id}' does not exist.`);
export const MeteringLabelRuleNotFound = declare('MeteringLabelRuleNotFound', 404, (p: { rule_id: string }) => `Metering label rule '${p.rule_id}' does not exist.`);
export const MeteringLabelRuleOverlaps = declare(
  'MeteringLabelRuleOverlaps',
  409,
  (p: { remote_ip_prefix: string }) => `Metering label rule with remote_ip_prefix '${p.remote_ip_prefix}' overlaps another.`,
);
/** Neutron's answer to an update the metering plug-in does not implement (`NotImplementedError`, 501). */
export const MeteringNotImplemented = declare('NotImplementedError', 501, () => '');

// ---- agents and their schedulers (neutron_lib.exceptions.agent, .dhcpagentscheduler; neutron.extensions.l3agentscheduler) ----
export const AgentNotFound = declare('AgentNotFound', 404, (p: { id: string }) => `Agent ${p.id} could not be found.`);
export const InvalidDHCPAgent = declare('InvalidDHCPAgent', 404, (p: { id: string }) => `Agent ${p.id} is not a valid DHCP Agent or has been disabled.`);
export const NetworkHostedByDHCPAgent = declare(
  'NetworkHostedByDHCPAgent',
  409,
  (p: { network_id: string; agent_id: string }) => `The network ${p.network_id} has been already hosted by the DHCP Agent ${p.agent_id}.`,
);
export const NetworkNotHostedByDhcpAgent = declare(
  'NetworkNotHostedByDhcpAgent',
  409,
  (p: { network_id: string; agent_id: string }) => `The network ${p.network_id} is not hosted by the DHCP Agent ${p.agent_id}.`,
);
export const InvalidL3Agent = declare('InvalidL3Agent', 404, (p: { id: string }) => `Agent ${p.id} is not a L3 Agent or has been disabled`);
export const RouterHostedByL3Agent = declare(
  'RouterHostedByL3Agent',
  409,
  (p: { router_id: string; agent_id: string }) => `The router ${p.router_id} has been already hosted by the L3 Agent ${p.agent_id}.`,
);
export const RouterNotHostedByL3Agent = declare(
  'RouterNotHostedByL3Agent',
  409,
  (p: { router_id: string; agent_id: string }) => `The router ${p.router_id} is not hosted by L3 agent ${p.agent_id}.`,
);
export const RouterSchedulingFailed = declare(
  'RouterSchedulingFailed',
  409,
  (p: { router_id: string; agent_id: string }) => `Failed scheduling router ${p.router_id} to the L3 Agent ${p.agent_id}.`,
);
