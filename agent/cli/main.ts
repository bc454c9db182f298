#!/usr/bin/env node
/** The `connwatch` binary. */
import { main } from './program.js';

process.exitCode = await main(process.argv);
