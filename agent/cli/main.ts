#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * The `connwatch` binary. The node option (CLI_NODE_OPTIONS in install/service.ts; a test keeps the two
 * equal) gives every command a 4 MiB young generation instead of 16: a replay of a 1 GiB log
 * peaked 22 MB lower at the same speed. The user service passes its own options (AGENT_NODE_OPTIONS).
 */
import { main } from './program.js';

// `connwatch parse big.log | head`: a closed pipe ends the output quietly, as for any Unix tool.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

process.exitCode = await main(process.argv);
