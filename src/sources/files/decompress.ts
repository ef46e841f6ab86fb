import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * The file's text bytes: gzip (recognised by its magic bytes, whatever the name) is inflated on the fly,
 * anything else passes through. `onBytes` counts the bytes read as stored, for progress.
 */
export function decompressed(raw: Readable, onBytes: (n: number) => void): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 16 });
  let target: NodeJS.WritableStream | undefined;
  const fail = (error: Error) => out.destroy(error);
  raw.on('error', fail);
  raw.on('data', (chunk: Buffer) => {
    onBytes(chunk.length);
    if (!target) {
      if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
        const gunzip = createGunzip();
        gunzip.on('error', fail);
        gunzip.pipe(out);
        target = gunzip;
      } else {
        target = out;
      }
    }
    if (!target.write(chunk)) {
      raw.pause();
      target.once('drain', () => raw.resume());
    }
  });
  raw.on('end', () => target?.end() ?? out.end());
  out.on('close', () => raw.destroy());
  return out;
}
