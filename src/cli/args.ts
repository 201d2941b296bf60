/** `--config-file FILE` / `--config-file=FILE`, repeatable, in order (later files win). */
export function configFiles(argv: string[]): string[] {
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config-file') files.push(argv[++i]);
    else if (argv[i].startsWith('--config-file=')) files.push(argv[i].slice('--config-file='.length));
  }
  return files;
}
