package transfer

import (
	"time"

	"github.com/geojobs/geojobs/backend/retry"
)

// Options configure a Manager (and Download). Zero fields take the defaults shown.
type Options struct {
	// Sources resolves URL schemes. Default: DefaultMux(nil).
	Sources *Mux
	// MaxFiles bounds the files downloaded at once. Default 4.
	MaxFiles int
	// MaxConnections bounds the connections of all files together; it also bounds
	// memory (one buffer per connection). Default 64.
	MaxConnections int
	// StartPerHost is the first limit of connections to one host (host:port) over all
	// files; the limit then adapts to the host, up to MaxPerHost: one more with each
	// request answered without error, half as many after a 429 or 503. Default 16.
	StartPerHost int
	// MaxPerHost bounds the connections to one host over all files. Default 64.
	MaxPerHost int
	// Connections bounds the connections of one file. Default 32.
	Connections int
	// MinSplitSize: smaller files use one connection. Default 8 MiB.
	MinSplitSize int64
	// PieceSize is the length of the byte ranges requested. Default (0): the file is
	// split evenly over its connections, or, when a checksum is to be verified, into
	// pieces of size/(8×connections) between 4 and 64 MiB fetched in file order, so
	// that hashing keeps up with the download.
	PieceSize int64
	// BufferSize is the copy buffer per connection. Default 256 KiB: the data read from
	// the socket is still in the CPU cache when it is written (512 KiB doubled the system
	// time in bench/download).
	BufferSize int
	// Retry governs retries of transient errors (Code Unavailable). Attempts are
	// counted per connection and reset when a connection makes progress, so a long
	// download over a flaky link goes on as long as it advances, while a dead URL
	// fails after Retry's attempts (about 8 s with the defaults) instead of spinning.
	Retry retry.Policy
	// StallTimeout aborts (and retries) a connection that delivers nothing for this
	// long. Default 60 s.
	StallTimeout time.Duration
	// StateInterval is how often the resume state is saved. Default 1 s.
	StateInterval time.Duration
	// ProgressInterval is how often OnProgress is called while data moves. Default 500 ms.
	ProgressInterval time.Duration
	// OnProgress receives progress; see Update.
	OnProgress func(Update)
	// Manifest, when true, records each completed file in the destination folder's
	// manifest (see Manifest).
	Manifest bool
	// OnEnd, when set, is called each time a task ends (completed, failed or canceled;
	// not paused), once its state says so: from the task's own goroutine, or for a task
	// canceled while not running from the caller of Cancel. It may block; Close waits
	// for the calls under way. It is how a caller follows thousands of tasks without a
	// goroutine waiting on each.
	OnEnd func(*Task)
}

func (o Options) withDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxFiles, 4)
	def(&o.MaxConnections, 64)
	def(&o.StartPerHost, 16)
	def(&o.MaxPerHost, 64)
	def(&o.Connections, 32)
	def(&o.BufferSize, 256<<10)
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defD(&o.StallTimeout, 60*time.Second)
	defD(&o.StateInterval, time.Second)
	defD(&o.ProgressInterval, 500*time.Millisecond)
	if o.MinSplitSize <= 0 {
		o.MinSplitSize = 8 << 20
	}
	if o.Sources == nil {
		o.Sources = DefaultMux(nil)
	}
	return o
}

// pieceSize chooses the range length for remaining bytes over conns connections.
func (o *Options) pieceSize(remaining int64, conns int, hashing bool) int64 {
	if o.PieceSize > 0 {
		return o.PieceSize
	}
	if conns <= 1 {
		return max(remaining, 1)
	}
	even := max((remaining+int64(conns)-1)/int64(conns), 1<<20)
	if !hashing {
		return even
	}
	return min(max(remaining/int64(8*conns), 4<<20), 64<<20, even)
}
