// Mock OpenAI-compatible model server for tests and the demo.
//
// `js_content mock.serve` answers POST /v1/chat/completions and
// /v1/completions: JSON, or SSE when the body has "stream": true. Every
// answer tells who served it and what arrived:
//   X-Mock-Server: ip:port      "served_by"
//   X-Mock-Model: <model>       "model"
//   X-Mock-Body-Bytes: <n>      "body_bytes"
//   (JSON answers also list the request headers in "request_headers")
// X-Echo-Set-Header: Name:value[,Name:value] is echoed as response headers
// (like the Gateway API echo server). SSE pacing: X-Mock-Chunks (default 5)
// and X-Mock-Chunk-Delay-Ms (default 200).
//
// Reads the body with r.requestBuffer, so its config must keep bodies in
// memory (client_body_buffer_size as large as client_max_body_size).

function served(r) {
    return r.variables.server_addr + ':' + r.variables.server_port;
}

function intHeader(r, name, dflt, max) {
    var n = parseInt(r.headersIn[name], 10);
    return n >= 0 && n <= max ? n : dflt;
}

function echoHeaders(r) {
    var spec = r.headersIn['X-Echo-Set-Header'];
    if (!spec) {
        return;
    }
    spec.split(',').forEach(function (pair) {
        var i = pair.indexOf(':');
        if (i > 0) {
            r.headersOut[pair.substring(0, i).trim()] = pair.substring(i + 1).trim();
        }
    });
}

function requestHeaders(r) {
    var out = {};
    for (var name in r.headersIn) {
        out[name.toLowerCase()] = r.headersIn[name];
    }
    return out;
}

function reply(r, status, obj) {
    r.headersOut['Content-Type'] = 'application/json';
    r.return(status, JSON.stringify(obj) + '\n');
}

function completion(r, info, chat) {
    var text = 'Hello from ' + info.served_by;
    var choice = chat
        ? {index: 0, message: {role: 'assistant', content: text}, finish_reason: 'stop'}
        : {index: 0, text: text, finish_reason: 'stop'};
    return Object.assign({
        id: info.id,
        object: chat ? 'chat.completion' : 'text_completion',
        created: Math.floor(Date.now() / 1000),
        choices: [choice],
        usage: {prompt_tokens: 1, completion_tokens: 4, total_tokens: 5},
        request_headers: requestHeaders(r),
    }, info);
}

function chunk(r, info, chat, i, n) {
    var choice = chat
        ? {index: 0, delta: {content: 'chunk ' + i + ' '}, finish_reason: i === n - 1 ? 'stop' : null}
        : {index: 0, text: 'chunk ' + i + ' ', finish_reason: i === n - 1 ? 'stop' : null};
    return 'data: ' + JSON.stringify(Object.assign({
        id: info.id,
        object: chat ? 'chat.completion.chunk' : 'text_completion',
        created: Math.floor(Date.now() / 1000),
        choices: [choice],
    }, info, {chunk: i})) + '\n\n';
}

function stream(r, info, chat) {
    var n = intHeader(r, 'X-Mock-Chunks', 5, 1000);
    // A server's own pace ($mock_chunk_delay_ms, e.g. a map on $server_port)
    // makes some servers slower than others; the header overrides it.
    var own = parseInt(r.variables.mock_chunk_delay_ms, 10);
    var delay = intHeader(r, 'X-Mock-Chunk-Delay-Ms', own >= 0 ? own : 200, 60000);
    r.status = 200;
    r.headersOut['Content-Type'] = 'text/event-stream';
    r.headersOut['Cache-Control'] = 'no-cache';
    r.sendHeader();
    var i = 0;
    function tick() {
        if (i < n) {
            r.send(chunk(r, info, chat, i, n));
            i++;
            setTimeout(tick, delay);
            return;
        }
        r.send('data: [DONE]\n\n');
        r.finish();
    }
    tick();
}

function serve(r) {
    var chat = r.uri.endsWith('/chat/completions');
    if (r.method !== 'POST' || !(chat || r.uri.endsWith('/completions'))) {
        reply(r, 404, {error: {message: 'mock: no route for ' + r.method + ' ' + r.uri}});
        return;
    }
    var body;
    var req;
    try {
        body = r.requestBuffer;
        req = JSON.parse(body ? body.toString() : '');
    } catch (e) {
        reply(r, 400, {error: {message: 'mock: bad JSON body: ' + e.message}});
        return;
    }
    var info = {
        id: 'mock-' + r.variables.request_id,
        served_by: served(r),
        path: r.variables.request_uri,
        model: req.model === undefined ? null : req.model,
        body_bytes: body ? body.length : 0,
    };
    r.headersOut['X-Mock-Server'] = info.served_by;
    r.headersOut['X-Mock-Model'] = String(info.model);
    r.headersOut['X-Mock-Body-Bytes'] = String(info.body_bytes);
    echoHeaders(r);
    if (req.stream === true) {
        stream(r, info, chat);
    } else {
        reply(r, 200, completion(r, info, chat));
    }
}

// GET /health and anything else that is not an inference call.
function health(r) {
    r.headersOut['X-Mock-Server'] = served(r);
    r.return(200, 'ok ' + served(r) + '\n');
}

export default {serve, health};
