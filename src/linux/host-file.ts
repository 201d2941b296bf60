/**
 * Files as commands: written whole (the content on standard input to a temporary file, renamed into
 * place; parents made 0755, the file 0644) or a directory removed with what is in it. Going through
 * the runner like everything else, a dry run prints them and a real one logs them. (Not `install
 * /dev/stdin`: Node gives a child a socket, not a pipe, as standard input, and /dev/stdin cannot
 * open a socket.)
 */

/** `$1` is the path; `$0` names the command in its error messages. */
const WRITE = 'umask 022 && mkdir -p "${1%/*}" && cat > "$1.tmp" && mv -f "$1.tmp" "$1"';

export type FileCommand = { tool: 'file'; op: 'write'; path: string; content: string } | { tool: 'file'; op: 'remove'; path: string };

export function renderFile(c: FileCommand): { argv: string[]; input?: string } {
  if (c.op === 'write') return { argv: ['sh', '-c', WRITE, 'write-file', c.path], input: c.content };
  return { argv: ['rm', '-rf', c.path] };
}
