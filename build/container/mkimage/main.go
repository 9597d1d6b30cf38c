// Command mkimage builds geojobs' container image without a container engine: one
// layer holding the static binary, an ogc-api-processes-client symlink to it (the
// binary behaves as `geojobs run` under that name) and the CA certificates, on an
// empty base, configured to run as UID 1001, GID 0. It writes an OCI image layout as a
// tar archive (podman load, docker load ≥ 25, skopeo copy oci-archive:…) or a
// docker-save tarball (-format docker).
//
// The image is reproducible: every timestamp is -epoch (SOURCE_DATE_EPOCH by default).
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	binary := flag.String("binary", "", "the static geojobs binary (CGO_ENABLED=0)")
	certs := flag.String("certs", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle to include")
	out := flag.String("out", "geojobs-image.tar", "the image archive to write")
	tag := flag.String("tag", "geojobs:dev", "the image reference recorded in the archive")
	version := flag.String("version", "dev", "the version label")
	format := flag.String("format", "oci", "archive format: oci (OCI layout) or docker (docker save)")
	arch := flag.String("arch", "amd64", "the binary's architecture")
	epoch := flag.Int64("epoch", sourceDateEpoch(), "timestamp of every file and of the image, in Unix seconds")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("mkimage: ")
	if *binary == "" {
		log.Fatal("-binary is required")
	}
	created := time.Unix(*epoch, 0).UTC()
	layer, err := rootLayer(*binary, *certs, created)
	if err != nil {
		log.Fatal(err)
	}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{Layer: layer, MediaType: types.OCILayer})
	if err != nil {
		log.Fatal(err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		log.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = *arch, "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config.Entrypoint = []string{"/usr/local/bin/geojobs"}
	cf.Config.Cmd = []string{"--help"}
	cf.Config.User = "1001:0"
	cf.Config.WorkingDir = "/tmp"
	cf.Config.Env = []string{
		"PATH=/usr/local/bin",
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		"TMPDIR=/tmp",
	}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":       "geojobs",
		"org.opencontainers.image.description": "geojobs: run processing on OGC API – Processes servers (geojobs run = ogc-api-processes-client)",
		"org.opencontainers.image.version":     *version,
		"org.opencontainers.image.source":      "https://github.com/geojobs/geojobs",
		"org.opencontainers.image.licenses":    "Apache-2.0",
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		log.Fatal(err)
	}
	img, err = mutate.CreatedAt(img, v1.Time{Time: created})
	if err != nil {
		log.Fatal(err)
	}
	if err := write(img, *out, *tag, *format); err != nil {
		log.Fatal(err)
	}
	d, _ := img.Digest()
	fmt.Printf("%s %s %s\n", *out, *tag, d)
}

func sourceDateEpoch() int64 {
	if v, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return v
	}
	return 0
}

// rootLayer is the image's file system.
func rootLayer(binary, certs string, mtime time.Time) (v1.Layer, error) {
	bin, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(certs)
	if err != nil {
		return nil, fmt.Errorf("CA certificates: %w (install the ca-certificates package)", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: mtime, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	steps := []func() error{
		func() error { return dir("etc/", 0o755) },
		func() error { return dir("etc/ssl/", 0o755) },
		func() error { return dir("etc/ssl/certs/", 0o755) },
		func() error { return file("etc/ssl/certs/ca-certificates.crt", 0o644, ca) },
		// A passwd entry lets tools that look the user up (ssh, git) find one; geojobs does not need it.
		func() error {
			return file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\ngeojobs:x:1001:0:geojobs:/tmp:/sbin/nologin\n"))
		},
		func() error { return file("etc/group", 0o644, []byte("root:x:0:\n")) },
		// Writable by anyone, sticky: $TMPDIR when the root file system is not read-only.
		func() error { return dir("tmp/", 0o1777) },
		func() error { return dir("usr/", 0o755) },
		func() error { return dir("usr/local/", 0o755) },
		func() error { return dir("usr/local/bin/", 0o755) },
		func() error { return file("usr/local/bin/geojobs", 0o755, bin) },
		func() error {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "usr/local/bin/ogc-api-processes-client",
				Linkname: "geojobs", Mode: 0o777, ModTime: mtime, Format: tar.FormatPAX})
		},
		tw.Close,
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, err
		}
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

func write(img v1.Image, out, tag, format string) error {
	switch format {
	case "docker":
		ref, err := name.NewTag(tag)
		if err != nil {
			return err
		}
		return tarball.WriteToFile(out, ref, img)
	case "oci":
	default:
		return fmt.Errorf("-format %q: want oci or docker", format)
	}
	tmp, err := os.MkdirTemp("", "geojobs-oci-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag})); err != nil {
		return err
	}
	return tarDir(tmp, out)
}

// tarDir writes the files under dir to a tar archive at out, in a stable order.
func tarDir(dir, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		h.ModTime, h.Uname, h.Gname, h.Uid, h.Gid = time.Unix(0, 0), "", "", 0, 0
		if d.IsDir() {
			h.Name += "/"
			return tw.WriteHeader(h)
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if cerr := tw.Close(); err == nil {
		err = cerr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
