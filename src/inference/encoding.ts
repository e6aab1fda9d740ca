/**
 * A vector as OpenAI's `encoding_format: "base64"` sends it: the float32 values, little-endian, base64. The
 * `openai` SDK asks for it by default and decodes it into a Float32Array, so this is what its
 * `embeddings.create` reads. Written explicitly little-endian (writeFloatLE), whatever the machine's byte order.
 */
export function vectorToBase64(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i]!, i * 4);
  return bytes.toString('base64');
}
