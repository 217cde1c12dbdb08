#!/usr/bin/env node
// Entry of the `pgshift` binary: wires the process (argv, streams, signals, exit code) to main().
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { main } from './main';

const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // First signal: stop what runs (a connection attempt, the wait for the lock, or the running
    // statement, rolled back), unlock. A second one exits at once. Which of those it was is only known
    // where it stops: the final line says it ("interrupted while connecting …; nothing ran").
    if (++interrupts > 1) process.exit(130);
    process.stderr.write(`\npgshift: ${sig} received: stopping (send it again to exit at once)…\n`);
    controller.abort();
  });
}

// No command may end with exit 0 and no result line: if main() has not settled when Node runs out of
// work (a promise that can never settle), that is a failure, said in words.
let settled = false;
const unsettled = () => {
  if (settled) return;
  settled = true;
  writeSync(
    2,
    'pgshift: the command stopped before it finished, with no result: nothing more can be known here. Run "pgshift status" to see what the database holds. (This is a bug: please report it.)\n',
  );
  process.exitCode = 1;
};
process.on('beforeExit', unsettled);
process.on('exit', (code) => {
  if (code === 0) unsettled();
});

/**
 * A yes/no question on the terminal: only "y" or "yes" is a yes; anything else, the end of input or a
 * signal is a no. The line is read as the terminal delivers it (Ctrl-C stays a signal).
 */
function ask(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let answered = false;
    const answer = (yes: boolean) => {
      if (answered) return;
      answered = true;
      controller.signal.removeEventListener('abort', no);
      rl.close();
      // Nothing else reads stdin: let the process end when the run does.
      process.stdin.pause();
      resolve(yes);
    };
    const no = () => answer(false);
    controller.signal.addEventListener('abort', no);
    rl.once('line', (line) => answer(/^\s*y(es)?\s*$/i.test(line)));
    rl.once('close', no);
    process.stderr.write(question);
  });
}

main(process.argv.slice(2), {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
  env: process.env,
  signal: controller.signal,
  cwd: process.cwd(),
  // Only a person at a terminal is asked; in CI (no TTY) nothing ever is.
  ask: process.stdin.isTTY && process.stdout.isTTY ? ask : undefined,
}).then(
  (code) => {
    settled = true;
    process.exitCode = controller.signal.aborted && code === 0 ? 130 : code;
    // Interrupted: main() has rolled back, recorded and unlocked. A connection attempt it abandoned
    // (a host that never answers) can keep the event loop alive until its connect_timeout; don't wait.
    if (controller.signal.aborted) setTimeout(() => process.exit(), 250).unref();
  },
  (err) => {
    settled = true;
    process.stderr.write(`pgshift: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
