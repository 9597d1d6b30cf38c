package server

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/geojobs/geojobs/backend/atomicfile"
)

// PortFile is the file in the data folder where the app records the port it served on.
const PortFile = "ui-port"

// ListenPreferLast opens a listener on addr (host:port). When addr asks
// for a free port (port 0) and portFile holds the port an earlier launch recorded, that
// port is tried first: the app hands out absolute URLs under its own origin that outlive
// a launch — the built-in endpoint's job, result and asset URLs, stored with jobs and
// downloads — and they stay valid when the app gets the same port again. A busy
// recorded port is not an error: a free port is used, and logged. The port the listener
// got is recorded in portFile (when set).
func ListenPreferLast(addr, portFile string, log *slog.Logger) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	if port != "0" || portFile == "" {
		return net.Listen("tcp", addr)
	}
	var l net.Listener
	if last := readPort(portFile); last != 0 {
		if l, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(last))); err != nil {
			log.Warn("the port of the last launch is taken: serving on another one; built-in endpoint jobs of earlier launches "+
				"are reachable again when geojobs gets that port back", "port", last, "err", err)
		}
	}
	if l == nil {
		if l, err = net.Listen("tcp", addr); err != nil {
			return nil, err
		}
	}
	got := l.Addr().(*net.TCPAddr).Port
	if err := writePort(portFile, got); err != nil {
		log.Warn("could not record the port for the next launch", "err", err)
	}
	return l, nil
}

func readPort(file string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	p, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || p <= 0 || p > 65535 {
		return 0
	}
	return p
}

func writePort(file string, port int) error {
	return atomicfile.WriteOS(file, []byte(strconv.Itoa(port)+"\n"), 0o600)
}
