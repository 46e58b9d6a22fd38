// After `vite build` (npm's postbuild): a Brotli (.br) and a gzip (.gz) copy next to each text file of the build's
// hashed assets, which the server sends to browsers that accept them (src/legato/api/ui.py). Done once here, at
// the best ratio, instead of on every request.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const BUILD = new URL("../../src/legato/api/static/_build/", import.meta.url);
const TEXT = /\.(js|mjs|css|svg|json|html|txt|map|wasm)$/;
const MIN_SIZE = 1024; // smaller files gain less than the header costs

let before = 0;
let after = 0;
for (const name of readdirSync(BUILD)) {
  const path = join(BUILD.pathname, name);
  if (!TEXT.test(name) || !statSync(path).isFile() || statSync(path).size < MIN_SIZE) continue;
  const data = readFileSync(path);
  const br = brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
  writeFileSync(`${path}.br`, br);
  writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
  before += data.length;
  after += br.length;
}
console.log(`precompressed the build: ${(before / 1e6).toFixed(1)} MB of text assets, ${(after / 1e6).toFixed(1)} MB as Brotli`);
