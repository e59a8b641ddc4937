// Command voiced is the voice and chat agent server.
//
//	voiced serve  --config FILE [--http ADDR] [--data DIR]
//	voiced ingest --config FILE [--data DIR] --tenant ID PATH...
//	voiced check  --config FILE [--data DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/voiced/voiced/config"
)

const usage = `usage: voiced <command> [flags]

commands:
  serve    serve chat (HTTP) for the configured tenants
  ingest   add files or folders to a tenant's knowledge base
  check    probe every model endpoint and show the egress policy

Every command takes --config FILE and --data DIR. Run voiced <command> -h for its flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "voiced:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, args, stderr)
	case "ingest":
		return ingest(ctx, args, stdout, stderr)
	case "check":
		return check(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "voiced: unknown command %q\n\n%s", cmd, usage)
		return flag.ErrHelp
	}
}

// common holds the flags every command shares.
type common struct {
	config string
	data   string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", "configs/embedded.yaml", "configuration `file`")
	fs.StringVar(&c.data, "data", "", "data `dir`ectory (default: the config's data_dir)")
}

// load reads the configuration and applies the shared flags.
func (c *common) load() (*config.Config, error) {
	cfg, err := config.Load(c.config)
	if err != nil {
		return nil, err
	}
	if c.data != "" {
		cfg.DataDir = c.data
	}
	return cfg, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	return fs.Parse(args)
}
