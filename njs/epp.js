// NJS module that routes one inference request through epp-bridge.
//
// Used as `js_content epp.route` in an inference location. The wiring lives in
// deploy/nginx/epp-http.conf (variables) and deploy/nginx/epp-server.conf
// (internal locations); docs/nginx.md explains every piece.
//
// Flow: a subrequest to /_epp_bridge carries the client's request (headers and
// body, also when NGINX keeps the body in a temporary file) to the bridge, with
// X-EPP-Want-Body: 1 (set by that location), so a body the EPP rewrote comes
// back in the answer. Its answer is one of picked / immediate / error /
// rejected (docs/protocol.md).
// On picked the request is redirected to /_epp_proxy, which proxies to
// $epp_target; a refused connection there comes back to `next` (error_page 502),
// which moves on to the next endpoint of the EPP's fallback list.
//
// Written for njs 0.7.9 and newer: only r.subrequest, r.variables (js_var),
// r.headersOut, r.return and r.internalRedirect. The body is never read here.

var BRIDGE_URI = '/_epp_bridge';
var PROXY_URI = '/_epp_proxy';
var PROXY_BODY_URI = '/_epp_proxy_body';

// Endpoints tried per request; NGINX allows 10 internal redirects and each
// retry costs two (error_page + redirect).
var MAX_ATTEMPTS = 4;

// Headers of an immediate answer that NGINX sets itself or that only
// describe the hop between NGINX and the bridge.
var HOP_HEADERS = ['connection', 'keep-alive', 'transfer-encoding',
                   'content-length', 'date', 'server', 'trailer', 'upgrade'];

var ENDPOINT_RE = /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+):[0-9]{1,5}$/;

// Lower-cased copy of the subrequest's response headers.
function lowerHeaders(reply) {
    var out = {};
    for (var name in reply.headersOut) {
        out[name.toLowerCase()] = reply.headersOut[name];
    }
    return out;
}

function parseEndpoints(value) {
    if (!value) {
        return [];
    }
    return String(value).split(',').map(function (s) { return s.trim(); })
        .filter(function (s) { return s.length > 0; });
}

// Header mutations reach the model server through per-header js_var slots
// ($epp_set_<name with _ for ->) that the proxy locations pass with
// proxy_set_header. A header without a slot is logged and not forwarded.
function setSlot(r, name, value) {
    if (name === 'content-length') {
        return;  // NGINX computes it (proxy_set_body on a mutated body)
    }
    var slot = 'epp_set_' + name.replace(/-/g, '_');
    try {
        r.variables[slot] = value;
    } catch (e) {
        r.warn('epp: no header slot $' + slot + ' for "' + name + '"; not forwarded');
    }
}

function applyMutations(r, h) {
    for (var key in h) {
        if (key.indexOf('x-epp-set-') === 0) {
            setSlot(r, key.substring(10), String(h[key]));
        }
    }
    parseEndpoints(h['x-epp-remove']).forEach(function (name) {
        setSlot(r, name.toLowerCase(), '');
    });
}

// Proxy to target (an endpoint, or the fallback upstream's name).
function proxyTo(r, target, attempt) {
    r.variables.epp_target = target;
    r.variables.epp_attempt = String(attempt);
    r.internalRedirect(r.variables.epp_proxy_uri || PROXY_URI);
}

// The EPP gave no decision: apply the location's failure mode.
function fail(r, status, reason, body) {
    var mode = r.variables.epp_failure_mode;
    var fallback = r.variables.epp_fallback;
    r.warn('epp: no decision (' + status + ' ' + reason + '), failure mode ' + mode);
    if (mode === 'FailOpen' && fallback) {
        proxyTo(r, fallback, 'fallback');
        return;
    }
    r.headersOut['X-EPP-Error'] = reason;
    r.headersOut['Content-Type'] = 'text/plain';
    r.return(status >= 500 && status <= 599 ? status : 500, body || reason + '\n');
}

// Hand the EPP's (or the bridge's) answer to the client unchanged.
function passThrough(r, reply, h) {
    for (var name in reply.headersOut) {
        var lower = name.toLowerCase();
        if (HOP_HEADERS.indexOf(lower) < 0 && lower.indexOf('x-epp-') !== 0) {
            r.headersOut[name] = reply.headersOut[name];
        }
    }
    if (h['x-epp-error']) {
        r.headersOut['X-EPP-Error'] = h['x-epp-error'];
    }
    r.return(reply.status, reply.responseText || '');
}

function picked(r, reply, h) {
    var endpoints = parseEndpoints(h['x-epp-endpoints'] || h['x-gateway-destination-endpoint']);
    var bad = endpoints.filter(function (e) { return !ENDPOINT_RE.test(e); });
    if (endpoints.length === 0 || bad.length > 0) {
        fail(r, 502, 'invalid-endpoint', 'invalid endpoint list from the bridge\n');
        return;
    }
    r.variables.epp_endpoint = endpoints[0];
    r.variables.epp_endpoints = endpoints.join(',');
    // As behind Envoy, the model server sees the EPP's destination header
    // (not a client's); the bridge reports it as X-EPP-Endpoints.
    try {
        r.variables.epp_set_x_gateway_destination_endpoint = endpoints.join(',');
    } catch (e) {
        // that slot was removed from the configuration
    }
    applyMutations(r, h);
    if (h['x-epp-body'] === 'mutated') {
        r.variables.epp_body = reply.responseText || '';
        r.variables.epp_proxy_uri = PROXY_BODY_URI;
    } else {
        r.variables.epp_proxy_uri = PROXY_URI;
    }
    proxyTo(r, endpoints[0], 1);
}

async function route(r) {
    var reply;
    try {
        reply = await r.subrequest(BRIDGE_URI);
    } catch (e) {
        fail(r, 502, 'bridge-unavailable', 'bridge subrequest failed\n');
        return;
    }
    var h = lowerHeaders(reply);
    var outcome = h['x-epp-outcome'];

    if (outcome === 'picked' || (!outcome && reply.status === 200
                                 && h['x-gateway-destination-endpoint'])) {
        picked(r, reply, h);
    } else if (outcome === 'immediate') {
        passThrough(r, reply, h);
    } else if (outcome === 'rejected' && (reply.status === 413 || reply.status === 431)) {
        passThrough(r, reply, h);  // the client's request is over a limit
    } else if (outcome === 'error' || outcome === 'rejected') {
        fail(r, reply.status, h['x-epp-error'] || outcome, reply.responseText);
    } else {
        // No outcome header: NGINX itself answered (bridge down or too slow).
        fail(r, reply.status === 504 ? 504 : 502,
             reply.status === 504 ? 'bridge-timeout' : 'bridge-unavailable',
             'epp-bridge unavailable (' + reply.status + ')\n');
    }
}

// error_page 502 of the proxy locations: the endpoint refused or broke the
// connection before any byte went to the client.
function next(r) {
    var endpoints = parseEndpoints(r.variables.epp_endpoints);
    var attempt = Number(r.variables.epp_attempt);
    var failed = r.variables.epp_target;
    if (!(attempt >= 1) || attempt >= endpoints.length || attempt >= MAX_ATTEMPTS) {
        r.headersOut['X-EPP-Error'] = 'endpoints-unreachable';
        r.headersOut['Content-Type'] = 'text/plain';
        r.return(502, 'no endpoint reachable (last tried ' + failed + ')\n');
        return;
    }
    r.warn('epp: endpoint ' + failed + ' failed, trying ' + endpoints[attempt]);
    proxyTo(r, endpoints[attempt], attempt + 1);
}

export default {route, next};
