/**
 * Files as commands: written whole (`install -D`, parents made 0755, the content on standard input)
 * or a directory removed with what is in it. Going through the runner like everything else, a dry
 * run prints them and a real one logs them.
 */

export type FileCommand = { tool: 'file'; op: 'write'; path: string; content: string } | { tool: 'file'; op: 'remove'; path: string };

export function renderFile(c: FileCommand): { argv: string[]; input?: string } {
  if (c.op === 'write') return { argv: ['install', '-D', '-m', '0644', '/dev/stdin', c.path], input: c.content };
  return { argv: ['rm', '-rf', c.path] };
}
