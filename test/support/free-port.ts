// Free loopback ports for servers under test: the embedding API's own
// helper (bind port 0, read the port the kernel chose, release it; never the
// same port twice in one process), so tests and embedded members share one
// record of the ports handed out.

export { freePort } from '../../src/embed/ports.js';
