// How the control frames of reliable delivery (control-frame.ts) travel on a bus: on a sealed bus they are sealed like
// its data, so an outsider can neither forge a heartbeat nor make a sender repair (docs/reliability.md, "Sealed
// buses"); on an open bus they go as they are. The reliable sides use this seam and know nothing of crypto.
import type { RemoteInfo } from 'node:dgram';

/** Seals the control frames a bus sends, and opens those unicast to its NAK socket. */
export interface ControlSealing {
  /** The datagram to send for one control frame. */
  seal(frame: Buffer): Buffer;
  /** The control frame inside a datagram unicast to the NAK socket, or undefined when it does not open (counted). */
  open(bytes: Buffer, sender: RemoteInfo): Buffer | undefined;
}

/** An open bus's control frames: sent as they are, taken as they come. */
export const plainControl: ControlSealing = {
  seal: (frame) => frame,
  open: (bytes) => bytes,
};
