// Registers every command module with the program.

import type { Command } from 'commander';
import { registerImport } from './import.js';
import { registerQuery } from './query.js';
import { registerStore } from './store.js';
import { registerDemo } from './demo.js';
import { registerStart } from './start.js';
import { registerCollect } from './collect.js';
import { registerDecode } from './decode.js';
import { registerServe } from './serve.js';
import { registerToken } from './token.js';
import { registerUser } from './user.js';
import { registerIntel } from './intel.js';
import { registerHunt } from './hunt.js';
import { registerDetect } from './detect.js';
import { registerFindings } from './findings.js';
import { registerProfile } from './profile.js';
import { registerPivot } from './pivot.js';
import { registerPlaybook } from './playbook.js';
import { registerServices } from './services.js';
import { registerWatchlist } from './watchlist.js';
import { registerMonitor } from './monitor.js';
import { registerTaxii } from './taxii.js';
import { registerShare } from './share.js';
import { registerAlert } from './alert.js';
import { registerPeer } from './peer.js';
import { registerBlocklist } from './blocklist.js';

/** Adds all verbs to the program. */
export function registerCommands(program: Command): void {
  registerQuery(program);
  registerStore(program);
  registerImport(program);
  registerDemo(program);
  registerStart(program);
  registerCollect(program);
  registerDecode(program);
  registerServe(program);
  registerToken(program);
  registerUser(program);
  registerIntel(program);
  registerHunt(program);
  registerDetect(program);
  registerFindings(program);
  registerProfile(program);
  registerPivot(program);
  registerPlaybook(program);
  registerServices(program);
  registerWatchlist(program);
  registerMonitor(program);
  registerTaxii(program);
  registerShare(program);
  registerAlert(program);
  registerPeer(program);
  registerBlocklist(program);
}
