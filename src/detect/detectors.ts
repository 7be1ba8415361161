// The detectors Vantage ships, by kind: the one list `vantage detect`, the API and the
// scheduler read.

import type { Detector } from './detector.js';
import { beaconDetector } from './beacon/beacon-detector.js';
import { bruteForceDetector } from './bruteforce/bruteforce-detector.js';
import { c2Detector } from './c2/c2-detector.js';
import { exfilDetector } from './exfil/exfil-detector.js';
import { ddosDetector } from './ddos/ddos-detector.js';
import { log4jDetector } from './log4j/log4j-detector.js';
import { repeatDetector } from './repeat/repeat-detector.js';
import { scanDetector } from './scan/scan-detector.js';

/** Every detector, in the order `all` runs them. */
export const DETECTORS: readonly Detector<any>[] = [scanDetector, bruteForceDetector, ddosDetector, beaconDetector, log4jDetector, c2Detector, repeatDetector, exfilDetector];

/** The kinds `vantage detect` accepts (plus `all`). */
export function detectorKinds(): string[] {
  return DETECTORS.map((d) => d.kind);
}
