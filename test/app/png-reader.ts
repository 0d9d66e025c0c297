/** Decodes the 8-bit RGBA PNGs the icon script writes, so tests can look at every pixel. */
import { inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, rows top to bottom. */
  pixels: Uint8Array;
}

function paeth(left: number, up: number, upLeft: number): number {
  const estimate = left + up - upLeft;
  const toLeft = Math.abs(estimate - left);
  const toUp = Math.abs(estimate - up);
  const toUpLeft = Math.abs(estimate - upLeft);
  if (toLeft <= toUp && toLeft <= toUpLeft) return left;

  return toUp <= toUpLeft ? up : upLeft;
}

function unfilter(data: Buffer, width: number, height: number): Uint8Array {
  const stride = width * 4;
  const out = new Uint8Array(stride * height);
  for (let row = 0; row < height; row += 1) {
    const filter = data[row * (stride + 1)]!;
    for (let column = 0; column < stride; column += 1) {
      const raw = data[row * (stride + 1) + 1 + column]!;
      const left = column >= 4 ? out[row * stride + column - 4]! : 0;
      const up = row > 0 ? out[(row - 1) * stride + column]! : 0;
      const upLeft = row > 0 && column >= 4 ? out[(row - 1) * stride + column - 4]! : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
      if (predictor === undefined) throw new Error(`unknown PNG filter ${filter}`);
      out[row * stride + column] = (raw + predictor) & 0xff;
    }
  }

  return out;
}

/** Reads an RGBA PNG (colour type 6, bit depth 8, no interlace); throws on anything else. */
export function decodePng(file: Buffer): DecodedPng {
  if (file.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG file');
  let offset = 8;
  let header: Buffer | null = null;
  const chunks: Buffer[] = [];
  while (offset < file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.subarray(offset + 4, offset + 8).toString('latin1');
    const body = file.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') header = body;
    if (type === 'IDAT') chunks.push(body);
    offset += 12 + length;
  }
  if (!header) throw new Error('PNG without IHDR');
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [depth, colourType, , , interlace] = [
    header[8],
    header[9],
    header[10],
    header[11],
    header[12],
  ];
  if (depth !== 8 || colourType !== 6 || interlace !== 0) {
    throw new Error(
      `unsupported PNG: depth ${depth}, colour type ${colourType}, interlace ${interlace}`,
    );
  }

  return { width, height, pixels: unfilter(inflateSync(Buffer.concat(chunks)), width, height) };
}
