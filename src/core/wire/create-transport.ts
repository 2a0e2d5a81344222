/** The transport a migration's configuration asks for (wire/transport.ts). */
import type { MigrationConfig } from '../types.js';
import { Multifd } from './multifd.js';
import { SingleStream } from './single-stream.js';
import type { Transport } from './transport.js';
import { Xbzrle, type XbzrleGuestView } from './xbzrle.js';

/** `xbzrleGuest`: what XBZRLE reads of the guest (null: every hit page changed whole). */
export function createTransport(config: MigrationConfig, pageSizeBytes: number, xbzrleGuest: XbzrleGuestView | null = null): Transport {
  if (config.multifd !== null) return new Multifd(config, config.multifd, pageSizeBytes);
  if (config.xbzrle !== null) return new Xbzrle(config, config.xbzrle, pageSizeBytes, xbzrleGuest);
  return new SingleStream(config, pageSizeBytes);
}
