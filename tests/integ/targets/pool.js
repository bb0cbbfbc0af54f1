// Keeps a libuv threadpool busy for the watch loop tests:
//   node pool.js LOOKUPS HASHES SECONDS
// LOOKUPS dns.lookup calls in flight (each answered, another starts: the
// resolver's server decides how long one takes) and HASHES
// crypto.pbkdf2 calls in flight (CPU work), for SECONDS; the main thread
// does nothing but start them again.  libuv runs DNS (slow I/O) on at
// most half its workers.  Prints "running PID" once everything is queued.
'use strict';

const crypto = require('crypto');
const dns = require('dns');

const lookups = parseInt(process.argv[2], 10);
const hashes = parseInt(process.argv[3], 10);
const seconds = parseFloat(process.argv[4]);
let stop = false;
let n = 0;

function lookup() {
  if (stop)
    return;
  dns.lookup('host' + (n++ % 1000) + '.test', { family: 4 }, lookup);
}

function hash() {
  if (stop)
    return;
  crypto.pbkdf2('secret', 'salt', 100000, 64, 'sha512', hash);
}

for (let i = 0; i < lookups; i++)
  lookup();
for (let i = 0; i < hashes; i++)
  hash();
setTimeout(() => { stop = true; }, seconds * 1000);
process.stdout.write('running ' + process.pid + '\n');
