/** The transport a migration's configuration asks for (wire/transport.ts). */
import { InvariantError } from '../errors.js';
import type { MigrationConfig } from '../types.js';
import { Multifd } from './multifd.js';
import { CompressedPayload } from './multifd-compression.js';
import type { CompressionContent } from './multifd-compression.js';
import { SingleStream } from './single-stream.js';
import type { Transport } from './transport.js';
import { Xbzrle, type XbzrleGuestView } from './xbzrle.js';

/**
 * `xbzrleGuest`: what XBZRLE reads of the guest (null: every hit page changed whole);
 * `content`: what memory holds at the start, needed with multifd compression only.
 */
export function createTransport(config: MigrationConfig, pageSizeBytes: number, xbzrleGuest: XbzrleGuestView | null = null, content: CompressionContent | null = null): Transport {
  if (config.multifd !== null) {
    const compression = config.multifd.compression ?? null;
    if (compression === null) return new Multifd(config, config.multifd, pageSizeBytes);
    if (content === null) throw new InvariantError('multifd compression needs the memory content at the start');
    const totalPages = content.allocatedAtStart.sizeBits;
    return new Multifd(config, config.multifd, pageSizeBytes, new CompressedPayload(compression, pageSizeBytes, totalPages, content));
  }
  if (config.xbzrle !== null) return new Xbzrle(config, config.xbzrle, pageSizeBytes, xbzrleGuest);
  return new SingleStream(config, pageSizeBytes, config.wire.socketBufferBytes);
}
