#!/usr/bin/env node
// Entry of the `pgshift` binary: wires the process (argv, streams, signals, exit code) to main().
import { main } from './main';

const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // First signal: cancel the running statement, roll back, unlock. A second one exits at once.
    if (++interrupts > 1) process.exit(130);
    process.stderr.write(`\npgshift: ${sig} received: cancelling the running migration and releasing the lock…\n`);
    controller.abort();
  });
}

main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
  env: process.env,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = controller.signal.aborted && code === 0 ? 130 : code;
    // Interrupted: main() has rolled back, recorded and unlocked. A connection attempt it abandoned
    // (a host that never answers) can keep the event loop alive until its connect_timeout; don't wait.
    if (controller.signal.aborted) setTimeout(() => process.exit(), 250).unref();
  },
  (err) => {
    process.stderr.write(`pgshift: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
