// The upload client's built-in digests for the server's checksum option, against independent implementations.
import { createHash } from 'node:crypto';
import { Crc64Nvme } from '@aws-sdk/crc64-nvme';
import { createUploadClient, defaultDigest } from '../../client';

const MiB = 1024 * 1024;
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) % 256));
const sha256 = (body: Uint8Array) => createHash('sha256').update(body).digest('base64');

describe('defaultDigest', () => {
  it("the client's digests match node:crypto's SHA-256 and the AWS SDK's CRC-64/NVME", async () => {
    const body = bytes(3 * MiB + 17);
    const blob = new Blob([new Uint8Array(body)]);
    expect(await defaultDigest(blob, 'SHA256')).toBe(sha256(body));
    const reference = new Crc64Nvme();
    reference.update(new Uint8Array(body));
    expect(await defaultDigest(blob, 'CRC64NVME')).toBe(Buffer.from(await reference.digest()).toString('base64'));
    // The catalogue's check value of CRC-64/NVME: the CRC of "123456789" is 0xae8b14860a799888.
    expect(await defaultDigest(new Blob(['123456789']), 'CRC64NVME')).toBe(Buffer.from('ae8b14860a799888', 'hex').toString('base64'));
  });

  it('refuses an unknown algorithm', async () => {
    await expect(defaultDigest(new Blob(['x']), 'MD5' as never)).rejects.toThrow(/Unknown checksum algorithm "MD5"/);
    expect(() => createUploadClient({ baseUrl: 'http://127.0.0.1:1', checksum: 'sha256' as never })).toThrow(/checksum must be "SHA256" or "CRC64NVME"/);
  });
});
