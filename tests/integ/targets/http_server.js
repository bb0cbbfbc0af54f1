// An HTTP server for the watch tests: node http_server.js PORT
//
// GET /          answers "ok" (keep-alive)
// GET /block?ms= blocks the event loop for ms milliseconds, then answers:
//                requests that arrive meanwhile stay unread in the kernel
// Prints "listening PID" once the listener is up.
'use strict';

const http = require('http');

const port = parseInt(process.argv[2], 10);

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/block') {
    const ms = parseInt(url.searchParams.get('ms') || '0', 10);
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // busy: the loop does not poll meanwhile
    }
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 });
  res.end('ok');
});

server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write('listening ' + process.pid + '\n');
});

process.on('SIGTERM', () => process.exit(0));
