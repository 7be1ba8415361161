// Per-record working values of the template decoders: what fields said before the record is
// finished (times converted, counters chosen, sampling applied). One instance, reset per record.

import type { Ip } from '../../core/ip.js';
import type { ExtraValue } from '../decoded-flow.js';

/**
 * Accumulators filled by a record reader and read by the record finisher. A class with every
 * field set in the constructor keeps one hidden class, so the generated readers' stores stay
 * monomorphic. -1 / NaN / null mean "the record did not say".
 */
export class RecordScratch {
  bytes = -1;
  packets = -1;
  octetTotal = -1;
  packetTotal = -1;
  initOctets = -1;
  initPackets = -1;
  src4 = -1;
  dst4 = -1;
  src6: Ip | null = null;
  dst6: Ip | null = null;
  sport = -1;
  dport = -1;
  sportAlt = -1;
  dportAlt = -1;
  proto = -1;
  tcpFlags = -1;
  inPhys = -1;
  outPhys = -1;
  bgpNh: Ip | null = null;
  firstUp = -1;
  lastUp = -1;
  startMs = NaN;
  endMs = NaN;
  startDeltaUs = -1;
  endDeltaUs = -1;
  durationMs = -1;
  sysInit = NaN;
  icmpTc = -1;
  icmpType = -1;
  icmpCode = -1;
  samplingInterval = 0;
  samplerId = -1;
  pktInterval = 0;
  pktSpace = 0;
  samplingSize = 0;
  samplingPop = 0;
  postSrcMac = -1;
  postDstMac = -1;
  frameOffset = -1;
  frameLength = 0;
  frameLink = 0;
  revBytes = -1;
  revPackets = -1;
  revFlags = -1;
  mpls: number[] | null = null;
  /** Values of the record's `extra` slots (see CompiledTemplate.extraSlots), or null. */
  extra: ExtraValue[] | null = null;

  /** Clears the accumulators for the next record; `sysInit` starts from the domain's known value. */
  reset(sysInit: number, extraCount: number): void {
    this.bytes = -1;
    this.packets = -1;
    this.octetTotal = -1;
    this.packetTotal = -1;
    this.initOctets = -1;
    this.initPackets = -1;
    this.src4 = -1;
    this.dst4 = -1;
    this.src6 = null;
    this.dst6 = null;
    this.sport = -1;
    this.dport = -1;
    this.sportAlt = -1;
    this.dportAlt = -1;
    this.proto = -1;
    this.tcpFlags = -1;
    this.inPhys = -1;
    this.outPhys = -1;
    this.bgpNh = null;
    this.firstUp = -1;
    this.lastUp = -1;
    this.startMs = NaN;
    this.endMs = NaN;
    this.startDeltaUs = -1;
    this.endDeltaUs = -1;
    this.durationMs = -1;
    this.sysInit = sysInit;
    this.icmpTc = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.samplingInterval = 0;
    this.samplerId = -1;
    this.pktInterval = 0;
    this.pktSpace = 0;
    this.samplingSize = 0;
    this.samplingPop = 0;
    this.postSrcMac = -1;
    this.postDstMac = -1;
    this.frameOffset = -1;
    this.frameLength = 0;
    this.frameLink = 0;
    this.revBytes = -1;
    this.revPackets = -1;
    this.revFlags = -1;
    this.mpls = null;
    this.extra = extraCount > 0 ? new Array<ExtraValue>(extraCount) : null;
  }
}
