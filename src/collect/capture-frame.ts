// The unit capture readers hand on: one captured frame with its link type and time, undecoded.

/**
 * Link type of a frame that is already a bare UDP payload (a raw datagram file such as logstash's
 * `.dat` captures); pcap link types are all >= 0.
 */
export const RAW_DATAGRAM_LINKTYPE = -1;

/** One captured frame. `data` is a view into the reader's buffer: valid until the next frame. */
export interface CaptureFrame {
  /** 1-based position in the file, as Wireshark numbers packets. */
  readonly packetNumber: number;
  /** pcap LINKTYPE_* of the interface, or {@link RAW_DATAGRAM_LINKTYPE}. */
  readonly linkType: number;
  /** Capture time, epoch milliseconds (UTC). */
  readonly timestamp: number;
  readonly data: Uint8Array;
  /** Length on the wire (data may be shorter when the capture had a snap length). */
  readonly originalLength: number;
  /** pcapng interface id (0 for pcap and datagram files). */
  readonly interfaceId: number;
  /** Byte offset of the frame's record in the file. */
  readonly fileOffset: number;
}

/** Codes of problems found while reading a capture container (not its packets). */
export type CaptureProblemCode = 'CAPTURE_TRUNCATED' | 'CAPTURE_BAD_BLOCK' | 'CAPTURE_NO_INTERFACE';

/** A problem in the capture file; reading stops after CAPTURE_TRUNCATED and CAPTURE_BAD_BLOCK. */
export interface CaptureProblem {
  readonly code: CaptureProblemCode;
  readonly offset: number;
  readonly packetNumber: number;
  readonly message: string;
}
