package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/voiced/voiced/web"
)

// serve runs the HTTP server until ctx ends, then drains it.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var c common
	c.register(fs)
	httpAddr := fs.String("http", "", "HTTP listen `address` (default: the config's http.addr)")
	sipAddr := fs.String("sip", "", "SIP UDP and TCP listen `address` (default: the config's sip.listen)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	if *httpAddr != "" {
		cfg.HTTP.Addr = *httpAddr
	}
	if *sipAddr != "" {
		cfg.SIP.Listen = *sipAddr
	}
	log := newLogger(stderr, cfg.LogLevel)
	tr, err := newTracing(cfg.Telemetry, log)
	if err != nil {
		return err
	}
	defer func() {
		// After the calls drained: their last spans are exported.
		ctx, cancel := context.WithTimeout(context.Background(), tracingFlush)
		defer cancel()
		if err := tr.Shutdown(ctx); err != nil {
			log.Warn("traces lost at exit", "err", err)
		}
	}()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n, err := openNode(ctx, cfg, log, reg, tr.Provider)
	if err != nil {
		return err
	}
	defer n.Close()
	if err := n.setUpTenants(ctx); err != nil {
		return err
	}

	var ready atomic.Bool
	srv, err := web.New(web.Config{
		Store: n.store, Engine: n.engine, Agents: n.agents, Logger: log, Registry: reg,
		MaxBodyBytes: cfg.HTTP.MaxBodyBytes, Ready: ready.Load, DataDir: cfg.DataDir,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen http: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("http listening", "addr", ln.Addr().String(), "data_dir", cfg.DataDir)

	// Knowledge is (re)ingested while the listener already answers
	// /healthz with 503, so orchestrators see the node starting.
	if err := n.ingestConfigured(ctx); err != nil {
		hs.Close()
		return err
	}
	phone, err := n.startSIP(ctx, reg)
	if err != nil {
		hs.Close()
		return err
	}
	udp, tcp := phone.server.Addrs()
	log.Info("sip listening", "udp", udp, "tcp", tcp)
	ready.Store(true)
	log.Info("ready", "tenants", len(cfg.Tenants))

	select {
	case err := <-errc:
		phone.server.Close()
		phone.close()
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	return drain(log, hs, phone, time.Duration(cfg.SIP.DrainGrace), &ready)
}

// drain stops taking new work and lets what runs finish: new calls get
// 503 while running ones continue for up to grace, and HTTP requests in
// flight complete.
func drain(log *slog.Logger, hs *http.Server, phone *telephony, grace time.Duration,
	ready *atomic.Bool) error {
	ready.Store(false)
	log.Info("draining")
	ctx, cancel := context.WithTimeout(context.Background(), grace+10*time.Second)
	defer cancel()

	sipErr := make(chan error, 1)
	go func() { sipErr <- phone.drain(ctx) }()
	var errs []error
	if err := hs.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("drain http: %w", err))
	}
	if err := <-sipErr; err != nil {
		errs = append(errs, fmt.Errorf("drain sip: %w", err))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	log.Info("stopped")
	return nil
}

// ingestConfigured ingests every tenant's configured knowledge (only what
// changed since the last start) and loads every tenant's index.
func (n *node) ingestConfigured(ctx context.Context) error {
	for _, t := range n.cfg.Tenants {
		if len(t.Knowledge) == 0 {
			if err := n.retriever.Load(ctx, t.ID); err != nil {
				return fmt.Errorf("load index of %s: %w", t.ID, err)
			}
			continue
		}
		sum, err := n.ingest(ctx, t.ID, t.Knowledge, nil)
		if err != nil {
			return fmt.Errorf("ingest knowledge of %s: %w", t.ID, err)
		}
		n.log.Info("knowledge loaded", "tenant", t.ID, "added", sum.Added, "updated", sum.Updated,
			"unchanged", sum.Unchanged, "deleted", sum.Deleted, "failed", len(sum.Failed))
		for _, f := range sum.Failed {
			n.log.Warn("document not ingested", "tenant", t.ID, "path", f.Path, "err", f.Err)
		}
	}
	return nil
}
