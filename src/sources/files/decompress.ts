import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { EtlError } from '../../internal/errors.ts';

/**
 * The file's text bytes: gzip (recognised by its magic bytes, whatever the name) is inflated on the fly,
 * anything else passes through. `onBytes` counts the bytes read as stored, for progress. A failure names the
 * file: corrupt or truncated gzip is `ETL_INPUT_INVALID`, as is a read error the source did not explain itself.
 */
export function decompressed(raw: Readable, uri: string, onBytes: (n: number) => void): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 16 });
  let target: NodeJS.WritableStream | undefined;
  raw.on('error', (error) => {
    const code = (error as { code?: string }).code;
    const reason = code ? `${code}: ${error.message}` : error.message;
    out.destroy(
      error instanceof EtlError
        ? error
        : new EtlError('ETL_INPUT_INVALID', `Reading ${uri} failed (${reason})`, { cause: error }),
    );
  });
  raw.on('data', (chunk: Buffer) => {
    onBytes(chunk.length);
    if (!target) {
      if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
        const gunzip = createGunzip();
        gunzip.on('error', (error) => {
          const message = `${uri} is not valid gzip (${error.message}): the file is corrupt or cut short; fetch it again (nothing of it was loaded)`;
          out.destroy(new EtlError('ETL_INPUT_INVALID', message, { cause: error }));
        });
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
