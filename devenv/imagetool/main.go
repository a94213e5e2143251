// Command imagetool assembles OCI images for the test environment and pushes
// them to a registry, with go-containerregistry doing the image work. It exists
// so the TypeScript harness can make buildpacks images (stacks, lifecycle,
// buildpackages, app images) without Docker.
//
//	imagetool build [--base REF] [--layer FILE.tar[.gz]] [--layer-dir DIR[:PREFIX]]...
//	                [--owner PATH=UID:GID]... [--label K=V]... [--env K=V]...
//	                [--user U] [--entrypoint ARG]... [--os OS --arch ARCH]
//	                [--layer-cache DIR] --tag REF [--tag REF]...
//	imagetool digest REF
//
// build prints one JSON object: {"digest","ref","diffIDs","tags"}. A label value
// may contain {{diffID:N}}, replaced by the diffID of the Nth added layer, which
// buildpackage labels need. --owner gives the entries of --layer-dir layers at
// or under PATH (a path inside the layer) that owner instead of root.
// --layer-cache keeps each --layer-dir layer compressed on disk under the
// sha256 of its tar, so the same files are compressed once, not at every push.
// Registry credentials come from DOCKER_CONFIG, as for
// any docker client; 127.0.0.1 and localhost registries are spoken to over HTTP.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layerSource is one --layer or --layer-dir argument, kept in command-line order.
type layerSource struct {
	file string
	dir  string
	// prefix is the path inside the layer the directory's contents go under.
	prefix string
}

type layerList struct{ items *[]layerSource }

func (l layerList) String() string { return "" }

type fileFlag struct{ layerList }

func (f fileFlag) Set(v string) error {
	*f.items = append(*f.items, layerSource{file: v})
	return nil
}

type dirFlag struct{ layerList }

func (f dirFlag) Set(v string) error {
	dir, prefix, _ := strings.Cut(v, ":")
	*f.items = append(*f.items, layerSource{dir: dir, prefix: prefix})
	return nil
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if len(os.Args) < 2 {
		fail(errors.New("usage: imagetool build|digest ..."))
	}
	var err error
	switch os.Args[1] {
	case "build":
		err = build(os.Args[2:])
	case "digest":
		err = digest(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "imagetool:", err)
	os.Exit(1)
}

func options() []remote.Option {
	return []remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}
}

func digest(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: imagetool digest REF")
	}
	ref, err := name.ParseReference(args[0])
	if err != nil {
		return err
	}
	desc, err := remote.Head(ref, options()...)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]string{"digest": desc.Digest.String(), "ref": ref.Context().Digest(desc.Digest.String()).String()})
}

func build(args []string) error {
	fl := flag.NewFlagSet("build", flag.ContinueOnError)
	var layers []layerSource
	var labels, envs, tags multi
	base := fl.String("base", "", "base image (default: empty)")
	user := fl.String("user", "", "config user")
	osName := fl.String("os", "linux", "platform OS for an image without base")
	arch := fl.String("arch", "amd64", "platform architecture for an image without base")
	fl.Var(fileFlag{layerList{&layers}}, "layer", "layer from a tar or tar.gz file")
	fl.Var(dirFlag{layerList{&layers}}, "layer-dir", "layer from a directory, DIR[:PREFIX]")
	fl.Var(&labels, "label", "config label K=V")
	fl.Var(&envs, "env", "config env K=V")
	fl.Var(&tags, "tag", "tag to push (first is primary)")
	var owners, entrypoint multi
	fl.Var(&owners, "owner", "owner of layer-dir entries at or under PATH, PATH=UID:GID")
	fl.Var(&entrypoint, "entrypoint", "config entrypoint, one argument per flag")
	layerCache := fl.String("layer-cache", "", "directory keeping compressed layer-dir layers by content")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if len(tags) == 0 {
		return errors.New("build needs at least one --tag")
	}

	var img v1.Image = empty.Image
	if *base != "" {
		ref, err := name.ParseReference(*base)
		if err != nil {
			return err
		}
		img, err = remote.Image(ref, options()...)
		if err != nil {
			return fmt.Errorf("reading base image %s: %w", *base, err)
		}
	} else {
		// Registries and kpack expect a proper image manifest media type.
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	}

	owned, err := parseOwners(owners)
	if err != nil {
		return err
	}
	var added []v1.Layer
	for _, src := range layers {
		var (
			layer v1.Layer
			err   error
		)
		if src.file != "" {
			layer, err = tarball.LayerFromFile(src.file, tarball.WithMediaType(types.OCILayer))
		} else {
			var data []byte
			data, err = tarDir(src.dir, src.prefix, owned)
			if err == nil {
				layer, err = dirLayer(data, *layerCache)
			}
		}
		if err != nil {
			return fmt.Errorf("layer %+v: %w", src, err)
		}
		added = append(added, layer)
	}
	img, err = mutate.AppendLayers(img, added...)
	if err != nil {
		return err
	}
	diffIDs := make([]string, len(added))
	for i, l := range added {
		d, err := l.DiffID()
		if err != nil {
			return err
		}
		diffIDs[i] = d.String()
	}

	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	if *base == "" {
		cf.OS, cf.Architecture = *osName, *arch
	}
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	for _, kv := range labels {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("label %q is not K=V", kv)
		}
		for i, d := range diffIDs {
			v = strings.ReplaceAll(v, "{{diffID:"+strconv.Itoa(i)+"}}", d)
		}
		cf.Config.Labels[k] = v
	}
	for _, kv := range envs {
		k, _, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("env %q is not K=V", kv)
		}
		// Replace an existing value rather than adding a duplicate name.
		kept := cf.Config.Env[:0]
		for _, e := range cf.Config.Env {
			if !strings.HasPrefix(e, k+"=") {
				kept = append(kept, e)
			}
		}
		cf.Config.Env = append(kept, kv)
	}
	if *user != "" {
		cf.Config.User = *user
	}
	if len(entrypoint) > 0 {
		cf.Config.Entrypoint = entrypoint
	}
	// A fixed creation time keeps identical inputs at identical digests.
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}

	dig, err := img.Digest()
	if err != nil {
		return err
	}
	var primary name.Reference
	for i, t := range tags {
		ref, err := name.ParseReference(t)
		if err != nil {
			return err
		}
		if i == 0 {
			primary = ref
		}
		if err := remote.Write(ref, img, options()...); err != nil {
			return fmt.Errorf("pushing %s: %w", t, err)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"digest":  dig.String(),
		"ref":     primary.Context().Digest(dig.String()).String(),
		"diffIDs": diffIDs,
		"tags":    []string(tags),
	})
}

