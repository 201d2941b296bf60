/**
 * nftables as commands: one `nft -f -` transaction (the kernel applies all of it or nothing) with
 * its script on standard input, and `sysctl -w` for the per-namespace switches nftables relies on.
 */
import { execIn } from './ip-netns.js';

export type NftCommand = { tool: 'nft'; netns?: string; script: string[] } | { tool: 'sysctl'; netns?: string; key: string; value: string };

export function renderNft(c: NftCommand, netns?: string): { argv: string[]; input?: string } {
  if (c.tool === 'sysctl') return { argv: execIn(c.netns ?? netns, ['sysctl', '-w', `${c.key}=${c.value}`]) };
  return { argv: execIn(c.netns ?? netns, ['nft', '-f', '-']), input: `${c.script.join('\n')}\n` };
}
