// An HTTP server for the watch load tests: node load_server.js PORT
//
// GET /             answers "ok" (keep-alive unless the request says
//                   "Connection: close")
// GET /big?bytes=N  answers N bytes in one write: a client that reads
//                   slowly keeps the send buffer filling and draining
// Prints "listening PID" once the listener is up.  With LOAD_SERVER_LOG
// set, writes there at SIGTERM a JSON list of [client port, wall-clock
// seconds] for each connection's 'close' event: Node emits it on the loop
// iteration after the one whose uv_close() called close(2), so each time
// is no earlier than the server's close of that connection.
'use strict';

const http = require('http');

const port = parseInt(process.argv[2], 10);

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/big') {
    const n = parseInt(url.searchParams.get('bytes') || '0', 10);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream',
                         'Content-Length': n });
    res.end(Buffer.alloc(n, 120));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 2 });
  res.end('ok');
});

const closeLog = process.env.LOAD_SERVER_LOG;
const closes = [];
if (closeLog) {
  const { performance } = require('perf_hooks');
  server.on('connection', (socket) => {
    const peer = socket.remotePort;
    socket.on('close', () => {
      closes.push([peer, (performance.timeOrigin + performance.now()) / 1000]);
    });
  });
}

server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  process.stdout.write('listening ' + process.pid + '\n');
});

process.on('SIGTERM', () => {
  if (closeLog)
    require('fs').writeFileSync(closeLog, JSON.stringify(closes));
  process.exit(0);
});