// owner is one --owner: entries at or under path (inside the layer) get uid:gid.
type owner struct {
	path     string
	uid, gid int
}

func parseOwners(specs []string) ([]owner, error) {
	var out []owner
	for _, s := range specs {
		p, ids, ok := strings.Cut(s, "=")
		u, g, ok2 := strings.Cut(ids, ":")
		uid, err1 := strconv.Atoi(u)
		gid, err2 := strconv.Atoi(g)
		if !ok || !ok2 || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("owner %q is not PATH=UID:GID", s)
		}
		out = append(out, owner{path: strings.Trim(p, "/"), uid: uid, gid: gid})
	}
	return out, nil
}

// ownerOf returns the uid and gid of a layer entry: the last matching --owner, else root.
func ownerOf(name string, owners []owner) (int, int) {
	uid, gid := 0, 0
	name = strings.Trim(name, "/")
	for _, o := range owners {
		if name == o.path || strings.HasPrefix(name, o.path+"/") {
			uid, gid = o.uid, o.gid
		}
	}
	return uid, gid
}

// dirLayer makes a layer of an uncompressed tar; with a cache dir, its
// compressed form is kept there under the tar's sha256 (the layer's diffID)
// with its digest beside it, so a second push neither compresses nor reads it
// back to hash it.
func dirLayer(data []byte, cacheDir string) (v1.Layer, error) {
	if cacheDir == "" {
		return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		}, tarball.WithMediaType(types.OCILayer))
	}
	sum := sha256.Sum256(data)
	diffID := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	file := filepath.Join(cacheDir, diffID.Hex+".tar.gz")
	digestFile := file + ".digest"
	if d, err := os.ReadFile(digestFile); err == nil {
		if digest, err := v1.NewHash(string(d)); err == nil {
			if st, err := os.Stat(file); err == nil {
				return &cachedLayer{file: file, diffID: diffID, digest: digest, size: st.Size()}, nil
			}
		}
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	zsum := sha256.Sum256(gz.Bytes())
	digest := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(zsum[:])}
	// Written aside and renamed, the digest last, so a concurrent or killed run
	// never trusts half a file.
	if err := writeAtomic(cacheDir, file, gz.Bytes()); err != nil {
		return nil, err
	}
	if err := writeAtomic(cacheDir, digestFile, []byte(digest.String())); err != nil {
		return nil, err
	}
	return &cachedLayer{file: file, diffID: diffID, digest: digest, size: int64(gz.Len())}, nil
}

func writeAtomic(dir, file string, data []byte) error {
	tmp, err := os.CreateTemp(dir, "partial-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return errors.Join(werr, cerr)
	}
	return os.Rename(tmp.Name(), file)
}

// cachedLayer is a gzip layer file whose digest and diffID are already known.
type cachedLayer struct {
	file           string
	diffID, digest v1.Hash
	size           int64
}

func (l *cachedLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *cachedLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *cachedLayer) Size() (int64, error)                { return l.size, nil }
func (l *cachedLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
func (l *cachedLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.file) }
func (l *cachedLayer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.file)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{zr, f}, nil
}

// tarDir makes an uncompressed tar of dir's contents under prefix, with fixed
// times and root ownership (or the --owner given) so the same files always
// give the same diffID. Symlinks stay symlinks.
func tarDir(dir, prefix string, owners []owner) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0).UTC()
	// Parent directories of the prefix, so extracting the layer makes them.
	if prefix != "" {
		parts := strings.Split(strings.Trim(prefix, "/"), "/")
		for i := range parts {
			name := path.Join(parts[:i+1]...)
			uid, gid := ownerOf(name, owners)
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, Uid: uid, Gid: gid, ModTime: epoch}); err != nil {
				return nil, err
			}
		}
	}
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		inLayer := path.Join(strings.Trim(prefix, "/"), filepath.ToSlash(rel))
		info, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return nil, err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return nil, err
		}
		hdr.Name = inLayer
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = epoch, time.Time{}, time.Time{}
		hdr.Uid, hdr.Gid = ownerOf(inLayer, owners)
		hdr.Uname, hdr.Gname = "", ""
		hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			if _, err := tw.Write(data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
