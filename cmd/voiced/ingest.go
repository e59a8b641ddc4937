package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/voiced/voiced/rag"
)

// ingest adds files or folders to one tenant's knowledge base.
func ingest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	var c common
	c.register(fs)
	tenant := fs.String("tenant", "", "tenant `id` whose knowledge base receives the files")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *tenant == "" || fs.NArg() == 0 {
		return errors.New("ingest: need --tenant ID and at least one file or folder")
	}
	cfg, err := c.load()
	if err != nil {
		return err
	}
	known := false
	for _, t := range cfg.Tenants {
		known = known || t.ID == *tenant
	}
	if !known {
		return fmt.Errorf("ingest: tenant %q is not in %s", *tenant, c.config)
	}

	// Progress and summary go to stdout; the log (warnings) to stderr.
	n, err := openNode(ctx, cfg, newLogger(io.Discard, "error"), nil, nil)
	if err != nil {
		return err
	}
	defer n.Close()
	if err := n.setUpTenants(ctx); err != nil {
		return err
	}
	p := newProgress(stdout)
	sum, err := n.ingest(ctx, *tenant, fs.Args(), p.event)
	p.done()
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "%s: %d added, %d updated, %d unchanged, %d deleted, %d failed; %d chunks written\n",
		*tenant, sum.Added, sum.Updated, sum.Unchanged, sum.Deleted, len(sum.Failed), sum.Chunks)
	for _, f := range sum.Failed {
		fmt.Fprintf(stdout, "  failed: %s: %v\n", f.Path, f.Err)
	}
	if len(sum.Failed) > 0 {
		return fmt.Errorf("%d file(s) could not be ingested", len(sum.Failed))
	}
	return nil
}

// progress draws one self-overwriting line on a terminal, and nothing but
// failures elsewhere, so that logs and pipes stay clean.
type progress struct {
	w   io.Writer
	tty bool
	on  bool // a progress line is on screen
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			p.tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return p
}

func (p *progress) event(ev rag.ProgressEvent) {
	if ev.Kind == rag.FileFailed {
		p.clear()
		fmt.Fprintf(p.w, "[%d/%d] %s: %v\n", ev.Index, ev.Total, filepath.Base(ev.Path), ev.Err)
		return
	}
	if !p.tty || ev.Kind != rag.FileStarted {
		return
	}
	fmt.Fprintf(p.w, "\r\033[K[%d/%d] %s", ev.Index, ev.Total, filepath.Base(ev.Path))
	p.on = true
}

func (p *progress) clear() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
		p.on = false
	}
}

func (p *progress) done() { p.clear() }
