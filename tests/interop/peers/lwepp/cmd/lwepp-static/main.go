// Command lwepp-static serves the ext_proc handler of the Gateway API
// Inference Extension's lightweight EPP (pkg/lwepp/handlers, unchanged) over
// a static in-memory datastore instead of a Kubernetes InferencePool.
//
//	lwepp-static --listen 127.0.0.1:PORT --endpoints IP:PORT[,IP:PORT...] [--tls]
//
// With --tls it serves a self-signed certificate generated at start-up, as
// an EPP's --secure-serving does. grpc.health.v1 answers SERVING on the same
// port.
//
// The handler logs its response-phase answer without naming the request, so
// a stream interceptor (answerLog) logs each ResponseHeaders reply the
// handler sends, with the stream's x-request-id, the envoy.lb
// x-gateway-destination-endpoint-served it received and the
// x-conformance-test-served-endpoint it answered.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	configPb "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extProcPb "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"sigs.k8s.io/gateway-api-inference-extension/pkg/lwepp/datastore"
	"sigs.k8s.io/gateway-api-inference-extension/pkg/lwepp/handlers"
	"sigs.k8s.io/gateway-api-inference-extension/pkg/lwepp/metadata"
)

// answerStream sees the messages of one ext_proc stream on their way to and
// from the handler, unchanged.
type answerStream struct {
	grpc.ServerStream
	mu        sync.Mutex
	requestID string // x-request-id of the request headers
	served    string // envoy.lb x-gateway-destination-endpoint-served of the response headers
	hasServed bool
}

func headerValue(h *configPb.HeaderValue) string {
	if len(h.GetRawValue()) > 0 {
		return string(h.GetRawValue())
	}
	return h.GetValue()
}

func (s *answerStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	req, ok := m.(*extProcPb.ProcessingRequest)
	if err != nil || !ok {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case req.GetRequestHeaders() != nil:
		for _, h := range req.GetRequestHeaders().GetHeaders().GetHeaders() {
			if strings.EqualFold(h.GetKey(), "x-request-id") {
				s.requestID = headerValue(h)
			}
		}
	case req.GetResponseHeaders() != nil:
		lb := req.GetMetadataContext().GetFilterMetadata()[metadata.DestinationEndpointNamespace]
		v, ok := lb.GetFields()[metadata.DestinationEndpointServedKey]
		s.served, s.hasServed = v.GetStringValue(), ok
	}
	return nil
}

func (s *answerStream) SendMsg(m any) error {
	if resp, ok := m.(*extProcPb.ProcessingResponse); ok && resp.GetResponseHeaders() != nil {
		answer, found := "", false
		for _, h := range resp.GetResponseHeaders().GetResponse().GetHeaderMutation().GetSetHeaders() {
			if strings.EqualFold(h.GetHeader().GetKey(), metadata.ConformanceTestResultHeader) {
				answer, found = headerValue(h.GetHeader()), true
			}
		}
		s.mu.Lock()
		kv := []any{"x-request-id", s.requestID, "answered", found,
			metadata.ConformanceTestResultHeader, answer}
		if s.hasServed {
			kv = append(kv, "received-"+metadata.DestinationEndpointServedKey, s.served)
		}
		s.mu.Unlock()
		ctrl.Log.WithName("lwepp-static").Info("Sending response headers reply", kv...)
	}
	return s.ServerStream.SendMsg(m)
}

func answerLog(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &answerStream{ServerStream: ss})
}

// staticStore is the handler's Datastore: a fixed pool of endpoints.
type staticStore struct {
	pool      *datastore.EndpointPool
	endpoints []*datastore.Endpoint
}

func (s *staticStore) PoolGet() (*datastore.EndpointPool, error) { return s.pool, nil }

func (s *staticStore) PodList(predicate func(*datastore.Endpoint) bool) []*datastore.Endpoint {
	out := make([]*datastore.Endpoint, 0, len(s.endpoints))
	for _, e := range s.endpoints {
		if predicate(e) {
			out = append(out, e)
		}
	}
	return out
}

func newStore(list string) (*staticStore, error) {
	s := &staticStore{pool: &datastore.EndpointPool{Namespace: "default", Selector: map[string]string{}}}
	ports := map[int]bool{}
	for i, item := range strings.Split(list, ",") {
		host, port, err := net.SplitHostPort(strings.TrimSpace(item))
		if err != nil || net.ParseIP(host) == nil {
			return nil, fmt.Errorf("endpoint %q: want IP:PORT", item)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("endpoint %q: bad port", item)
		}
		name := fmt.Sprintf("model-server-%d", i)
		s.endpoints = append(s.endpoints, &datastore.Endpoint{
			NamespacedName: types.NamespacedName{Namespace: "default", Name: name},
			PodName:        name,
			Address:        host,
			Port:           port,
			Labels:         map[string]string{"app": "model-server"},
		})
		if !ports[p] {
			ports[p] = true
			s.pool.TargetPorts = append(s.pool.TargetPorts, p)
		}
	}
	return s, nil
}

// selfSigned makes a certificate with no names, like an EPP's default one.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{Organization: []string{"lwepp-static"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:9002", "ADDR:PORT to serve ext_proc and grpc.health.v1 on")
	endpoints := flag.String("endpoints", "", "the pool: IP:PORT[,IP:PORT...]")
	useTLS := flag.Bool("tls", false, "serve TLS with a self-signed certificate")
	flag.Parse()

	// JSON logs, unsampled: controller-runtime samples a production logger
	// (100 lines of one message a second, then every 100th) unless V(2) is
	// on, and the suite reads the response-phase lines back by request id.
	ctrl.SetLogger(zap.New(zap.UseDevMode(false), zap.Level(zapcore.Level(-2))))

	store, err := newStore(*endpoints)
	if err != nil {
		log.Fatal(err)
	}
	opts := []grpc.ServerOption{grpc.StreamInterceptor(answerLog)}
	if *useTLS {
		cert, err := selfSigned()
		if err != nil {
			log.Fatal(err)
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})))
	}
	srv := grpc.NewServer(opts...)
	extProcPb.RegisterExternalProcessorServer(srv, handlers.NewStreamingServer(store))
	hs := health.NewServer()
	hs.SetServingStatus("", healthgrpc.HealthCheckResponse_SERVING)
	hs.SetServingStatus(extProcPb.ExternalProcessor_ServiceDesc.ServiceName, healthgrpc.HealthCheckResponse_SERVING)
	healthgrpc.RegisterHealthServer(srv, hs)

	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		srv.Stop()
	}()
	log.Printf("lwepp-static: %d endpoints, tls=%v, listening on %s", len(store.endpoints), *useTLS, lis.Addr())
	if err := srv.Serve(lis); err != nil {
		log.Fatal(err)
	}
}
