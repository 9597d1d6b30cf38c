package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/afero"
	"github.com/spf13/cobra"

	"github.com/geojobs/geojobs/backend/config"
	"github.com/geojobs/geojobs/backend/folderlock"
	"github.com/geojobs/geojobs/backend/localep"
	"github.com/geojobs/geojobs/backend/server"
)

func newLocalEndpointCmd(opts *rootOptions) *cobra.Command {
	var addr, title string
	var maxJobs int
	var cwlOpts localep.CWLOptions
	c := &cobra.Command{
		Use:   "local-endpoint",
		Short: "Serve the built-in OGC API – Processes endpoint alone",
		Long: "Serve geojobs' built-in OGC API – Processes endpoint (processes echo, countdown, fail,\n" +
			"synthetic-scene and water-bodies; Part 2 deploy/replace/undeploy of CWL packages, run with cwltool;\n" +
			"a STAC API of synthetic scenes at /stac/) without the user interface.\n" +
			"Its jobs and outputs live in the data folder and survive a restart.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, closer, err := opts.logger(cmd.ErrOrStderr(), true)
			if err != nil {
				return err
			}
			defer closer.Close()
			ctx, stop := signalContext()
			defer stop()
			// Not beside a running app on the same folder: both would run its jobs.
			lock, err := folderlock.Acquire(opts.DataDir, "geojobs local-endpoint")
			if err != nil {
				return err
			}
			defer lock.Release()

			ep, err := localep.New(localep.Options{
				DataDir: config.Paths{Root: opts.DataDir}.LocalEndpoint(), Fs: afero.NewOsFs(),
				Logger: log, Title: title, MaxConcurrent: maxJobs, CWL: cwlOpts,
			})
			if err != nil {
				return err
			}
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("cannot listen on %s: %w", addr, err)
			}
			srv := server.NewHTTPServer(localEndpointHandler(ep.Handler(), l.Addr().(*net.TCPAddr), log), log)
			fmt.Fprintf(cmd.OutOrStdout(), "geojobs local endpoint: http://%s/\n", l.Addr())
			log.Info("local endpoint serving", "addr", l.Addr().String())
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(server.LimitListener(l)) }()
			select {
			case err = <-errc:
			case <-ctx.Done():
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx)
				err = nil
			}
			cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if cerr := ep.Close(cctx); cerr != nil && err == nil {
				err = cerr
			}
			return err
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8090", "address to listen on (use 0.0.0.0:PORT to serve other machines)")
	c.Flags().StringVar(&title, "title", "geojobs local endpoint", "title on the landing page")
	c.Flags().IntVar(&maxJobs, "max-jobs", 0, "jobs running at once (0: a default from the number of CPUs)")
	c.Flags().StringVar(&cwlOpts.Cwltool, "cwltool", "cwltool", "cwltool command that runs deployed CWL packages (Debian package cwltool)")
	c.Flags().StringVar(&cwlOpts.Containers, "cwl-containers", "auto", "containers of packages with a DockerRequirement: auto (podman when installed), podman, or none (cwltool --no-container: the tools are installed here)")
	c.Flags().StringVar(&cwlOpts.Keep, "cwl-keep", localep.KeepFailed, "working folders of package runs to keep: failed, all or none")
	c.Flags().IntVar(&cwlOpts.MaxRuns, "cwl-max-runs", 2, "deployed packages running at once")
	return c
}

// localEndpointHandler guards h by Host when the endpoint listens on a loopback address:
// a web page that rebinds its own name to 127.0.0.1 cannot deploy processes to it.
// Bound elsewhere (--addr 0.0.0.0:PORT), it serves other machines under any name.
func localEndpointHandler(h http.Handler, addr *net.TCPAddr, log *slog.Logger) http.Handler {
	if !addr.IP.IsLoopback() {
		return h
	}
	return server.HostAllowlist(addr.Port, log)(h)
}
