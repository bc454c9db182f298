/* global process, Buffer, setInterval */
// A stand-in client: output with CRLF and invalid UTF-8, a prompt without newline on stderr,
// reads the answer from stdin, exits 3. Args: "sleep" makes it wait for a signal instead.
import { createInterface } from 'node:readline';

process.stdout.write(Buffer.from([0x4f, 0x6b, 0x20, 0xff, 0x0d, 0x0a])); // "Ok \xff\r\n"
process.stderr.write('Store key in cache? (y/n) ');
if (process.argv[2] === 'sleep') {
  process.on('SIGTERM', () => {
    process.stderr.write('got SIGTERM\n');
    process.exit(143);
  });
  setInterval(() => undefined, 1000);
} else {
  const rl = createInterface({ input: process.stdin });
  rl.once('line', (answer) => {
    process.stderr.write(`Keeping going after "${answer}"\n`);
    process.stdout.write('done\n');
    process.exit(3);
  });
}
