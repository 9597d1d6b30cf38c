// Command server serves one large file for the download benchmark (run.sh), either
// uncapped (sendfile) or like object storage: each response capped to a rate and
// delayed by a first-byte latency.
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"time"

	"github.com/geojobs/geojobs/backend/multihash"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8765", "listen address")
	path := flag.String("file", "/tmp/geojobs-bench/data.bin", "file to serve (created when missing or of another size)")
	size := flag.Int64("size", 2<<30, "file size in bytes")
	rate := flag.Float64("rate", 0, "bytes per second per response, 0: uncapped")
	latency := flag.Duration("latency", 0, "delay before each response")
	verbose := flag.Bool("v", false, "log each request")
	flag.Parse()

	if err := ensureFile(*path, *size); err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("GET /checksum", func(w http.ResponseWriter, r *http.Request) {
		sum, err := checksum(*path)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprint(w, sum)
	})
	http.HandleFunc("/data.bin", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(*path)
		if err != nil {
			http.Error(w, "gone", 500)
			return
		}
		defer f.Close()
		fi, _ := f.Stat()
		time.Sleep(*latency)
		w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixNano()))
		var out http.ResponseWriter = w
		if *rate > 0 {
			out = &capped{ResponseWriter: w, rate: *rate, start: time.Now()}
		}
		start := time.Now()
		http.ServeContent(out, r, "", fi.ModTime(), f)
		if *verbose {
			log.Printf("%s %s %s %v", r.Method, r.Header.Get("Range"), r.RemoteAddr, time.Since(start).Round(time.Millisecond))
		}
	})
	log.Printf("serving %s (%d bytes) on %s, rate %.0f B/s, latency %v", *path, *size, *addr, *rate, *latency)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// capped paces writes so that the body never runs ahead of rate.
type capped struct {
	http.ResponseWriter
	rate  float64
	start time.Time
	n     int64
}

func (c *capped) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		k := min(len(p), 64<<10)
		if ahead := time.Duration(float64(c.n+int64(k))/c.rate*float64(time.Second)) - time.Since(c.start); ahead > 0 {
			time.Sleep(ahead)
		}
		m, err := c.ResponseWriter.Write(p[:k])
		written += m
		c.n += int64(m)
		if err != nil {
			return written, err
		}
		p = p[k:]
	}
	return written, nil
}

func ensureFile(path string, size int64) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() == size {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var seed [32]byte
	src := rand.NewChaCha8(seed)
	if _, err := io.CopyN(f, src, size); err != nil {
		return err
	}
	os.Remove(path + ".sha256")
	return f.Close()
}

// checksum returns the multihash (sha2-256) of path, cached beside it.
func checksum(path string) (string, error) {
	if b, err := os.ReadFile(path + ".sha256"); err == nil {
		return string(b), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	sum := multihash.Encode(multihash.SHA2_256, h.Sum(nil))
	return sum, os.WriteFile(path+".sha256", []byte(sum), 0o644)
}
