/**
 * Runs runWrapped the way `connwatch wrap` does, in its own process, so that stdin is really
 * inherited and signals are really forwarded:
 *   npx tsx test/sources/wrap-child.ts CAPTURE_DIR -- CMD ARGS...
 * Prints nothing of its own; exits with the client's code.
 */
import { runWrapped } from '../../agent/sources/wrap.js';

const [captureDir, sep, ...argv] = process.argv.slice(2);
if (!captureDir || sep !== '--' || argv.length === 0) {
  process.stderr.write('usage: wrap-child.ts CAPTURE_DIR -- CMD ARGS...\n');
  process.exit(64);
}
process.exitCode = await runWrapped({ argv, captureDir, partialMs: 300 });
