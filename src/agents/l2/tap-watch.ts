/**
 * Event-driven plugging: the Linux bridge agent hears about a VM's tap from the kernel, not by
 * polling. `ip monitor link` (in the host's namespace) prints a line for every link change; a line
 * that names a tap (`tap<port-id[:11]>`) asks for a sync, debounced so that a burst of changes
 * (a VM plugged, the agent joining it to its bridge) costs one pass. When the monitor dies it is
 * started again; the agent's periodic full sync stays the safety net for anything missed meanwhile.
 */
import type { CommandRunner, Watch } from '../../linux/runner.js';
import { ipIn } from '../../linux/ip-netns.js';

const TAP = /\btap[0-9a-f-]{1,11}\b/;

export function watchTaps(runner: CommandRunner, netns: string | undefined, onChange: () => void, debounceMs = 50): Watch {
  const argv = [...ipIn(netns), 'monitor', 'link'];
  let timer: NodeJS.Timeout | undefined;
  let current: Watch | undefined;
  let stopped = false;
  const line = (l: string) => {
    if (!TAP.test(l) || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  };
  const start = () => {
    current = runner.watch(argv, line, () => {
      if (!stopped) setTimeout(() => !stopped && start(), 1000).unref();
    });
  };
  start();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      current?.stop();
    },
  };
}
