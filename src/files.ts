// Where the byte-exact text codec used to live, still imported from here by src/syntax/package.ts and by
// users of the API: it is the read stage's now (read.ts); the atomic writes are the write stage's (write.ts).
export { decodeSource, encodeSource, readSource, type DecodedSource } from './read.js';
